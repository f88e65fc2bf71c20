"""The sandbox's IMAP side: pymap's maildir backend on loopback, plain IMAP.

Why the maildir backend: pymap has three. `dict` keeps mail in memory (replies dropped in
would be gone after a restart) and serves one demo user; `redis` needs a Redis server;
`maildir` keeps users in passwd/shadow-style files and each user's mail in Maildir++
folders, all under one directory, so the sandbox's IMAP state is files under `root/imap/`
and survives restarts. Maildir is also a delivery format: a reply is dropped by writing it
into the folder's `new/` (temp file, then rename), which is safe whether the server runs
or not. pymap gives the file a UID the next time a client selects the folder, polls it
(NOOP, SEARCH, FETCH) or idles on it (pymap's IDLE re-reads the folder every second, so an
idling client hears of a dropped message within about two seconds).

Users: one per sending address. The user name is the address in lower case and all share
the sandbox password; each has INBOX and Sent (`mail/<address>/` and its `.Sent/`).

Where pymap needs help, each point checked by the tests:

- pymap serves a maildir message by re-generating it through the stdlib `mailbox` parser,
  which turns every CRLF into LF (IMAP requires CRLF, and the exact bytes are lost). The
  sandbox serves the file's bytes instead, bare LF made CRLF as Dovecot does, so a message
  dropped with CRLF line ends comes back byte for byte.
- pymap writes its state files (UID lists, users) to a temp file in the system temp
  directory and renames it into place, which fails (EXDEV) when the workspace is on
  another file system than /tmp, a tmpfs on many systems. `FileWriteable.file_write` is
  replaced, for the whole process, by the same write with the temp file beside the target.
- pymap writes a response in pieces (`* 1 FETCH `, then `(FLAGS ())`), each its own TCP
  segment; imapclient's IDLE reader can then lose the rest of the line (its issue #519)
  and abort. The sandbox writes each response in one piece, as most servers do. A reader
  must still treat IDLE as a wake-up only and re-sync with UID SEARCH.
- Password checks run on the server's loop, not in pymap's default thread pool, so
  stopping the sandbox leaves no thread behind; there is no TLS and no DNS lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import mailbox
import os
import re
import tempfile
from argparse import Namespace
from asyncio import StreamReader, StreamWriter
from collections.abc import Mapping
from contextlib import AsyncExitStack, closing
from pathlib import Path
from typing import Any

from proxyprotocol.reader import ProxyProtocolReader
from proxyprotocol.sock import SocketInfo
from proxyprotocol.version import ProxyProtocolVersion
from pymap.backend.maildir import Config, Identity, Login
from pymap.backend.maildir.io import FileWriteable
from pymap.backend.maildir.layout import MaildirLayout
from pymap.backend.maildir.mailbox import Maildir
from pymap.backend.maildir.subscriptions import Subscriptions
from pymap.backend.maildir.users import PasswordsFile, UsersFile
from pymap.concurrent import Subsystem
from pymap.context import connection_exit
from pymap.imap import IMAPConnection, IMAPServer
from pymap.imap.state import ConnectionState
from pymap.interfaces.login import IdentityInterface
from pymap.parsing.response import Response
from pysasl.hashing import Cleartext

FOLDERS = ("INBOX", "Sent")
_LAYOUT = "++"  # Maildir++: INBOX is the maildir itself, Sent is its `.Sent/`
_DELIMITER = "/"  # pymap's maildir delimiter as clients see it
_BARE_LF = re.compile(rb"(?<!\r)\n")


class MailStore:
    """The users' maildirs under `base` (pymap's base directory) and the files naming them."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def home(self, user: str) -> Path:
        return self.base / "mail" / user

    def prepare(self, user: str) -> Path:
        """Create the user's INBOX and Sent if missing; idempotent."""
        home = self.home(user)
        home.parent.mkdir(parents=True, exist_ok=True)
        Maildir(str(home), create=True)
        if not (home / ".Sent").is_dir():
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                MaildirLayout.get(str(home), _LAYOUT, Maildir).add_folder("Sent", _DELIMITER)
        return home

    def drop(self, user: str, raw: bytes) -> None:
        """Deliver `raw` unchanged into the user's INBOX (`new/`, via `tmp/` and a rename)."""
        inbox = mailbox.Maildir(str(self.prepare(user)), create=False)
        inbox.add(raw)  # bytes are written as given: only LF is mapped, to LF

    def file_sent(self, user: str, raw: bytes) -> None:
        """What `user` submitted over SMTP, filed in their Sent folder and marked seen, as
        Gmail and Microsoft 365 do: prospector finds crash-interrupted sends there."""
        sent_dir = self.prepare(user) / ".Sent"
        sent = mailbox.Maildir(str(sent_dir), create=False)
        key = sent.add(raw)  # written unchanged into new/, via tmp/ and a rename
        os.rename(sent_dir / "new" / key, sent_dir / "cur" / f"{key}:2,S")

    def clear_stale_locks(self) -> None:
        """Remove lock files a killed server left; only call while no server uses `base`."""
        for lock in self.base.rglob("*.lock"):
            lock.unlink(missing_ok=True)

    async def register(self, logins: Mapping[str, str]) -> None:
        """Write every user with its password and home, and subscribe its folders."""
        base = str(self.base)
        async with UsersFile.with_write(base) as users, PasswordsFile.with_write(base) as shadow:
            for user, password in logins.items():
                users.set(users.build_record(user, f"mail/{user}"))
                shadow.set(shadow.build_record(user, password))
        for user in logins:
            async with Subscriptions.with_write(str(self.prepare(user))) as subscriptions:
                for folder in FOLDERS:
                    subscriptions.add(folder)


async def serve_imap(
    host: str, port: int, store: MailStore, logins: Mapping[str, str]
) -> asyncio.Server:
    """Register the users, then listen on `host:port` (0: any free port) on the running loop."""
    await store.register(logins)
    config = _Config(
        Namespace(),
        base_dir=str(store.base),
        layout=_LAYOUT,
        colon=None,
        host=host,
        port=port,
        tls_enabled=False,
        reject_dnsbl=False,
        hash_context=Cleartext(),  # the password is in `root/password` anyway
        cpu_subsystem=Subsystem.for_asyncio(),
        proxy_protocol=ProxyProtocolVersion.get(None),
    )
    config.apply_context()
    server = _Server(_Login(config), config)
    callback = ProxyProtocolReader(config.proxy_protocol).get_callback(server)
    return await asyncio.start_server(callback, host, port)


class _Config(Config):
    @property
    def greeting(self) -> bytes:
        return b"Server ready prospector-sandbox"  # pymap's default asks DNS for the FQDN


class _Server(IMAPServer):
    """pymap's `IMAPServer.__call__`, running `_Connection` instead of `IMAPConnection`."""

    async def __call__(
        self, reader: StreamReader, writer: StreamWriter, sock_info: SocketInfo
    ) -> None:
        connection = _Connection(self.commands, self._config, reader, writer, sock_info)
        state = ConnectionState(self._login, self._config)
        async with AsyncExitStack() as stack:
            connection_exit.set(stack)
            stack.enter_context(closing(connection))
            await connection.run(state)


class _Connection(IMAPConnection):
    async def write_response(self, resp: Response) -> None:
        """Each response in one write, so a client never reads half a line (see above)."""
        buffer = io.BytesIO()
        await resp.async_write(buffer)
        data = buffer.getvalue()
        try:
            self.writer.write(data)
            await self.writer.drain()
        except ConnectionError:
            pass
        else:
            self._print("%s <--| %s", data)


class _Login(Login):
    async def authorize(self, authenticated: IdentityInterface, authzid: str) -> Identity:
        identity = await super().authorize(authenticated, authzid)
        return _Identity(self.config, self.tokens, identity.name, None, identity.roles)


class _Identity(Identity):
    def _load_maildir(self, mailbox_path: str) -> tuple[Maildir, MaildirLayout[Any]]:
        path = os.path.join(self.config.base_dir, mailbox_path)
        layout = MaildirLayout.get(path, self.config.layout, _ExactMaildir)
        return _ExactMaildir(path, create=not os.path.exists(path)), layout


class _ExactMaildir(Maildir):
    """Hands pymap the stored bytes instead of a re-generated message (see the docstring)."""

    def get_message(self, key: str) -> mailbox.MaildirMessage:
        return _StoredMessage(_BARE_LF.sub(b"\r\n", self.get_bytes(key)))


class _StoredMessage(mailbox.MaildirMessage):
    """pymap only calls bytes() on the message it loads; that returns the stored bytes."""

    def __init__(self, wire: bytes) -> None:
        super().__init__()
        self._wire = wire

    def __bytes__(self) -> bytes:
        return self._wire


def _file_write_beside(self: FileWriteable) -> None:
    """pymap's `FileWriteable.file_write`, with the temp file in the target's directory."""
    target = self.get_file(self.path)
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".", suffix=".tmp")
    try:
        with open(descriptor, "w") as file:
            self.write(file)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    self._touched = False


FileWriteable.file_write = _file_write_beside  # type: ignore[method-assign]
