"""The sandbox's SMTP side: aiosmtpd on loopback, every accepted message kept as an .eml file.

The server is aiosmtpd's `SMTP` protocol on a loop the sandbox owns (not its threaded
`Controller`, which cannot bind port 0 and would add a thread per server); the bound port
is read back from the listening socket.

AUTH works without TLS because the server listens on 127.0.0.1 only, so no password
crosses a network. A login is still required before MAIL FROM, as at a real provider,
so a daemon that forgets to log in fails here first.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOSTNAME = "prospector-sandbox"
_NAME = re.compile(r"(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<counter>\d+)\.eml")


class _QuietLoginData(logging.Filter):
    """aiosmtpd sets its own deprecated `Session.login_data` on every successful AUTH and
    logs a warning about it each time; nothing here uses it, so the warning is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


logging.getLogger("mail.log").addFilter(_QuietLoginData())  # aiosmtpd's logger


class Delivered:
    """The folder of accepted messages: one file each, the exact bytes, in arrival order.

    A name is `<UTC time to the microsecond>-<counter>.eml`. Time never goes backwards in
    the names (a clock stepping back reuses the last time) and the counter carries on from
    the files already there, so sorting the names is arrival order, across restarts too.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._last_stamp = ""
        self._counter = 0
        for path in delivered_files(directory):
            match = _NAME.fullmatch(path.name)
            if match:
                self._last_stamp = max(self._last_stamp, match["stamp"])
                self._counter = max(self._counter, int(match["counter"]))

    def keep(self, data: bytes) -> Path:
        """Write atomically (temp file, fsync, rename): a reader never sees half a message."""
        with self._lock:
            stamp = max(datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ"), self._last_stamp)
            self._last_stamp = stamp
            self._counter += 1
            name = f"{stamp}-{self._counter:06d}.eml"
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / name
        temporary = self.directory / f".{name}.tmp"
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(final)
        return final


def delivered_files(directory: Path) -> list[Path]:
    """The kept messages in `directory`, oldest first (temp files of a write are skipped)."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if _NAME.fullmatch(path.name))


class _Handler:
    """aiosmtpd hooks: refuse MAIL FROM before AUTH, keep the message at the end of DATA."""

    def __init__(self, delivered: Delivered, file_sent: Callable[[str, bytes], None]) -> None:
        self._delivered = delivered
        self._file_sent = file_sent

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content
        assert data is not None  # aiosmtpd sets it before calling this hook
        path = self._delivered.keep(data)
        if isinstance(session.auth_data, str):  # the logged-in mailbox (see _Authenticator)
            self._file_sent(session.auth_data, data)
        return f"250 2.0.0 OK: queued as {path.stem}"


class _Authenticator:
    """Accepts a known login (case-insensitive) with its password, compared in constant time."""

    def __init__(self, logins: Mapping[str, str]) -> None:
        self._logins = {user.lower(): password.encode() for user, password in logins.items()}

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace").lower()
        expected = self._logins.get(user)
        ok = expected is not None and hmac.compare_digest(expected, auth_data.password)
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)


async def serve_smtp(
    host: str,
    port: int,
    delivered: Delivered,
    logins: Mapping[str, str],
    file_sent: Callable[[str, bytes], None],
) -> asyncio.Server:
    """Listen on `host:port` (0: any free port) on the running loop; every accepted message
    is kept in `delivered` and filed in the sender's Sent folder by `file_sent`."""
    loop = asyncio.get_running_loop()
    handler = _Handler(delivered, file_sent)
    authenticator = _Authenticator(logins)

    def protocol() -> SMTP:
        return SMTP(
            handler,
            hostname=HOSTNAME,  # else aiosmtpd asks DNS for the machine's FQDN
            ident="prospector sandbox (aiosmtpd)",
            enable_SMTPUTF8=True,
            auth_require_tls=False,  # loopback only, see the module docstring
            authenticator=authenticator,
            loop=loop,
        )

    return await loop.create_server(protocol, host=host, port=port)
