"""The read side of a mailbox's IMAP server, for the reply-ingest job: new messages by UID.

One kept connection (opened on first use, reopened on the next call after it drops),
unlike `ImapMailbox`'s one-short-session use: ingest talks to the server all day.
Looking never changes the mailbox: folders are opened with EXAMINE and messages read with
BODY.PEEK, so nothing is marked \\Seen, moved or deleted. IDLE is used only as a wake-up
(imapclient can lose part of a line in IDLE, upstream #519): any trouble there reconnects
and tells the caller to re-sync with `uids_after`.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Iterator, Sequence

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, ProtocolError

from prospector.adapters.imap import ImapError, ImapMailbox
from prospector.config import Server
from prospector.engine.ingest import FolderState

log = logging.getLogger(__name__)

HEADER_BATCH = 500
BODY_BATCH = 100
"""UIDs per FETCH: a few round trips for a large first sync, bounded memory per reply."""
_NEWS = (b"EXISTS", b"RECENT")
_BROKEN = (IMAPClientAbortError, ProtocolError, OSError, ValueError, IndexError)
"""Failures after which the connection's state is unknown: it is dropped, not reused."""


class UidValidityChanged(ImapError):
    """The folder's UIDVALIDITY differs from what `open_folder` reported: re-sync from it."""


class ImapInbox(ImapMailbox):
    """Read-only access to a mailbox's folders by UID (the ingest job's `Inbox` port)."""

    def __init__(
        self,
        server: Server,
        *,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        header_batch: int = HEADER_BATCH,
        body_batch: int = BODY_BATCH,
    ) -> None:
        super().__init__(server, timeout=timeout, tls_context=tls_context)
        self._header_batch = max(1, header_batch)
        self._body_batch = max(1, body_batch)
        self._validity: dict[str, int] = {}
        self._uidnext: dict[str, int | None] = {}
        """Per folder, what the caller last saw: a change before IDLE starts is news too."""

    def open_folder(self, folder: str) -> FolderState:
        """EXAMINE `folder`; its UIDVALIDITY becomes the one later calls are checked against."""
        state = self._examine_state(folder)
        self._validity[folder] = state.uidvalidity
        self._uidnext[folder] = state.uidnext
        return state

    def uids_after(self, folder: str, last_uid: int) -> list[int]:
        """UIDs above `last_uid`, ascending.

        `UID SEARCH UID n:*` returns the highest UID even when it is below n (RFC 3501's
        `*` is the largest UID), so the answer is filtered rather than trusted.
        """
        if last_uid < 0:
            raise ValueError(f"last_uid must be >= 0, not {last_uid}")
        state = self._checked(folder)
        self._uidnext[folder] = state.uidnext
        with self._session(f"searching {folder!r}") as client:
            found = client.search(["UID", f"{last_uid + 1}:*"])
        return sorted({int(uid) for uid in found if int(uid) > last_uid})

    def headers(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
        """Each message's header block (up to the blank line), by UID; expunged ones absent."""
        return self._fetch_all(
            folder, uids, "BODY.PEEK[HEADER]", b"BODY[HEADER]", self._header_batch
        )

    def fetch(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
        """Each message's exact raw bytes, by UID; expunged ones absent."""
        return self._fetch_all(folder, uids, "BODY.PEEK[]", b"BODY[]", self._body_batch)

    def wait_for_change(self, folder: str, timeout: float) -> bool:
        """Block until the server reports new mail in `folder` (True) or `timeout` passes.

        True only means "re-sync now": it is also returned at once when the folder changed
        since `open_folder`/`uids_after` looked, when the connection broke before or during
        IDLE (it is reopened here; ImapError only if that fails), and after sleeping
        `timeout` where the server has no IDLE. Keep `timeout` under 29 minutes (RFC 2177).
        """
        try:
            with self._session("asking for capabilities") as client:
                idle = client.has_capability("IDLE")
            state = self._examine_state(folder) if idle else None
        except ImapError:
            if self._client is not None:
                raise  # refused (no such folder): not a broken connection
            return self._reopened(folder, "the connection broke")
        if state is None:
            time.sleep(timeout)
            return True
        if self._changed(folder, state):
            return True
        try:
            return self._idle(client, timeout)
        except (*_BROKEN, IMAPClientError) as exc:
            self._drop()
            return self._reopened(folder, f"IDLE broke ({_reason(exc)})")

    def _reopened(self, folder: str, why: str) -> bool:
        log.info("IMAP %s: waiting on %r: %s; reconnecting", self._where, folder, why)
        self.connect()
        return True

    def _idle(self, client: imapclient.IMAPClient, timeout: float) -> bool:
        """IDLE until news or the deadline; "still here" keep-alives are not news."""
        deadline = time.monotonic() + timeout
        heard = False
        client.idle()
        try:
            while not heard and (left := deadline - time.monotonic()) > 0:
                responses = client.idle_check(timeout=left)
                if any(_is_bye(response) for response in responses):
                    raise IMAPClientAbortError("the server said BYE during IDLE")
                heard = any(_is_news(response) for response in responses)
        finally:
            _text, late = client.idle_done()
        return heard or any(_is_news(response) for response in late)

    def _fetch_all(
        self, folder: str, uids: Sequence[int], item: str, key: bytes, batch: int
    ) -> dict[int, bytes]:
        wanted = sorted({int(uid) for uid in uids})
        if not wanted:
            return {}
        self._checked(folder)
        found: dict[int, bytes] = {}
        for start in range(0, len(wanted), batch):
            found.update(self._fetch_batch(folder, wanted[start : start + batch], item, key))
        return found

    def _fetch_batch(self, folder: str, uids: list[int], item: str, key: bytes) -> dict[int, bytes]:
        """One UID FETCH; replies without the item (unsolicited flag changes) are dropped."""
        wanted = set(uids)
        with self._session(f"fetching from {folder!r}") as client:
            replies = client.fetch(uids, [item])
        found: dict[int, bytes] = {}
        for uid, data in sorted(replies.items()):
            value = data.get(key)
            if int(uid) in wanted and isinstance(value, bytes):
                found[int(uid)] = value
        return found

    def _checked(self, folder: str) -> FolderState:
        """EXAMINE, refusing to go on if UIDVALIDITY moved since `open_folder` reported it."""
        state = self._examine_state(folder)
        known = self._validity.setdefault(folder, state.uidvalidity)
        if state.uidvalidity != known:
            raise UidValidityChanged(
                f"IMAP {self._where}: UIDVALIDITY of {folder!r} changed from {known} to "
                f"{state.uidvalidity}: its UIDs name other messages now; re-sync the folder"
            )
        return state

    def _changed(self, folder: str, state: FolderState) -> bool:
        known = self._validity.get(folder)
        seen = self._uidnext.get(folder)
        moved = known is not None and known != state.uidvalidity
        return moved or (folder in self._uidnext and seen != state.uidnext)

    def _examine_state(self, folder: str) -> FolderState:
        with self._session(f"opening {folder!r}") as client:
            reply = client.select_folder(folder, readonly=True)
        validity = reply.get(b"UIDVALIDITY")
        if validity is None:
            raise ImapError(f"IMAP {self._where}: {folder!r} has no UIDVALIDITY")
        uidnext = reply.get(b"UIDNEXT")
        return FolderState(
            uidvalidity=int(validity),
            uidnext=None if uidnext is None else int(uidnext),
            exists=int(reply.get(b"EXISTS", 0)),
        )

    def _client_or_connect(self) -> imapclient.IMAPClient:
        """The open connection, or a new one (after `close()` or a drop)."""
        self.connect()
        assert self._client is not None
        return self._client

    @contextlib.contextmanager
    def _session(self, what: str) -> Iterator[imapclient.IMAPClient]:
        """One exchange: a refusal (NO/BAD) keeps the connection; a broken one drops it."""
        client = self._client_or_connect()
        try:
            yield client
        except ImapError:
            raise
        except _BROKEN as exc:
            self._drop()
            raise ImapError(f"IMAP {self._where}: {what} failed: {_reason(exc)}") from exc
        except IMAPClientError as exc:
            raise ImapError(f"IMAP {self._where}: {what} failed: {_reason(exc)}") from exc

    def _drop(self) -> None:
        """Forget a connection in an unknown state without talking to the server again."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()


def _is_news(response: tuple[object, ...]) -> bool:
    return len(response) >= 2 and response[1] in _NEWS


def _is_bye(response: tuple[object, ...]) -> bool:
    return bool(response) and response[0] == b"BYE"


def _reason(exc: BaseException) -> str:
    """What broke, in words: imapclient's EOF says "socket error: EOF"."""
    text = str(exc).strip()
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and not text:
        return type(exc).__name__
    return text or type(exc).__name__
