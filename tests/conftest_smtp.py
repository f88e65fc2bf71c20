"""The `smtp_server` fixture: real SMTP servers on 127.0.0.1 (see tests/smtp_server.py).

Registered in tests/conftest.py through `pytest_plugins`, so every test can ask for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smtp_server import (
    PASSWORD,
    PASSWORD_ENV,
    Certificate,
    Security,
    SmtpTestServer,
    StartSmtpServer,
)


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartSmtpServer]:
    """A factory: `smtp_server(security=..., auth=..., certificate=...)` starts one server.

    The AUTH password is put in the environment, where `Server.password()` reads it.
    """
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    started: list[SmtpTestServer] = []

    def start(
        *,
        security: Security = "none",
        auth: bool = False,
        certificate: Certificate = "trusted",
        idle_timeout: float = 300.0,
    ) -> SmtpTestServer:
        server = SmtpTestServer(
            security=security, auth=auth, certificate=certificate, idle_timeout=idle_timeout
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
