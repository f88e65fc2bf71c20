"""An in-process SMTP server on aiosmtpd that keeps what it receives.

The SMTP bench sends to it and the test server (tests/smtp_server.py) builds its fault
injection on it, so both talk to the same real server over real sockets. It runs on
aiosmtpd's threaded `Controller` (its own thread and event loop) on 127.0.0.1 with a
port picked by the OS.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import weakref
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Security = Literal["none", "starttls", "tls"]
Stage = Literal["connect", "mail", "rcpt", "data"]
"""Where a handler may answer in place of the server: the greeting, MAIL FROM, RCPT TO,
and the end of DATA (after the content arrived, before the reply)."""

USER = "sdr@example.test"
PASSWORD = "correct horse battery staple"
HOSTNAME = "sink.example.test"

# aiosmtpd logs a deprecation warning of its own on every successful AUTH; keep errors.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Received:
    """One accepted message as it came off the wire (dot-unstuffed DATA content)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: str  # "host:port" of the client connection: tells sessions apart


class Recorder:
    """aiosmtpd handler: records every accepted message, thread-safely.

    `react` is the seam for faults: a subclass returns a reply to send instead of the
    normal one, and may sleep or drop the connection first.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    async def react(self, server: SMTP, stage: Stage, address: str | None) -> str | None:
        """The reply to give at `stage` instead of the normal one; None carries on."""
        return None

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        reply = await self.react(server, "mail", address)
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = await self.react(server, "rcpt", address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = await self.react(server, "data", None)
        if reply is not None:
            return reply
        data = envelope.original_content or b""
        peer: Any = session.peer  # (host, port, ...) for TCP; typed loosely upstream
        host, port = peer[:2]
        message = Received(
            envelope.mail_from or "", tuple(envelope.rcpt_tos), data, f"{host}:{port}"
        )
        with self._lock:
            self._messages.append(message)
            number = len(self._messages)
        return f"250 2.0.0 OK queued as {number}"


class _SinkSMTP(SMTP):
    """aiosmtpd's server with a seam at the greeting (where 421 and stalls happen) and
    AUTH required on any transport: aiosmtpd's own `auth_required` does not count
    implicit TLS as TLS and warns on every connection."""

    def __init__(self, handler: Recorder, *, must_auth: bool = False, **options: Any) -> None:
        super().__init__(handler, **options)
        self._must_auth = must_auth

    async def check_auth_needed(self, caller_method: str) -> bool:
        assert self.session is not None
        if self._must_auth and not self.session.authenticated:
            await self.push("530 5.7.0 Authentication required")
            return True
        return False

    async def _handle_client(self) -> None:
        reply = await self.event_handler.react(self, "connect", None)
        if reply is None:
            await super()._handle_client()
            return
        await self.push(reply)
        if self.transport is not None:
            self.transport.close()


class _Controller(Controller):
    """aiosmtpd's controller, fixed for port 0 (it would poll port 0 at start: read the
    bound port first) and for stopping with clients still connected (their sockets
    would leak: Python 3.11's `Server.close` leaves accepted connections open)."""

    def __init__(self, handler: Recorder, **options: Any) -> None:
        super().__init__(handler, **options)
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def factory(self) -> SMTP:
        smtp = _SinkSMTP(self.handler, **self.SMTP_kwargs)
        self._sessions.add(smtp)
        return smtp

    def stop(self, no_assert: bool = False) -> None:
        if self._thread is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._hang_up(), self.loop).result(timeout=5)
        super().stop(no_assert)

    async def _hang_up(self) -> None:
        for smtp in list(self._sessions):
            if isinstance(smtp.transport, asyncio.WriteTransport):
                smtp.transport.abort()
        for _ in range(3):  # let connection_lost run and close the sockets
            await asyncio.sleep(0)

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


def _check_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


class SmtpSink:
    """A running server: `with SmtpSink(...) as sink:` then connect to `sink.port`.

    `security` is "none", "starttls" (the certificate in `tls`, AUTH offered only after
    STARTTLS as on a real submission server) or "tls" (implicit TLS from the first byte).
    With `auth`, AUTH PLAIN/LOGIN for USER/PASSWORD is required before MAIL FROM.
    """

    def __init__(
        self,
        handler: Recorder | None = None,
        *,
        security: Security = "none",
        tls: ssl.SSLContext | None = None,
        auth: bool = False,
        idle_timeout: float = 300.0,
    ) -> None:
        if security != "none" and tls is None:
            raise ValueError(f"security={security!r} needs a server TLS context")
        self.handler = handler or Recorder()
        self.security = security
        self.host = "127.0.0.1"
        options: dict[str, Any] = {
            "server_hostname": HOSTNAME,
            "must_auth": auth,
            "auth_require_tls": security == "starttls",
            "authenticator": _check_login,
            "timeout": idle_timeout,  # seconds of client silence before the server hangs up
        }
        if security == "starttls":
            options["tls_context"] = tls
        elif security == "tls":
            options["ssl_context"] = tls
        self._running = False
        self._controller = _Controller(self.handler, hostname=self.host, port=0, **options)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[Received]:
        """A snapshot of every message accepted so far, in arrival order."""
        return self.handler.messages()

    def start(self) -> None:
        self._controller.start()
        self._running = True

    def stop(self) -> None:
        """Stop listening; a second call does nothing (a test may stop it early)."""
        if self._running:
            self._running = False
            self._controller.stop()

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class TlsPair:
    """A server context with a certificate for 127.0.0.1 and a client context trusting it."""

    server: ssl.SSLContext
    client: ssl.SSLContext


def trusted_tls(ca: trustme.CA | None = None) -> TlsPair:
    """Certificates from a throwaway CA (trustme): verification on, as in production."""
    ca = ca or trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client)
    return TlsPair(server, client)
