"""SMTP throughput of one SmtpTransport connection against the in-process aiosmtpd sink.

Run: .venv/bin/python -m bench.smtp [--messages 2000]
Sends N small composed messages without pacing over one connection, first in plain
text, then with STARTTLS and AUTH, and prints messages/s for each. Target: at least
300 messages/s per connection. Client and server share this process (two threads).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime

from bench.smtp_sink import PASSWORD, USER, Security, SmtpSink, trusted_tls
from prospector.adapters.smtp import SmtpTransport
from prospector.config import Server
from prospector.mail.compose import build_message, wire_bytes

TARGET = 300.0
PASSWORD_ENV = "PROSPECTOR_BENCH_SMTP_PASSWORD"


def sample(n: int) -> bytes:
    """A typical referral ask: a few hundred bytes of plain text."""
    msg = build_message(
        from_name="Maria Lopez",
        from_address="maria@northwind.example",
        to_name="Alex Kim",
        to_address=f"alex{n}@acme.example",
        subject="Who handles logistics?",
        body="Hi Alex,\n\nwho is the right person to talk to about logistics at Acme?\n\nMaria\n",
        message_id=f"<bench{n}@northwind.example>",
        date=datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
        footer='Reply "unsubscribe" to opt out.\nNorthwind, 1 Main St, Springfield',
        list_unsubscribe_mailto="unsubscribe@northwind.example",
        list_unsubscribe_url=None,
    )
    return wire_bytes(msg)


async def _send_all(transport: SmtpTransport, messages: list[bytes]) -> float:
    async with transport:
        started = time.perf_counter()
        for n, data in enumerate(messages):
            delivery = await transport.send(
                sender="maria@northwind.example", recipient=f"alex{n}@acme.example", data=data
            )
            if not delivery.sent:
                raise SystemExit(f"message {n} was not sent: {delivery}")
        return time.perf_counter() - started


def measure(count: int, security: Security, auth: bool) -> float:
    """Messages per second over one connection (connect, TLS and AUTH included)."""
    tls = trusted_tls()
    messages = [sample(n) for n in range(count)]
    with SmtpSink(security=security, tls=tls.server, auth=auth) as sink:
        server = Server(
            host=sink.host,
            port=sink.port,
            security=security,
            username=USER if auth else "",
            password_env=PASSWORD_ENV if auth else "",
        )
        transport = SmtpTransport(server, tls_context=tls.client, local_hostname="bench.example")
        seconds = asyncio.run(_send_all(transport, messages))
        received = sink.messages
    if len(received) != count or len({m.peer for m in received}) != 1:
        raise SystemExit(f"the sink got {len(received)} of {count} messages, or over >1 session")
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="messages per run")
    args = parser.parse_args()
    os.environ[PASSWORD_ENV] = PASSWORD
    runs: list[tuple[str, Security, bool]] = [
        ("plain, no AUTH", "none", False),
        ("STARTTLS + AUTH", "starttls", True),
    ]
    for label, security, auth in runs:
        rate = measure(args.messages, security, auth)
        verdict = "ok" if rate >= TARGET else "below target"
        print(
            f"{label:<16} {args.messages} messages, one connection: {rate:,.0f} messages/s"
            f" (target >= {TARGET:.0f}: {verdict})"
        )


if __name__ == "__main__":
    main()
