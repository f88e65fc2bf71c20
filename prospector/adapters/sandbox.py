"""Local sandbox mail servers: run the whole daemon without a real mail account.

`Sandbox` starts a real SMTP server (aiosmtpd) and a real IMAP server (pymap) on
127.0.0.1, both on one thread with its own asyncio loop, so a synchronous daemon can
start and stop them. Every message the SMTP side accepts is kept, byte for byte, as an
.eml file in `root/delivered/` (what "arrived" at the prospects); `drop_reply` puts a
message into a sending mailbox's INBOX, where the daemon reads it over IMAP.

All state is files under `root`, so it survives restarts:

    root/password                the sandbox login password (generated once, mode 0600)
    root/delivered/*.eml         accepted messages, `<UTC time>-<counter>.eml`, arrival order
    root/imap/                   pymap's maildir backend (see `sandbox_imap`)
    root/imap/mail/<address>/    a sending mailbox: INBOX, and Sent in `.Sent/`
    root/sandbox.lock            held while started: one sandbox per root

Each sending address logs in as itself (lower case) with the sandbox password, on both
servers, as it would at a provider. Neither server offers TLS: they listen on loopback
only, so nothing crosses a network.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import logging
import os
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType

from prospector.adapters.sandbox_imap import MailStore, serve_imap
from prospector.adapters.sandbox_reply import reply_to
from prospector.adapters.sandbox_smtp import Delivered, delivered_files, serve_smtp
from prospector.errors import ProspectorError

__all__ = ["Endpoint", "Sandbox", "SandboxEndpoints", "SandboxError", "reply_to"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_GRACE = 1.0
"""Seconds open connections get to close after stop() before the loop is abandoned."""
_ADDRESS = re.compile(r"[^\s@/\\:.][^\s@/\\:]*@[^\s@/\\:]+")


class SandboxError(ProspectorError):
    """The sandbox cannot start: its root is in use or a fixed port is taken."""


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to log in; the password is left out of repr() so logs never show it."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class SandboxEndpoints:
    """The two servers; `smtp` and `imap` log in as the first mailbox, `for_mailbox` as any."""

    smtp: Endpoint
    imap: Endpoint
    mailboxes: tuple[str, ...]

    def for_mailbox(self, address: str) -> SandboxEndpoints:
        """The same servers with `address` as the login (each sending mailbox is a user)."""
        user = address.strip().lower()
        if user not in self.mailboxes:
            raise KeyError(f"{address} is not a sandbox mailbox ({', '.join(self.mailboxes)})")
        return replace(
            self, smtp=replace(self.smtp, username=user), imap=replace(self.imap, username=user)
        )


class Sandbox:
    """Started and stopped by the daemon; its state is files under `root`, kept across restarts."""

    def __init__(
        self,
        root: Path,
        *,
        mailboxes: Sequence[str],
        smtp_port: int = 0,
        imap_port: int = 0,
    ) -> None:
        users = list(dict.fromkeys(_user(address) for address in mailboxes))
        if not users:
            raise ValueError("a sandbox needs at least one sending mailbox")
        self.root = Path(root)
        self.mailboxes: tuple[str, ...] = tuple(users)
        self._ports = (smtp_port, imap_port)
        self._delivered_dir = self.root / "delivered"
        self._store = MailStore(self.root / "imap")
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._lock_file: int | None = None
        self._endpoints: SandboxEndpoints | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> SandboxEndpoints:
        """Listen on 127.0.0.1 (free ports, or the fixed ones given) and return where."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already started")
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock_root()
        try:
            password = self._password()
            for user in self.mailboxes:
                self._store.prepare(user)
            self._store.clear_stale_locks()  # safe: the root lock says no server uses them
            ready: concurrent.futures.Future[tuple[int, int]] = concurrent.futures.Future()
            logins = dict.fromkeys(self.mailboxes, password)
            thread = threading.Thread(
                target=self._run, args=(ready, logins), name="prospector-sandbox", daemon=True
            )
            self._thread = thread
            thread.start()
            try:
                smtp_port, imap_port = ready.result(timeout=START_TIMEOUT)
            except TimeoutError:
                raise SandboxError(
                    f"sandbox: servers did not start in {START_TIMEOUT:g} s"
                ) from None
            except OSError as exc:
                raise SandboxError(
                    f"sandbox: cannot listen on {HOST}: {exc.strerror or exc}"
                ) from exc
        except BaseException:
            self._halt()
            raise
        first = self.mailboxes[0]
        self._endpoints = SandboxEndpoints(
            smtp=Endpoint(HOST, smtp_port, first, password),
            imap=Endpoint(HOST, imap_port, first, password),
            mailboxes=self.mailboxes,
        )
        log.info("sandbox: SMTP on %s:%d, IMAP on %s:%d", HOST, smtp_port, HOST, imap_port)
        return self._endpoints

    def stop(self) -> None:
        """Close both servers and their connections, end the thread; idempotent."""
        self._halt()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoints(self) -> SandboxEndpoints:
        if self._endpoints is None:
            raise RuntimeError("the sandbox is not started")
        return self._endpoints

    # -- what the user looks at and does -----------------------------------------------

    def delivered(self) -> list[Path]:
        """Every message the SMTP side accepted, as .eml files, in arrival order."""
        return delivered_files(self._delivered_dir)

    def drop_reply(self, mailbox: str, raw: bytes) -> None:
        """Put `raw` (e.g. a prospect's reply) into that mailbox's INBOX, unchanged.

        Works whether the sandbox runs or not; an IMAP client sees it at its next SELECT,
        NOOP or SEARCH, or within about two seconds while it idles.
        """
        user = _user(mailbox)
        if user not in self.mailboxes:
            raise KeyError(f"{mailbox} is not a sandbox mailbox ({', '.join(self.mailboxes)})")
        if not raw:
            raise ValueError("an empty message cannot be dropped")
        self._store.drop(user, raw)

    # -- internals ---------------------------------------------------------------------

    def _run(
        self, ready: concurrent.futures.Future[tuple[int, int]], logins: dict[str, str]
    ) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(ready, logins))
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(
        self, ready: concurrent.futures.Future[tuple[int, int]], logins: dict[str, str]
    ) -> None:
        self._stopping = stopping = asyncio.Event()
        servers: list[asyncio.Server] = []
        try:
            try:
                smtp_port, imap_port = self._ports
                smtp = await serve_smtp(
                    HOST,
                    smtp_port,
                    Delivered(self._delivered_dir),
                    logins,
                    self._store.file_sent,
                )
                servers.append(smtp)
                imap = await serve_imap(HOST, imap_port, self._store, logins)
                servers.append(imap)
            except BaseException as exc:
                ready.set_exception(exc)
                return
            ready.set_result((_bound_port(smtp), _bound_port(imap)))
            await stopping.wait()
        finally:
            await _shut_down(servers)

    def _halt(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            loop, stopping = self._loop, self._stopping
            if loop is not None and stopping is not None and thread.is_alive():
                with contextlib.suppress(RuntimeError):  # the loop ended on its own
                    loop.call_soon_threadsafe(stopping.set)
            thread.join(timeout=START_TIMEOUT)
        self._loop = self._stopping = self._endpoints = None
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the flock
            self._lock_file = None

    def _lock_root(self) -> None:
        descriptor = os.open(self.root / "sandbox.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise SandboxError(f"sandbox: {self.root} is in use by another sandbox") from None
        self._lock_file = descriptor

    def _password(self) -> str:
        """The root's sandbox password, generated on first use; local only, never printed."""
        path = self.root / "password"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        password = secrets.token_urlsafe(18)
        with open(descriptor, "w", encoding="ascii") as file:
            file.write(password + "\n")
        return password


async def _shut_down(servers: list[asyncio.Server]) -> None:
    """Stop listening, cancel every connection, give them `STOP_GRACE` seconds to close."""
    for server in servers:
        server.close()
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    if others:
        await asyncio.wait(others, timeout=STOP_GRACE)


def _bound_port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


def _user(address: str) -> str:
    """A sending address as a login and directory name: lower case, nothing path-like."""
    user = address.strip().lower()
    if not _ADDRESS.fullmatch(user):
        raise ValueError(f"not a plain email address: {address!r}")
    return user
