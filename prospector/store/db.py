"""Engine creation, transactions and schema upgrades (always through Alembic)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. Every command checks the database against it with one query, so
# Alembic (slow to import) loads only when the schema has to change; a test keeps this
# equal to the head of the migration scripts.
SCHEMA_HEAD = "0006"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL and a busy timeout for concurrent readers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: large imports keep their indexes hot
    cursor.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it already is."""
    if is_current(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def is_current(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:  # no version table: a new, empty database
        return False
    return found == SCHEMA_HEAD


@contextmanager
def transaction(bind: Engine | Connection) -> Iterator[Session]:
    """One unit of work: committed on success, rolled back on any error.

    A Connection may be given to keep work on one held connection (an import attaches its
    SQLite stage to it before the transaction and detaches it after).
    """
    with Session(bind=bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
