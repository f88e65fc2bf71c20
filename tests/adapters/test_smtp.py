"""SmtpTransport against a real SMTP server on 127.0.0.1, one test per outcome.

Every test checks both sides: the `Delivery` the engine will act on, and what the
server actually accepted, since the promise is about messages, not return values.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiosmtplib
import pytest

from prospector.adapters import smtp as smtp_module
from prospector.adapters.smtp import SmtpTransport, reply_delivery
from prospector.config import Server
from prospector.domain.delivery import Delivery, Scope, Verdict
from prospector.mail.compose import build_message, wire_bytes
from tests.smtp_server import Fault, SmtpTestServer, StartSmtpServer

SENDER = "maria@northwind.example"
T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def message(n: int = 0, body: str = "Who is the right person to talk to about logistics?") -> bytes:
    return (
        f"From: Maria <{SENDER}>\r\nTo: <prospect@acme.example>\r\n"
        f"Subject: Quick question {n}\r\nMessage-ID: <m{n}@northwind.example>\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def transport(
    server: SmtpTestServer, config: Server | None = None, **options: Any
) -> SmtpTransport:
    """A client for `server` trusting its CA, with `config` when the test changes it."""
    options.setdefault("tls_context", server.client_tls)
    options.setdefault("local_hostname", "client.example")
    return SmtpTransport(config or server.config(), **options)


def send_all(
    t: SmtpTransport, items: list[tuple[str, bytes]], between: Callable[[int], Awaitable[None]]
) -> list[Delivery]:
    async def main() -> list[Delivery]:
        results = []
        async with t:
            for i, (recipient, data) in enumerate(items):
                await between(i)
                results.append(await t.send(sender=SENDER, recipient=recipient, data=data))
        return results

    return asyncio.run(main())


async def _nothing(i: int) -> None:
    return None


def send(t: SmtpTransport, *items: tuple[str, bytes]) -> list[Delivery]:
    """Send each (recipient, data) in order over the one transport, then close it."""
    return send_all(t, list(items), _nothing)


def composed_utf8() -> bytes:
    msg = build_message(
        from_name="María López",
        from_address=SENDER,
        to_name="Jürgen Groß",
        to_address="juergen@acme.example",
        subject="Grüße – wer ist zuständig?",
        body="Hallo Jürgen,\n\nwer ist bei Ihnen für Logistik zuständig? 你好\n",
        message_id="<abc123@northwind.example>",
        date=datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
        footer="Reply “unsubscribe” to opt out.\nNorthwind, 1 Main St",
        list_unsubscribe_mailto="unsubscribe@northwind.example",
        list_unsubscribe_url=None,
    )
    return wire_bytes(msg)


RAW_8BIT = (
    "From: <maria@northwind.example>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\n"
    "Grüße aus Köln, 你好.\r\n.a line that starts with a dot\r\n..and two\r\n.\r\nend\r\n"
).encode()


# Plain delivery and sessions


@pytest.mark.parametrize("data", [composed_utf8(), RAW_8BIT], ids=["composed", "raw-8bit"])
def test_bytes_arrive_unchanged(smtp_server: StartSmtpServer, data: bytes) -> None:
    server = smtp_server()
    [delivery] = send(transport(server), ("juergen@acme.example", data))
    assert delivery.verdict is Verdict.SENT and delivery.code == 250
    [got] = server.received
    assert got.data == data
    assert (got.mail_from, got.rcpt_tos) == (SENDER, ("juergen@acme.example",))


def test_many_messages_share_one_session(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()
    items = [(f"p{i}@acme.example", message(i)) for i in range(50)]
    deliveries = send(transport(server), *items)
    assert all(d.sent for d in deliveries)
    assert [(m.rcpt_tos[0], m.data) for m in server.received] == items
    assert len({m.peer for m in server.received}) == 1


def test_idle_session_closed_by_the_server_is_reopened(smtp_server: StartSmtpServer) -> None:
    server = smtp_server(idle_timeout=0.2)

    async def pause(i: int) -> None:
        if i:
            await asyncio.sleep(0.5)  # the server hangs up meanwhile

    deliveries = send_all(transport(server), [("a@acme.example", message(1))] * 2, pause)
    assert [d.verdict for d in deliveries] == [Verdict.SENT, Verdict.SENT]
    assert len(server.received) == 2
    assert server.received[0].peer != server.received[1].peer


def test_idle_check_noop_keeps_a_live_session(
    smtp_server: StartSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smtp_module, "IDLE_CHECK", 0.0)  # NOOP before every reuse
    server = smtp_server()
    deliveries = send(transport(server), *[("a@acme.example", message(i)) for i in range(3)])
    assert all(d.sent for d in deliveries)
    assert len({m.peer for m in server.received}) == 1 and len(server.received) == 3


def test_utf8_address_uses_smtputf8(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()
    [delivery] = send(transport(server), ("jürgen@acme.example", message()))
    assert delivery.sent
    assert server.received[0].rcpt_tos == ("jürgen@acme.example",)


def test_unsafe_recipient_is_refused_before_sending(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()
    [bad, good] = send(
        transport(server),
        ("x@acme.example>\r\nRCPT TO:<y@evil.example", message(1)),
        ("ok@acme.example", message(2)),
    )
    assert (bad.verdict, bad.scope) == (Verdict.PERMANENT, Scope.RECIPIENT)
    assert good.sent
    assert [m.rcpt_tos for m in server.received] == [("ok@acme.example",)]


# TLS


def test_starttls_verified_against_the_test_ca(smtp_server: StartSmtpServer) -> None:
    server = smtp_server(security="starttls")
    [delivery] = send(transport(server), ("a@acme.example", message()))
    assert delivery.sent
    assert len(server.received) == 1


def test_implicit_tls(smtp_server: StartSmtpServer) -> None:
    server = smtp_server(security="tls")
    [delivery] = send(transport(server), ("a@acme.example", message()))
    assert delivery.sent
    assert len(server.received) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_untrusted_self_signed_certificate_is_a_permanent_mailbox_failure(
    smtp_server: StartSmtpServer, security: Any
) -> None:
    server = smtp_server(security=security, certificate="self-signed")
    [delivery] = send(transport(server, tls_context=None), ("a@acme.example", message()))
    assert (delivery.verdict, delivery.scope) == (Verdict.PERMANENT, Scope.MAILBOX)
    assert "certificate" in delivery.detail
    assert server.received == []


def test_a_ca_that_did_not_sign_it_is_not_trusted_either(smtp_server: StartSmtpServer) -> None:
    trusted = smtp_server(security="starttls")
    server = smtp_server(security="starttls", certificate="self-signed")
    t = transport(server, tls_context=trusted.client_tls)
    [delivery] = send(t, ("a@acme.example", message()))
    assert (delivery.verdict, delivery.scope) == (Verdict.PERMANENT, Scope.MAILBOX)
    assert server.received == []


def test_verify_tls_false_accepts_the_self_signed_certificate(
    smtp_server: StartSmtpServer,
) -> None:
    server = smtp_server(security="starttls", certificate="self-signed")
    t = transport(server, server.config(verify_tls=False), tls_context=None)
    [delivery] = send(t, ("a@acme.example", message()))
    assert delivery.sent
    assert len(server.received) == 1


def test_starttls_required_but_not_offered_sends_nothing(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()  # plain: no STARTTLS, as if a middlebox stripped it
    [delivery] = send(
        transport(server, server.config(security="starttls")), ("a@x.example", message())
    )
    assert (delivery.verdict, delivery.scope) == (Verdict.PERMANENT, Scope.MAILBOX)
    assert "STARTTLS" in delivery.detail
    assert server.received == []


def test_tls_handshake_failure_is_temporary(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()  # implicit TLS against a server speaking plain SMTP
    [delivery] = send(transport(server, server.config(security="tls")), ("a@x.example", message()))
    assert (delivery.verdict, delivery.scope) == (Verdict.TEMPORARY, Scope.MAILBOX)
    assert server.received == []


# AUTH


@pytest.mark.parametrize("security", ["starttls", "tls", "none"])
def test_auth_succeeds(smtp_server: StartSmtpServer, security: Any) -> None:
    server = smtp_server(security=security, auth=True)
    deliveries = send(transport(server), *[("a@acme.example", message(i)) for i in range(3)])
    assert all(d.sent for d in deliveries)
    assert len(server.received) == 3


def test_auth_is_required_by_the_test_server(smtp_server: StartSmtpServer) -> None:
    server = smtp_server(security="starttls", auth=True)
    [delivery] = send(transport(server, server.config(username="")), ("a@acme.example", message()))
    assert (delivery.verdict, delivery.scope, delivery.code) == (
        Verdict.PERMANENT,
        Scope.MAILBOX,
        530,
    )
    assert server.received == []


def test_wrong_password_is_a_permanent_mailbox_failure(
    smtp_server: StartSmtpServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WRONG_SMTP_PASSWORD", "hunter2-not-it")
    server = smtp_server(security="starttls", auth=True)
    t = transport(server, server.config(password_env="WRONG_SMTP_PASSWORD"))
    with caplog.at_level("DEBUG"):
        [delivery] = send(t, ("a@acme.example", message()))
    assert (delivery.verdict, delivery.scope, delivery.code) == (
        Verdict.PERMANENT,
        Scope.MAILBOX,
        535,
    )
    assert "hunter2" not in caplog.text and "hunter2" not in repr(delivery)
    assert server.received == []


def test_missing_password_fails_without_connecting(smtp_server: StartSmtpServer) -> None:
    server = smtp_server(security="starttls", auth=True)
    t = transport(server, server.config(password_env="NO_SUCH_VARIABLE_SET"))
    [delivery] = send(t, ("a@acme.example", message()))
    assert (delivery.verdict, delivery.scope) == (Verdict.PERMANENT, Scope.MAILBOX)
    assert "NO_SUCH_VARIABLE_SET" in delivery.detail
    assert server.received == []


# Refusals by the server


def test_421_greeting_is_temporary_for_the_mailbox(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()
    server.inject("connect", Fault("421 4.3.2 Service not available", times=1))
    first, second = send(
        transport(server), ("a@acme.example", message(1)), ("a@x.example", message(2))
    )
    assert (first.verdict, first.scope, first.code) == (Verdict.TEMPORARY, Scope.MAILBOX, 421)
    assert "Service not available" in first.detail
    assert second.sent
    assert [m.data for m in server.received] == [message(2)]


def test_per_recipient_refusals(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()
    server.inject("rcpt", Fault("451 4.7.1 Greylisted, try later", address="later@acme.example"))
    server.inject("rcpt", Fault("550 5.1.1 No such user", address="gone@acme.example"))
    deliveries = send(
        transport(server),
        ("ok@acme.example", message(1)),
        ("later@acme.example", message(2)),
        ("gone@acme.example", message(3)),
        ("ok@acme.example", message(4)),
    )
    outcomes = [(d.verdict, d.scope, d.code) for d in deliveries]
    assert outcomes == [
        (Verdict.SENT, Scope.NONE, 250),
        (Verdict.TEMPORARY, Scope.RECIPIENT, 451),
        (Verdict.PERMANENT, Scope.RECIPIENT, 550),
        (Verdict.SENT, Scope.NONE, 250),
    ]
    assert "No such user" in deliveries[2].detail
    assert [m.data for m in server.received] == [message(1), message(4)]
    assert len({m.peer for m in server.received}) == 1  # a refusal does not cost the session


@pytest.mark.parametrize(
    ("reply", "verdict", "scope"),
    [
        ("451 4.3.0 Local error, try later", Verdict.TEMPORARY, Scope.MAILBOX),
        ("550 5.7.1 Sender not allowed", Verdict.PERMANENT, Scope.MAILBOX),
    ],
)
def test_mail_from_refusals_are_the_mailbox(
    smtp_server: StartSmtpServer, reply: str, verdict: Verdict, scope: Scope
) -> None:
    server = smtp_server()
    server.inject("mail", Fault(reply, times=1))
    first, second = send(
        transport(server), ("a@acme.example", message(1)), ("a@x.example", message(2))
    )
    assert (first.verdict, first.scope, first.code) == (verdict, scope, int(reply[:3]))
    assert second.sent
    assert [m.data for m in server.received] == [message(2)]


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("452 4.3.1 Insufficient system storage", Verdict.TEMPORARY),
        ("554 5.6.0 Message content rejected", Verdict.PERMANENT),
    ],
)
def test_refusal_at_end_of_data_is_the_message(
    smtp_server: StartSmtpServer, reply: str, verdict: Verdict
) -> None:
    server = smtp_server()
    server.inject("data", Fault(reply, times=1))
    first, second = send(
        transport(server), ("a@acme.example", message(1)), ("a@x.example", message(2))
    )
    assert (first.verdict, first.scope, first.code) == (verdict, Scope.MESSAGE, int(reply[:3]))
    assert reply[4:] in first.detail
    assert second.sent
    assert [m.data for m in server.received] == [message(2)]


def test_421_mid_session_is_the_mailbox_and_reconnects(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()
    server.inject(
        "rcpt", Fault("421 4.4.2 Closing, too many errors", times=1, address="b@x.example")
    )
    deliveries = send(
        transport(server),
        ("a@x.example", message(1)),
        ("b@x.example", message(2)),
        ("c@x.example", message(3)),
    )
    assert [(d.verdict, d.scope) for d in deliveries] == [
        (Verdict.SENT, Scope.NONE),
        (Verdict.TEMPORARY, Scope.MAILBOX),
        (Verdict.SENT, Scope.NONE),
    ]
    assert [m.data for m in server.received] == [message(1), message(3)]


# Connections that fail


def test_dropped_during_data_is_temporary_and_the_next_send_reconnects(
    smtp_server: StartSmtpServer,
) -> None:
    server = smtp_server(security="starttls")
    deliveries = send(transport(server), ("a@x.example", message(1)))
    server.inject("data", Fault(drop=True, times=1))
    deliveries += send_all(
        transport(server), [("a@x.example", message(2)), ("a@x.example", message(3))], _nothing
    )
    assert [(d.verdict, d.scope) for d in deliveries] == [
        (Verdict.SENT, Scope.NONE),
        (Verdict.TEMPORARY, Scope.MAILBOX),
        (Verdict.SENT, Scope.NONE),
    ]
    assert [m.data for m in server.received] == [message(1), message(3)]


def test_drop_then_resend_in_one_session_uses_a_new_connection(
    smtp_server: StartSmtpServer,
) -> None:
    server = smtp_server()
    server.inject("data", Fault(drop=True, times=1, stall=0.05))
    sent = send(transport(server), ("a@x.example", message(1)), ("a@x.example", message(1)))
    assert [d.verdict for d in sent] == [Verdict.TEMPORARY, Verdict.SENT]
    assert [m.data for m in server.received] == [message(1)]


@pytest.mark.parametrize("stage", ["connect", "mail", "rcpt", "data"])
def test_a_stalling_server_times_out_as_temporary(smtp_server: StartSmtpServer, stage: Any) -> None:
    server = smtp_server()
    server.inject(stage, Fault(stall=10.0, times=1))
    t = transport(server, timeout=0.5)
    started = time.monotonic()
    first, second = send(t, ("a@x.example", message(1)), ("a@x.example", message(2)))
    first_took = time.monotonic() - started
    assert (first.verdict, first.scope) == (Verdict.TEMPORARY, Scope.MAILBOX)
    assert "timed out" in first.detail.lower()
    assert 0.4 < first_took < 2.0  # about the timeout, not the stall
    assert second.sent
    assert [m.data for m in server.received] == [message(2)]


def test_connection_refused_is_temporary(smtp_server: StartSmtpServer) -> None:
    server = smtp_server()
    t = transport(server)
    server.stop()  # nobody listens on the port any more
    [delivery] = send(t, ("a@x.example", message()))
    assert (delivery.verdict, delivery.scope) == (Verdict.TEMPORARY, Scope.MAILBOX)
    assert "connection failed" in delivery.detail
    assert server.received == []


def test_cancelled_send_propagates_and_the_next_send_reconnects(
    smtp_server: StartSmtpServer,
) -> None:
    server = smtp_server()
    server.inject("data", Fault(stall=10.0, times=1))

    async def main() -> Delivery:
        async with transport(server) as t:
            attempt = asyncio.create_task(
                t.send(sender=SENDER, recipient="a@x.example", data=message(1))
            )
            await asyncio.sleep(0.3)
            attempt.cancel()
            with pytest.raises(asyncio.CancelledError):
                await attempt
            return await t.send(sender=SENDER, recipient="a@x.example", data=message(2))

    assert run(main()).sent
    assert [m.data for m in server.received] == [message(2)]


def test_an_unexpected_library_error_becomes_a_delivery(
    smtp_server: StartSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server()
    original = aiosmtplib.SMTP.sendmail
    calls = 0

    async def flaky(self: aiosmtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug in the library")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(aiosmtplib.SMTP, "sendmail", flaky)
    first, second = send(
        transport(server), ("a@x.example", message(1)), ("a@x.example", message(2))
    )
    assert (first.verdict, first.scope) == (Verdict.TEMPORARY, Scope.MAILBOX)
    assert "RuntimeError" in first.detail
    assert second.sent
    assert [m.data for m in server.received] == [message(2)]


# Classification of replies


@pytest.mark.parametrize(
    ("code", "given", "verdict", "scope"),
    [
        (451, Scope.RECIPIENT, Verdict.TEMPORARY, Scope.RECIPIENT),
        (550, Scope.RECIPIENT, Verdict.PERMANENT, Scope.RECIPIENT),
        (554, Scope.MESSAGE, Verdict.PERMANENT, Scope.MESSAGE),
        (421, Scope.RECIPIENT, Verdict.TEMPORARY, Scope.MAILBOX),
        (421, Scope.MESSAGE, Verdict.TEMPORARY, Scope.MAILBOX),
        (530, Scope.RECIPIENT, Verdict.PERMANENT, Scope.MAILBOX),  # authentication required
        (535, Scope.MAILBOX, Verdict.PERMANENT, Scope.MAILBOX),
        (454, Scope.MAILBOX, Verdict.TEMPORARY, Scope.MAILBOX),
        (250, Scope.MESSAGE, Verdict.TEMPORARY, Scope.MAILBOX),  # out of step
    ],
)
def test_reply_classification(code: int, given: Scope, verdict: Verdict, scope: Scope) -> None:
    delivery = reply_delivery(code, "text", given)
    assert (delivery.verdict, delivery.scope, delivery.code, delivery.detail[-4:]) == (
        verdict,
        scope,
        code,
        "text",
    )


def test_copies_ride_on_the_envelope_and_a_refused_copy_does_not_fail_the_message(
    smtp_server: StartSmtpServer,
) -> None:
    server = smtp_server()
    server.inject("rcpt", Fault("550 5.1.1 No such user", address="gone-ae@northwind.example"))
    server.inject("rcpt", Fault("550 5.1.1 No such user", address="gone@acme.example"))

    async def main() -> list[Delivery]:
        async with transport(server) as t:
            return [
                await t.send(
                    sender=SENDER,
                    recipient="ann@acme.example",
                    data=message(1),
                    copies=("dana@northwind.example",),
                ),
                await t.send(
                    sender=SENDER,
                    recipient="bob@acme.example",
                    data=message(2),
                    copies=("gone-ae@northwind.example",),
                ),
                await t.send(
                    sender=SENDER,
                    recipient="gone@acme.example",
                    data=message(3),
                    copies=("dana@northwind.example",),
                ),
            ]

    first, second, third = asyncio.run(main())
    assert first.sent and second.sent
    assert (third.verdict, third.scope, third.code) == (Verdict.PERMANENT, Scope.RECIPIENT, 550)
    assert third.copies_sent and not first.copies_sent
    assert [m.rcpt_tos for m in server.received] == [
        ("ann@acme.example", "dana@northwind.example"),
        ("bob@acme.example",),
        ("dana@northwind.example",),  # the AE got it; the prospect's address is the bounce
    ]
