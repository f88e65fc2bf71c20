"""SMTP submission for one mailbox, on aiosmtplib.

One connection is kept open across sends, because a session of many messages is how
a mail client behaves and it saves a TLS handshake and AUTH per message. Every outcome,
including a library error nobody foresaw, comes back as a `Delivery` the engine acts
on; only cancellation propagates. After anything that leaves the session in an unknown
state, the connection is dropped and the next send opens a new one.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import replace
from types import TracebackType

import aiosmtplib
from aiosmtplib.email import parse_address

from prospector.adapters.tls import client_context
from prospector.config import Server
from prospector.domain.delivery import Delivery, Scope, Verdict

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
IDLE_CHECK = 20.0
"""Seconds a kept connection may sit unused before a NOOP checks it is still alive:
servers and NAT boxes silently drop idle sessions, and a dead one must not cost a send."""
_SENDER_SIDE_CODES = frozenset({421, 432, 454, 530, 534, 535, 538})
"""Replies about our side whatever the stage: service closing, and the AUTH family."""


class _Client(aiosmtplib.SMTP):
    """aiosmtplib's client, except that closing releases the socket at once.

    Its close starts a polite TLS shutdown that waits for the server's reply; after a
    failure the server may never answer, and the socket would outlive the session.
    """

    def close(self) -> None:
        transport = self.transport
        super().close()
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()


class SmtpTransport:
    """Sends prepared messages through one mailbox's SMTP server; connects on first use."""

    def __init__(
        self,
        server: Server,
        *,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self._server = server
        self._timeout = timeout
        self._tls_context = tls_context if server.verify_tls else None
        self._local_hostname = local_hostname
        self._smtp: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> SmtpTransport:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """QUIT politely if the session is alive, then close the socket either way."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await smtp.quit(timeout=min(self._timeout, 5.0))
        except (aiosmtplib.SMTPException, OSError):
            pass  # the server went first; nothing is lost
        finally:
            smtp.close()

    async def send(
        self, *, sender: str, recipient: str, data: bytes, copies: tuple[str, ...] = ()
    ) -> Delivery:
        """Deliver `data` (the exact wire bytes, CRLF) from `sender` to `recipient`.

        `copies` (an AE in copy of an intro) ride on the same envelope; a copy the server
        refuses does not fail the message, which the prospect still gets.
        """
        async with self._lock:
            try:
                return await self._send(sender, recipient, data, copies)
            except asyncio.CancelledError:
                self._drop()
                raise

    async def _send(
        self, sender: str, recipient: str, data: bytes, copies: tuple[str, ...]
    ) -> Delivery:
        checks = [(sender, Scope.MAILBOX), (recipient, Scope.RECIPIENT)]
        for address, scope in [*checks, *((c, Scope.MESSAGE) for c in copies)]:
            if not _carried_unchanged(address):
                return Delivery(Verdict.PERMANENT, scope, detail=f"not a bare address: {address!r}")
        server = self._server
        if server.username and not server.password():
            where = f"${server.password_env}" if server.password_env else "no password_env set"
            return Delivery(
                Verdict.PERMANENT,
                Scope.MAILBOX,
                detail=f"no password for {server.username} ({where})",
            )
        try:
            smtp = await self._session()
        except Exception as exc:
            self._drop()
            return session_failure(exc)
        try:
            refused, reply = await smtp.sendmail(
                sender,
                [recipient, *copies],
                data,
                mail_options=_mail_options(smtp, sender, recipient, data),
            )
        except Exception as exc:
            delivery = transaction_failure(exc, sender=sender, recipient=recipient)
            if delivery.scope is Scope.MAILBOX or not smtp.is_connected:
                self._drop()
            return delivery
        self._last_used = asyncio.get_running_loop().time()
        if recipient in refused:  # accepted for a copy only: the prospect's address failed
            code, text = refused[recipient]
            failed = reply_delivery(code, text, Scope.RECIPIENT)
            return replace(failed, copies_sent=any(c not in refused for c in copies))
        return Delivery(Verdict.SENT, code=250, detail=reply)

    async def _session(self) -> aiosmtplib.SMTP:
        """The kept connection if it still answers, else a new one (TLS, EHLO, AUTH done)."""
        smtp = self._smtp
        now = asyncio.get_running_loop().time()
        if smtp is not None and smtp.is_connected:
            if now - self._last_used < IDLE_CHECK:
                return smtp
            try:
                await smtp.noop()
                self._last_used = now
                return smtp
            except (aiosmtplib.SMTPException, OSError) as exc:
                log.info("SMTP %s: kept session is gone (%s); reconnecting", self._where, exc)
        self._drop()
        smtp = self._client()
        await smtp.connect()
        if smtp.is_ehlo_or_helo_needed:
            await smtp.ehlo()
        log.debug("SMTP %s: connected", self._where)
        self._smtp = smtp
        self._last_used = now
        return smtp

    def _client(self) -> aiosmtplib.SMTP:
        server = self._server
        return _Client(
            hostname=server.host,
            port=server.port or DEFAULT_PORTS[server.security],
            username=server.username or None,
            password=server.password() if server.username else None,
            local_hostname=self._local_hostname,
            timeout=self._timeout,
            use_tls=server.security == "tls",
            start_tls=server.security == "starttls",
            tls_context=self._context(),
        )

    def _context(self) -> ssl.SSLContext | None:
        """Built once per transport, by the shared policy in adapters/tls.py."""
        if self._server.security == "none":
            return None
        if self._tls_context is None:
            self._tls_context = client_context(self._server, None)
        return self._tls_context

    def _drop(self) -> None:
        """Forget the session without QUIT: its state is unknown, so no command is safe."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    @property
    def _where(self) -> str:
        return f"{self._server.host}:{self._server.port or DEFAULT_PORTS[self._server.security]}"


def _mail_options(smtp: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes) -> list[str]:
    """Declare 8-bit content and UTF-8 addresses, as RFC 6152 and RFC 6531 ask."""
    options = []
    if not data.isascii() and smtp.supports_extension("8bitmime"):
        options.append("BODY=8BITMIME")
    if not (sender.isascii() and recipient.isascii()):
        options.append("SMTPUTF8")
    return options


def transaction_failure(exc: Exception, *, sender: str, recipient: str) -> Delivery:
    """Classify what went wrong between MAIL FROM and the reply to the message content."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        refused = exc.recipients[0]
        return reply_delivery(refused.code, refused.message, Scope.RECIPIENT)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return reply_delivery(exc.code, exc.message, Scope.MAILBOX)
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return reply_delivery(exc.code, exc.message, Scope.MESSAGE)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        # A UTF-8 address and a server without SMTPUTF8: retrying cannot help.
        scope = Scope.RECIPIENT if sender.isascii() else Scope.MAILBOX
        return Delivery(Verdict.PERMANENT, scope, detail=str(exc))
    return session_failure(exc)


def session_failure(exc: Exception) -> Delivery:
    """Classify a failure of the connection itself: connect, TLS, greeting, AUTH, I/O."""
    if (cert := _certificate_error(exc)) is not None:
        return Delivery(Verdict.PERMANENT, Scope.MAILBOX, detail=f"certificate not trusted: {cert}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return reply_delivery(exc.code, exc.message, Scope.MAILBOX)
    if isinstance(exc, TimeoutError):
        return Delivery(Verdict.TEMPORARY, Scope.MAILBOX, detail=f"timed out: {exc}")
    if isinstance(exc, OSError):  # refused, reset, dropped, TLS handshake
        return Delivery(Verdict.TEMPORARY, Scope.MAILBOX, detail=f"connection failed: {exc}")
    if isinstance(exc, aiosmtplib.SMTPException):
        # The server lacks what the config asks for (STARTTLS, AUTH): a human must look.
        return Delivery(Verdict.PERMANENT, Scope.MAILBOX, detail=str(exc))
    log.exception("unexpected error from the SMTP client")
    return Delivery(
        Verdict.TEMPORARY, Scope.MAILBOX, detail=f"unexpected {type(exc).__name__}: {exc}"
    )


def reply_delivery(code: int, text: str, scope: Scope) -> Delivery:
    """A server's refusal: 4xx try later, 5xx give up; 421 and AUTH replies are ours."""
    if code in _SENDER_SIDE_CODES:
        scope = Scope.MAILBOX
    if 400 <= code < 500:
        return Delivery(Verdict.TEMPORARY, scope, code, text)
    if 500 <= code < 600:
        return Delivery(Verdict.PERMANENT, scope, code, text)
    # Not a refusal at all (a 2xx/3xx where another was due): the dialogue is out of step.
    return Delivery(Verdict.TEMPORARY, Scope.MAILBOX, code, f"unexpected reply: {text}")


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """aiosmtplib wraps TLS errors; look through the chain for a failed verification."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _carried_unchanged(address: str) -> bool:
    """A bare addr-spec that aiosmtplib will put on the command line as given.

    aiosmtplib parses what it is handed and sends the parsed result, so a value with
    angle brackets or line breaks would silently go to some other address.
    """
    if not address or "@" not in address or any(c in address for c in "<>\r\n\t "):
        return False
    try:
        return parse_address(address) == address
    except ValueError:
        return False
