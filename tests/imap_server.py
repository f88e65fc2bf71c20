"""A real Dovecot IMAP server for tests: bench/dovecot.py's, skipped (or failed under CI)
where Dovecot is not installed.

The server-starting code lives in bench/dovecot.py so that the benches start it the
same way; this module keeps the names the tests import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench.dovecot import (
    INSTALL_HINT,
    PASSWORD,
    PASSWORD_ENV,
    DovecotServer,
    Security,
    dovecot_binary,
)
from bench.dovecot import dovecot_server as _start
from tests.servers import require

__all__ = ["PASSWORD", "PASSWORD_ENV", "DovecotServer", "Security", "dovecot_server"]


@contextmanager
def dovecot_server() -> Iterator[DovecotServer]:
    """Start Dovecot on free loopback ports, or skip the tests that need it."""
    require("Dovecot", dovecot_binary() is not None, INSTALL_HINT)
    with _start() as server:
        yield server
