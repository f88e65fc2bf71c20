"""One daemon per database: a second `prospector run` is refused with who holds the lock.

SQLite: an exclusive `flock` on `<database>.lock` beside the file, released by the kernel
when the process dies (even by SIGKILL), so a crash never leaves a stale lock behind.
PostgreSQL: a session advisory lock held on a dedicated connection, released the same way.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from prospector.errors import ProspectorError

_ADVISORY_KEY = 0x70726F73  # "pros": one lock id for every prospector database


class AlreadyRunning(ProspectorError):
    """Another daemon (or `run --once`) works on this database right now."""


@contextmanager
def daemon_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's daemon lock for the duration; AlreadyRunning if it is taken."""
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        with _file_lock(Path(database).with_name(Path(database).name + ".lock")):
            yield
        return
    if engine.url.get_backend_name() == "postgresql":
        with _advisory_lock(engine):
            yield
        return
    yield  # an in-memory database cannot be shared by two processes


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the whole block)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunning(
                f"another prospector daemon is running on this database ({holder});"
                f" stop it first (lock file {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the flock


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as conn:
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY})
        if not taken.scalar():
            raise AlreadyRunning(
                "another prospector daemon is running on this database; stop it first"
            )
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
            conn.commit()
