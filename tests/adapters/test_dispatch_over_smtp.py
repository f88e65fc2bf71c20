"""Dispatch through the real SMTP adapter to a real server that misbehaves on purpose."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from prospector.adapters.smtp import SmtpTransport
from prospector.config import Mailbox
from prospector.engine.dispatch import Transport, TransportFactory
from prospector.store.tables import MailboxState, Suppression
from tests.engine.dispatch_kit import (
    EVENING,
    Recorder,
    dispatcher,
    enrollment_of,
    messages,
    person,
    tick,
    workspace,
)
from tests.smtp_server import Fault, SmtpTestServer, StartSmtpServer


def real_transports(server: SmtpTestServer) -> TransportFactory:
    """Every mailbox sends through `server` with STARTTLS and AUTH, as in production."""

    @asynccontextmanager
    async def connect(_mailbox: Mailbox) -> AsyncIterator[Transport]:
        config = server.config()
        async with SmtpTransport(config, timeout=2.0, tls_context=server.client_tls) as t:
            yield t

    return connect


def test_faults_end_where_the_rules_say(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: StartSmtpServer
) -> None:
    server = smtp_server(security="starttls", auth=True)
    rows = [person("ok", "Alpha"), person("later", "Beta"), person("gone", "Gamma")]
    settings = workspace(sqlite_engine, tmp_path, rows)
    server.inject(
        "rcpt", Fault(reply="451 4.7.1 Greylisted", address="later@beta-soft.com", times=1)
    )
    server.inject("rcpt", Fault(reply="550 5.1.1 No such user", address="gone@gamma-soft.com"))
    d = dispatcher(sqlite_engine, settings, Recorder())
    d.transports = real_transports(server)
    report = tick(d, EVENING)
    assert (report["sent"], report["retrying"], report["bounced"]) == (1, 1, 1)
    assert [r.rcpt_tos for r in server.received] == [("ok@alpha-soft.com",)]
    with Session(sqlite_engine) as session:
        assert session.exec(select(Suppression.email)).all() == ["gone@gamma-soft.com"]
    assert enrollment_of(sqlite_engine, "gone@gamma-soft.com").state == "stopped"
    # The greylisted one goes on the retry, with the very same Message-ID.
    retry = next(m for m in messages(sqlite_engine) if m.to_address == "later@beta-soft.com")
    assert tick(d, EVENING + timedelta(minutes=1))["sent"] == 1
    arrived = message_from_bytes(server.received[-1].data)
    assert arrived["Message-ID"] == retry.message_id
    assert len(server.received) == 2


def test_a_server_that_refuses_connections_pauses_the_mailbox(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: StartSmtpServer
) -> None:
    server = smtp_server()
    server.inject("connect", Fault(reply="421 4.3.2 Service not available"))
    settings = workspace(sqlite_engine, tmp_path, [person("ok", "Alpha")])
    d = dispatcher(sqlite_engine, settings, Recorder())
    d.transports = real_transports(server)
    for minute in range(3):
        tick(d, EVENING + timedelta(minutes=minute))
    with Session(sqlite_engine) as session:
        state = session.exec(select(MailboxState)).one()
    assert state.paused_until is not None and "421" in state.paused_reason
    assert server.received == []
    server.clear_faults()
    tick(d, EVENING + timedelta(hours=1))
    assert len(server.received) == 1
    assert [m.state for m in messages(sqlite_engine)] == ["sent"]
