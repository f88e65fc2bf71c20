"""The ingest job: every message that arrives in a sending mailbox is read once, matched,
sorted and acted on.

New messages are found by UID above the folder's mark (kept per UIDVALIDITY: after a
reset the folder is read again and messages already stored are recognised by their
Message-ID, so nothing is lost or repeated). Headers come first; the full message is
fetched only for what concerns us (a reply to our Message-IDs, mail from a known
prospect, a bounce). A message counts as processed when its row, its consequences and
the folder's mark are committed together: a crash in between reads it again, and the
unique (mailbox, folder, UIDVALIDITY, UID) key makes the second read a no-op.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from typing import NamedTuple, Protocol

from sqlalchemy import Engine

from prospector.config import Mailbox, Settings
from prospector.domain.replies import Classification, classify
from prospector.engine.catalog import mail_domain
from prospector.engine.reply_actions import Match, act
from prospector.errors import ProspectorError
from prospector.store import inbound
from prospector.store.outbox import Db

log = logging.getLogger("prospector.ingest")

BATCH = 200  # UIDs whose headers are read at once
_MSGID = re.compile(rb"<([^<>\s]{1,250}@[^<>\s]{1,250})>")
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")


class FolderState(NamedTuple):
    uidvalidity: int
    uidnext: int | None
    exists: int


class Inbox(Protocol):
    """A mailbox's folders, read-only (nothing is marked \\Seen, moved or deleted)."""

    def open_folder(self, folder: str) -> FolderState: ...

    def uids_after(self, folder: str, last_uid: int) -> list[int]: ...

    def headers(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]: ...

    def fetch(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]: ...


Inboxes = Callable[[Mailbox], AbstractContextManager[Inbox]]
Sorter = Callable[[bytes, Collection[str]], Classification]


def default_sorter(raw: bytes, our_domains: Collection[str]) -> Classification:
    return classify(raw, our_domains=our_domains)


@dataclass
class IngestReport:
    read: int = 0
    processed: int = 0
    unmatched: int = 0
    repeated: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.processed or self.errors)

    def __str__(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.by_category.items()))
        text = f"read {self.read}, processed {self.processed}" + (f" ({kinds})" if kinds else "")
        text += f", not ours {self.unmatched}"
        return text + "".join(f"; error: {e}" for e in self.errors)


class Ingester:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        inboxes: Inboxes,
        *,
        sorter: Sorter = default_sorter,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.inboxes = inboxes
        self.sorter = sorter
        self.our_domains = frozenset(
            mail_domain(m.address).lower() for m in settings.config.mailboxes
        )

    def __call__(self, now: datetime) -> IngestReport:
        report = IngestReport()
        for mailbox in self.settings.config.mailboxes:
            try:
                with self.inboxes(mailbox) as inbox:
                    self._sync(mailbox, inbox, now, report)
            except (ProspectorError, OSError) as exc:  # unreachable: the next run tries again
                report.errors.append(f"{mailbox.id}: {exc}")
                log.warning("cannot read %s: %s", mailbox.id, exc)
        return report

    def _sync(self, mailbox: Mailbox, inbox: Inbox, now: datetime, report: IngestReport) -> None:
        folder = self.settings.config.replies.folder
        state = inbox.open_folder(folder)
        with self.engine.connect() as conn:
            mark = inbound.folder_mark(conn, mailbox.id, folder)
        last = mark.last_uid if mark and mark.uidvalidity == state.uidvalidity else 0
        if mark and mark.uidvalidity != state.uidvalidity:
            log.warning("%s/%s: UIDVALIDITY changed; reading it again", mailbox.id, folder)
        uids = inbox.uids_after(folder, last)
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            heads = inbox.headers(folder, batch)
            report.read += len(batch)
            wanted = self._ours(heads)
            raws = inbox.fetch(folder, wanted) if wanted else {}
            for uid in wanted:  # each one ours: stored, acted on and marked together
                with self.engine.begin() as conn:
                    raw = raws.get(uid)
                    if raw is not None:  # expunged between the two commands: nothing to do
                        self._process(conn, mailbox, folder, state, uid, raw, now, report)
                    mark_now = inbound.FolderMark(state.uidvalidity, uid)
                    inbound.set_folder_mark(conn, mailbox.id, folder, mark_now, now)
            report.unmatched += len(batch) - len(wanted)
            with self.engine.begin() as conn:  # the rest of the batch is not ours: skip it
                mark_now = inbound.FolderMark(state.uidvalidity, batch[-1])
                inbound.set_folder_mark(conn, mailbox.id, folder, mark_now, now)
        if not uids:
            with self.engine.begin() as conn:
                mark_now = inbound.FolderMark(state.uidvalidity, last)
                inbound.set_folder_mark(conn, mailbox.id, folder, mark_now, now)

    def _ours(self, heads: dict[int, bytes]) -> list[int]:
        """The UIDs worth fetching, judged from headers alone."""
        parser = BytesHeaderParser()
        senders: dict[int, str] = {}
        wanted: list[int] = []
        for uid, head in heads.items():
            message = parser.parsebytes(head)
            if self._replies_to_us(message) or _looks_like_bounce(message):
                wanted.append(uid)
            else:
                senders[uid] = parseaddr(str(message.get("From", "")))[1].lower()
        if senders:
            with self.engine.connect() as conn:
                known = inbound.contacts_by_email(conn, senders.values())
            wanted += [uid for uid, sender in senders.items() if sender in known]
        return sorted(wanted)

    def _replies_to_us(self, message: Message) -> bool:
        ids = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
        return any(self._is_ours(i) for i in _MSGID.findall(ids.encode("utf-8", "replace")))

    def _is_ours(self, message_id: bytes) -> bool:
        domain = message_id.rsplit(b"@", 1)[-1].decode("ascii", "replace").lower()
        return domain in self.our_domains

    def _process(
        self,
        conn: Db,
        mailbox: Mailbox,
        folder: str,
        state: FolderState,
        uid: int,
        raw: bytes,
        now: datetime,
        report: IngestReport,
    ) -> None:
        head = BytesHeaderParser().parsebytes(raw)
        message_id = str(head.get("Message-ID", "")).strip() or (
            f"<{uid}.{state.uidvalidity}.{mailbox.id}@inbound.invalid>"
        )
        if inbound.is_inbound_known(conn, message_id):
            report.repeated += 1  # read before a UIDVALIDITY reset: already acted on
            return
        try:
            verdict = self.sorter(raw, self.our_domains)
        except Exception as exc:  # a malformed message never stops the daemon
            log.exception("could not sort %s uid %s", mailbox.id, uid)
            verdict = _unsortable(exc)
        match = self._match(conn, mailbox, head, raw, verdict)
        row = inbound.insert_inbound(
            conn,
            {
                "message_id": message_id[:998],
                "contact_id": match.contact.id if match.contact else None,
                "enrollment_id": match.enrollment_id,
                "mailbox": mailbox.id,
                "folder": folder,
                "uidvalidity": state.uidvalidity,
                "uid": uid,
                "from_address": parseaddr(str(head.get("From", "")))[1].lower(),
                "subject": str(head.get("Subject", ""))[:998],
                "in_reply_to": str(head.get("In-Reply-To", ""))[:998],
                "references": str(head.get("References", "")),
                "body": verdict.visible_text,
                "category": verdict.category,
                "confidence": verdict.confidence,
                "evidence": _json(verdict),
                "content": raw,
                "created_at": now,
            },
        )
        if row is None:
            report.repeated += 1
            return
        action = act(conn, self.settings, match, verdict, message_row=row, now=now, reply=head)
        inbound.set_outcome(conn, row, action=f"{action} [matched by {match.how}]")
        report.processed += 1
        report.by_category[verdict.category] = report.by_category.get(verdict.category, 0) + 1

    def _match(
        self, conn: Db, mailbox: Mailbox, head: Message, raw: bytes, verdict: Classification
    ) -> Match:
        """Who it is about: the thread first, then a bounce's recipients, then the sender."""
        for header in ("In-Reply-To", "References"):
            ids = [
                i.decode("utf-8", "replace")
                for i in _MSGID.findall(str(head.get(header, "")).encode("utf-8", "replace"))
            ]
            found = inbound.outbound_by_message_ids(conn, [f"<{i}>" for i in ids])
            if found:
                return self._from_outbound(conn, found[0], header.lower())
        if verdict.category == "bounce":
            ours = [
                f"<{i.decode('utf-8', 'replace')}>" for i in _MSGID.findall(raw) if self._is_ours(i)
            ]
            found = inbound.outbound_by_message_ids(conn, ours)
            if found:
                return self._from_outbound(conn, found[0], "returned-original")
            people = inbound.contacts_by_email(conn, verdict.failed_recipients)
            if people:
                return Match(next(iter(people.values())), None, mailbox.id, "bounce-recipient")
        senders = [a for _, a in getaddresses([str(head.get("From", ""))])]
        known = inbound.contacts_by_email(conn, senders)
        if known:
            return Match(next(iter(known.values())), None, mailbox.id, "sender")
        return Match(None, None, mailbox.id, "none")

    def _from_outbound(self, conn: Db, found: inbound.Outbound, how: str) -> Match:
        person = inbound.contact(conn, found.contact_id) if found.contact_id else None
        return Match(person, found.enrollment_id, found.mailbox, how, outbound=found.id)


def _looks_like_bounce(message: Message) -> bool:
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    local = sender.split("@", 1)[0]
    content_type = str(message.get("Content-Type", "")).lower()
    return (
        local in _BOUNCE_SENDERS
        or "report-type=delivery-status" in content_type
        or ("multipart/report" in content_type)
    )


def _unsortable(exc: Exception) -> Classification:
    return Classification(
        category="question",
        confidence=0.0,
        evidence=(f"the sorter failed: {type(exc).__name__}",),
    )


def _json(verdict: Classification) -> str:
    return json.dumps(verdict.as_json(), ensure_ascii=False, default=str)
