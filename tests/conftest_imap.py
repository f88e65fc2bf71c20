"""The `dovecot` fixture: one real Dovecot IMAP server per session (see tests/imap_server.py).

Registered in tests/conftest.py through `pytest_plugins`, so every test can ask for it.
Without Dovecot the tests that use it skip, saying how to install it; under CI they fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.imap_server import PASSWORD_ENV, DovecotServer, dovecot_server


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """The running server; `dovecot.config(security)` gives a fresh user's `Server`.

    The password is put in the environment, where `Server.password()` reads it.
    """
    with dovecot_server() as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv(PASSWORD_ENV, server.password)
        yield server
