"""A real SMTP server for tests: bench's aiosmtpd sink plus faults at chosen stages.

Faults are injected through the handler's hooks, so the client meets them over a real
socket exactly as it would meet a misbehaving server: a 421 greeting, a 451 or 550 for
one recipient, a refusal at the end of DATA, a connection dropped before the reply to
the message, or a server that goes silent past the client's timeout.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import trustme
from aiosmtpd.smtp import SMTP
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.smtp_sink import PASSWORD, USER, Received, Recorder, Security, SmtpSink, Stage, TlsPair
from bench.smtp_sink import trusted_tls as _new_trusted_tls
from prospector.config import Server

__all__ = [
    "PASSWORD",
    "PASSWORD_ENV",
    "USER",
    "Certificate",
    "Fault",
    "Received",
    "Security",
    "SmtpTestServer",
    "Stage",
    "StartSmtpServer",
]

PASSWORD_ENV = "PROSPECTOR_TEST_SMTP_PASSWORD"
Certificate = Literal["trusted", "self-signed"]


@dataclass(frozen=True)
class Fault:
    """What the server does instead of its normal reply at a stage.

    `reply` replaces the reply ("451 4.7.1 Try again later"); None keeps the normal one.
    `drop` aborts the connection instead of replying (at "data": after the content
    arrived, so the client cannot know whether it was taken). `stall` is seconds of
    silence first. `address` limits a "rcpt" fault to one recipient. `times` is how
    often it fires before the server behaves again (None: every time).
    """

    reply: str | None = None
    drop: bool = False
    stall: float = 0.0
    address: str | None = None
    times: int | None = None


@dataclass
class _Armed:
    stage: Stage
    fault: Fault
    left: int | None = field(default=None)


class FaultyRecorder(Recorder):
    """The sink's handler, answering with the injected faults first."""

    def __init__(self) -> None:
        super().__init__()
        self._faults_lock = threading.Lock()
        self._faults: list[_Armed] = []

    def inject(self, stage: Stage, fault: Fault) -> None:
        with self._faults_lock:
            self._faults.append(_Armed(stage, fault, fault.times))

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def _take(self, stage: Stage, address: str | None) -> Fault | None:
        """The first fault armed for this stage (and address), used up if counted."""
        with self._faults_lock:
            for armed in self._faults:
                wanted = armed.fault.address
                if armed.stage != stage or (
                    wanted is not None and (address or "").lower() != wanted.lower()
                ):
                    continue
                if armed.left is not None:
                    armed.left -= 1
                    if armed.left <= 0:
                        self._faults.remove(armed)
                return armed.fault
        return None

    async def react(self, server: SMTP, stage: Stage, address: str | None) -> str | None:
        fault = self._take(stage, address)
        if fault is None:
            return None
        if fault.stall:
            await asyncio.sleep(fault.stall)
        if fault.drop:
            if isinstance(server.transport, asyncio.WriteTransport):
                server.transport.abort()
            await asyncio.Event().wait()  # aiosmtpd cancels this task when the socket closes
        return fault.reply


class SmtpTestServer:
    """One running server on 127.0.0.1; `received` is exactly what it accepted."""

    def __init__(
        self,
        *,
        security: Security = "none",
        auth: bool = False,
        certificate: Certificate = "trusted",
        idle_timeout: float = 300.0,
    ) -> None:
        self.security = security
        self.auth = auth
        self.handler = FaultyRecorder()
        tls = _trusted_tls() if certificate == "trusted" else _self_signed_tls()
        self.client_tls: ssl.SSLContext | None = None if security == "none" else tls.client
        """A client context that trusts this server's certificate (None when plain)."""
        self._sink = SmtpSink(
            self.handler, security=security, tls=tls.server, auth=auth, idle_timeout=idle_timeout
        )

    @property
    def host(self) -> str:
        return self._sink.host

    @property
    def port(self) -> int:
        return self._sink.port

    @property
    def received(self) -> list[Received]:
        return self._sink.messages

    def inject(self, stage: Stage, fault: Fault) -> None:
        self.handler.inject(stage, fault)

    def clear_faults(self) -> None:
        self.handler.clear_faults()

    def config(self, **changes: Any) -> Server:
        """A mailbox's `Server` pointing here; AUTH credentials when the server wants them."""
        values: dict[str, Any] = {"host": self.host, "port": self.port, "security": self.security}
        if self.auth:
            values |= {"username": USER, "password_env": PASSWORD_ENV}
        return Server(**(values | changes))

    def start(self) -> None:
        self._sink.start()

    def stop(self) -> None:
        self._sink.stop()


class StartSmtpServer(Protocol):
    """The `smtp_server` fixture: starts a server, stopped when the test ends."""

    def __call__(
        self,
        *,
        security: Security = "none",
        auth: bool = False,
        certificate: Certificate = "trusted",
        idle_timeout: float = 300.0,
    ) -> SmtpTestServer: ...


@functools.cache
def _trusted_tls() -> TlsPair:
    """One CA for the whole run: making keys is the slow part."""
    return _new_trusted_tls(trustme.CA())


@functools.cache
def _self_signed_tls() -> TlsPair:
    """A certificate for 127.0.0.1 signed by its own key: nobody trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with trustme.Blob(pem).tempfile() as path:
        server.load_cert_chain(path)
    return TlsPair(server, ssl.create_default_context())
