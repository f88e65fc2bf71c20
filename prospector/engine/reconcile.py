"""Settle "uncertain" messages by looking for them where the provider files what was sent.

Gmail, Microsoft 365 and most providers put every message accepted over SMTP into the
mailbox's Sent folder. For a mailbox configured so (`sent_copy = "server"`), an
uncertain message found there by its Message-ID was sent; one still missing after a
grace period was not, and goes out again with the same bytes. Any other mailbox leaves
its uncertain messages to a human (`prospector outbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from prospector.config import Mailbox, Settings
from prospector.domain.sequences import Sequence as SequenceModel
from prospector.engine.progress import advance_enrollment
from prospector.errors import ProspectorError
from prospector.store import outbox
from prospector.store.events import record_event

log = logging.getLogger("prospector.reconcile")

ACTOR = "reconcile"


class SentFolder(Protocol):
    """The mailbox's Sent folder, as the reconciler and the optional copy need it."""

    def contains(self, message_id: str) -> bool: ...

    def append(self, raw: bytes, when: datetime) -> None: ...


SentFolders = Callable[[Mailbox], AbstractContextManager[SentFolder]]


@dataclass
class ReconcileReport:
    found_sent: int = 0
    resent: int = 0
    left: int = 0
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.found_sent or self.resent or self.errors)

    def __str__(self) -> str:
        parts = [f"found in Sent {self.found_sent}", f"to resend {self.resent}"]
        parts += [f"error: {e}" for e in self.errors]
        return ", ".join(parts)


class Reconciler:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        sequences: Callable[[], dict[str, SequenceModel]],
        folders: SentFolders,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.sequences = sequences
        self.folders = folders

    def __call__(self, now: datetime) -> ReconcileReport:
        report = ReconcileReport()
        with self.engine.connect() as conn:
            grace = timedelta(seconds=self.settings.config.sending.reconcile_after_seconds)
            uncertain = outbox.uncertain_messages(conn, before=now - grace)
        by_mailbox: dict[str, list[outbox.Uncertain]] = {}
        for item in uncertain:
            by_mailbox.setdefault(item.mailbox, []).append(item)
        for mailbox in self.settings.config.mailboxes:
            items = by_mailbox.get(mailbox.id, [])
            if not items:
                continue
            if mailbox.sent_copy != "server":
                report.left += len(items)
                continue
            try:
                self._settle(mailbox, items, now, report)
            except ProspectorError as exc:  # the mailbox is unreachable: try on the next run
                report.errors.append(f"{mailbox.id}: {exc}")
                log.warning("cannot check %s's Sent folder: %s", mailbox.id, exc)
        return report

    def _settle(
        self,
        mailbox: Mailbox,
        items: Sequence[outbox.Uncertain],
        now: datetime,
        report: ReconcileReport,
    ) -> None:
        with self.folders(mailbox) as folder:
            found = [(item, folder.contains(item.message_id)) for item in items]
        sequences = self.sequences()
        for item, sent in found:
            with self.engine.begin() as conn:
                if outbox.message_state(conn, item.id) != outbox.UNCERTAIN:
                    continue  # a human settled it meanwhile
                if sent:
                    self._record_sent(conn, item, sequences, now)
                    report.found_sent += 1
                else:
                    outbox.set_message(conn, item.id, state=outbox.RETRY, next_attempt_at=now)
                    record_event(
                        conn,
                        "message.resend",
                        at=now,
                        actor=ACTOR,
                        contact_id=item.contact_id,
                        enrollment_id=item.enrollment_id,
                        data={"message": item.id, "why": "not in the Sent folder"},
                    )
                    report.resent += 1

    def _record_sent(
        self,
        conn: outbox.Db,
        item: outbox.Uncertain,
        sequences: dict[str, SequenceModel],
        now: datetime,
    ) -> None:
        outbox.mark_sent(conn, item.id, now)
        record_event(
            conn,
            "message.sent",
            at=now,
            actor=ACTOR,
            contact_id=item.contact_id,
            enrollment_id=item.enrollment_id,
            data={"message": item.id, "why": "found in the Sent folder"},
        )
        if item.enrollment_id is None:
            return
        position = outbox.position(conn, item.enrollment_id, item.id)
        if position is None:
            return
        name, step, zone = position
        advance_enrollment(
            conn,
            enrollment_id=item.enrollment_id,
            contact_id=item.contact_id,
            step=step,
            zone=zone or self.settings.config.workspace.timezone,
            sequence=sequences.get(name),
            now=now,
            actor=ACTOR,
        )
