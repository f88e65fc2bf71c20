"""One mailbox's IMAP server, on imapclient: find sent messages and file copies in Sent.

Synchronous and small on purpose: the daemon uses it for a few commands at a time
(reconciling an uncertain send against Sent, filing a copy of a sent message), so one
short session per use is simpler than a kept connection. Every failure, of the
connection or of a command, comes back as an `ImapError` whose message a human can act
on; the password is never in it, nor in a log line. Reads select folders read-only
(EXAMINE) and fetch with BODY.PEEK, so looking never marks anything \\Seen.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import logging
import re
import socket
import ssl
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from prospector.adapters.tls import client_context
from prospector.config import Server
from prospector.errors import ProspectorError

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "INBOX.Sent")
"""Where a Sent folder usually is when the server does not mark it (RFC 6154)."""
_HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.IGNORECASE)
_BYTES_REPR = re.compile(r"b(['\"])(.*)\1", re.DOTALL)


class ImapError(ProspectorError):
    """The IMAP server could not be reached, refused us, or refused a command."""


class ImapMailbox:
    """One IMAP login: `with ImapMailbox(server) as box:` connects, logs in, logs out."""

    def __init__(
        self,
        server: Server,
        *,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._server = server
        self._timeout = timeout
        self._tls_context = tls_context if server.verify_tls else None
        self._client: imapclient.IMAPClient | None = None

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> None:
        """Open the connection (TLS as configured) and log in; once connected, nothing."""
        if self._client is not None:
            return
        server = self._server
        if not server.username:
            raise ImapError(f"IMAP {self._where}: no username configured")
        password = server.password()
        if not password:
            where = f"${server.password_env} is empty" if server.password_env else "no password_env"
            raise ImapError(f"IMAP {self._where}: no password for {server.username} ({where})")
        client = self._open()
        try:
            client.login(server.username, password)
        except LoginError as exc:
            _shutdown(client)
            reply = _scrub(str(exc), password)
            raise ImapError(
                f"IMAP {self._where}: login refused for {server.username}: {reply}"
            ) from None
        except (IMAPClientError, OSError) as exc:
            _shutdown(client)
            raise ImapError(
                f"IMAP {self._where}: login failed: {_scrub(str(exc), password)}"
            ) from None
        self._client = client
        log.debug("IMAP %s: logged in as %s", self._where, server.username)

    def close(self) -> None:
        """LOGOUT politely; the socket is closed whatever the server does."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            _shutdown(client)

    def find_by_message_id(self, folder: str, message_id: str) -> list[int]:
        """UIDs in `folder` whose Message-ID is exactly `message_id` (angle brackets optional).

        SEARCH HEADER matches substrings, ignoring case, so each hit's header is read back
        and compared exactly.
        """
        wanted = _normalise_id(message_id)
        if wanted is None:
            raise ValueError(f"not a Message-ID: {message_id!r}")
        client = self._connected()
        with self._failing(f"searching {folder!r}"):
            self._examine(client, folder)
            charset = None if wanted.isascii() else "UTF-8"
            hits = client.search(["HEADER", "Message-ID", wanted], charset=charset)
            if not hits:
                return []
            fetched = client.fetch(hits, [_HEADER_ITEM])
        return sorted(int(uid) for uid, data in fetched.items() if _message_id(data) == wanted)

    def append(
        self, folder: str, raw: bytes, *, seen: bool = True, when: datetime | None = None
    ) -> int | None:
        """File `raw` (the exact wire bytes) in `folder`; its UID if the server says (UIDPLUS).

        A copy of a sent message is flagged \\Seen: nobody needs to read it again.
        `when` is the internal date (a naive time is taken as UTC).
        """
        client = self._connected()
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        flags = (imapclient.SEEN,) if seen else ()
        with self._failing(f"appending to {folder!r}"):
            reply = client.append(folder, raw, flags=flags, msg_time=when)
        match = _APPENDUID.search(reply if isinstance(reply, bytes) else b"")
        return int(match.group(1)) if match else None

    def sent_folder(self) -> str | None:
        """The folder marked \\Sent (RFC 6154), else one with a usual Sent name, else None."""
        client = self._connected()
        with self._failing("listing folders"):
            listing = client.list_folders()
        return pick_sent_folder((tuple(flags), str(name)) for flags, _delimiter, name in listing)

    def _open(self) -> imapclient.IMAPClient:
        """Connect and secure the session; TCP_NODELAY because imapclient writes twice."""
        server = self._server
        try:
            client = imapclient.IMAPClient(
                server.host,
                port=server.port or DEFAULT_PORTS[server.security],
                ssl=server.security == "tls",
                ssl_context=self._context(),
                timeout=self._timeout,
            )
        except Exception as exc:
            raise ImapError(f"IMAP {self._where}: {_connect_problem(exc)}") from None
        _no_delay(client)
        if server.security == "starttls":
            try:
                client.starttls(self._context())
            except Exception as exc:
                _shutdown(client)
                raise ImapError(f"IMAP {self._where}: STARTTLS: {_connect_problem(exc)}") from None
            _no_delay(client)
        return client

    def _context(self) -> ssl.SSLContext | None:
        """Built once per transport, by the shared policy in adapters/tls.py."""
        if self._server.security == "none":
            return None
        if self._tls_context is None:
            self._tls_context = client_context(self._server, None)
        return self._tls_context

    def _connected(self) -> imapclient.IMAPClient:
        if self._client is None:
            raise ImapError(f"IMAP {self._where}: not connected (use `with ImapMailbox(...)`)")
        return self._client

    def _examine(self, client: imapclient.IMAPClient, folder: str) -> None:
        """Select read-only, so that nothing (\\Seen, \\Recent) changes by looking."""
        try:
            client.select_folder(folder, readonly=True)
        except IMAPClientError as exc:
            raise ImapError(f"IMAP {self._where}: cannot open folder {folder!r}: {exc}") from None

    @contextlib.contextmanager
    def _failing(self, what: str) -> Iterator[None]:
        """A command's failure, said as one ImapError naming the server and the action."""
        try:
            yield
        except ImapError:
            raise
        except (IMAPClientError, OSError) as exc:
            raise ImapError(f"IMAP {self._where}: {what} failed: {exc}") from exc

    @property
    def _where(self) -> str:
        server = self._server
        return f"{server.host}:{server.port or DEFAULT_PORTS[server.security]}"


def _connect_problem(exc: BaseException) -> str:
    """What went wrong while connecting, in words that point at the fix."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"cannot connect: {exc.strerror or exc}"
    if isinstance(exc, IMAPClientError) and "STARTTLS" in str(exc).upper():
        return "the server does not offer STARTTLS"
    return f"{type(exc).__name__}: {exc}"


def pick_sent_folder(listing: Iterable[tuple[tuple[bytes | str, ...], str]]) -> str | None:
    """From LIST's (attributes, name) pairs: the \\Sent one, else the first usual name."""
    names: dict[str, str] = {}
    for flags, name in listing:
        if any(_text(flag).lower() == "\\sent" for flag in flags):
            return name
        names.setdefault(name.lower(), name)
    for candidate in SENT_NAMES:
        if candidate.lower() in names:
            return names[candidate.lower()]
    return None


def _message_id(data: dict[bytes, object]) -> str | None:
    """The Message-ID in a fetched header block, unfolded and trimmed."""
    for key, value in data.items():
        if key.upper().startswith(b"BODY[") and isinstance(value, bytes):
            header = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(value)
            found = header.get("Message-ID")
            return None if found is None else _normalise_id(str(found))
    return None


def _normalise_id(value: str) -> str | None:
    """`<id>` unfolded and trimmed, brackets added if missing; None if it cannot be one."""
    value = "".join(value.split())  # unfolds a header, and keeps CR/LF out of a command
    if not value.strip("<>"):
        return None
    if not (value.startswith("<") and value.endswith(">")):
        value = f"<{value.strip('<>')}>"
    return value


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _no_delay(client: imapclient.IMAPClient) -> None:
    """imapclient sends a command in two writes; without this, some servers add ~40 ms."""
    with contextlib.suppress(OSError):
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _shutdown(client: imapclient.IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.shutdown()


def _scrub(text: str, password: str) -> str:
    """The server's words, without imapclient's b'' around them and never the password.

    A server may echo what it was sent, so the password is masked whatever it says.
    """
    quoted = _BYTES_REPR.fullmatch(text.strip())
    if quoted:
        text = quoted.group(2)
    return text.replace(password, "***") if password else text
