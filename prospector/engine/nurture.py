"""The nurture job: "not now" contacts come back at their date (PRODUCT.md §4, §6).

With `[replies] nurture_sequence` set, each contact whose date has come is enrolled in it
(from the mailbox that wrote to them before) and is a prospect again; without it they
stay in the nurture stage, listed for a human.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from prospector.config import Settings
from prospector.store import inbound, outbox
from prospector.store.events import record_event


@dataclass
class NurtureReport:
    due: int = 0
    enrolled: int = 0

    def __bool__(self) -> bool:
        return bool(self.enrolled)

    def __str__(self) -> str:
        return f"{self.due} due back, {self.enrolled} enrolled again"


def nurture(engine: Engine, settings: Settings, now: datetime) -> NurtureReport:
    report = NurtureReport()
    sequence = settings.config.replies.nurture_sequence
    fallback = settings.config.mailboxes[0].id if settings.config.mailboxes else ""
    with engine.begin() as conn:
        due = inbound.nurture_due(conn, now)
        report.due = len(due)
        if not sequence:
            return report
        for contact_id, account_id, mailbox in due:
            if outbox.enroll_one(
                conn,
                contact_id=contact_id,
                account_id=account_id,
                sequence=sequence,
                mailbox=mailbox or fallback,
                segment="nurture",
                now=now,
            ):
                report.enrolled += 1
            inbound.set_contact(conn, contact_id, stage="prospect", nurture_until=None)
            record_event(
                conn,
                "contact.nurtured",
                at=now,
                contact_id=contact_id,
                actor="nurture",
                data={"sequence": sequence},
            )
    return report
