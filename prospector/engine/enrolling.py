"""segment -> enrollments in a sequence, with every skipped contact counted by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from prospector.config import Settings
from prospector.domain.calendar import add_business_days
from prospector.domain.segments import Segment
from prospector.domain.sequences import Sequence
from prospector.engine import catalog
from prospector.engine.batching import chunked
from prospector.engine.validation import concerns, validate_workspace
from prospector.errors import NotFoundError, SequenceError
from prospector.store import enrollments as store
from prospector.store import segments
from prospector.store.db import transaction
from prospector.store.events import record_event


@dataclass
class EnrollReport:
    sequence: str
    segment: str
    enrolled: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "segment": self.segment,
            "enrolled": self.enrolled,
            "skipped": dict(self.skipped),
            "dry_run": self.dry_run,
        }


def find_sequence(settings: Settings, name: str) -> Sequence:
    """The named sequence, refusing a broken one: nothing is enrolled in a sequence that
    `prospector validate` rejects (its file, its templates, or the config it relies on).
    """
    sequence = catalog.find_sequence(settings, name)  # NotFoundError naming the known ones
    errors = [
        problem
        for problem in validate_workspace(settings)
        if problem.severity == "error" and concerns(problem, settings, sequence)
    ]
    if errors:
        raise SequenceError(errors)
    return sequence


def find_segment(settings: Settings, name: str) -> Segment:
    found = settings.config.segments.get(name)
    if found is None:
        known = ", ".join(sorted(settings.config.segments)) or "none"
        raise NotFoundError(f"no segment {name!r} in the config (defined: {known})")
    return found


def enroll(
    engine: Engine,
    settings: Settings,
    sequence_name: str,
    *,
    now: datetime,
    segment_name: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
) -> EnrollReport:
    """Start the segment's eligible contacts on the sequence, best ICP fit first.

    Skips, each counted by reason: excluded by a red flag or list hygiene (the rule id),
    do-not-contact, suppressed, already in this sequence, and over the per-account limit.
    """
    sequence = find_sequence(settings, sequence_name)
    name = segment_name or sequence.segment
    if name is None:
        raise NotFoundError(f"sequence {sequence_name!r} names no segment; pass --segment NAME")
    segment = find_segment(settings, name)
    mailboxes = list(sequence.mailboxes) or [m.id for m in settings.config.mailboxes]
    fallback_zone = settings.config.workspace.timezone
    report = EnrollReport(sequence_name, name, dry_run=dry_run)
    per_account_limit = settings.config.enrolling.max_per_account
    with transaction(engine) as session:
        already = store.enrolled_contacts(session, sequence_name)
        per_account = store.accounts_in_sequence(session, sequence_name)
        load = store.active_by_mailbox(session, mailboxes)
        wide = segment.model_copy(update={"include_excluded": True})
        rows: list[dict[str, Any]] = []
        for chunk in chunked(segments.members_for_enrollment(session, wide), 1000):
            blocked = store.suppressed(session, [c["email"] for c in chunk])
            for contact in chunk:
                reason = _skip_reason(contact, already, blocked, per_account, per_account_limit)
                if reason is None and limit is not None and len(rows) >= limit:
                    reason = "over --limit"
                if reason is not None:
                    report.skipped[reason] += 1
                    continue
                mailbox = min(mailboxes, key=lambda m: (load[m], mailboxes.index(m)))
                load[mailbox] += 1
                per_account[contact["account_id"]] += 1
                zone = contact["timezone"] or fallback_zone
                due = add_business_days(now, sequence.steps[0].wait_days, zone)
                rows.append(_enrollment_row(contact, sequence_name, name, mailbox, due, now))
        report.enrolled = len(rows)
        if dry_run:
            session.rollback()
            return report
        ids = store.insert_enrollments(session, rows)
        for enrollment_id, row in zip(ids, rows, strict=True):
            record_event(
                session,
                "enrollment.created",
                at=now,
                contact_id=row["contact_id"],
                enrollment_id=enrollment_id,
                data={"sequence": sequence_name, "segment": name, "mailbox": row["mailbox"]},
            )
    return report


def _skip_reason(
    contact: Any,
    already: set[int],
    blocked: set[str],
    per_account: Counter[int],
    per_account_limit: int,
) -> str | None:
    if contact["excluded_by"]:
        return f"excluded: {contact['excluded_by']}"
    if contact["do_not_contact"]:
        return "do-not-contact"
    if contact["email"] in blocked:
        return "suppressed"
    if contact["id"] in already:
        return "already enrolled"
    if per_account_limit and per_account[contact["account_id"]] >= per_account_limit:
        return "too many at one account"
    return None


def _enrollment_row(
    contact: Any, sequence: str, segment: str, mailbox: str, due: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "contact_id": contact["id"],
        "account_id": contact["account_id"],
        "sequence": sequence,
        "segment": segment,
        "step": 0,
        "state": "active",
        "next_due_at": due,
        "mailbox": mailbox,
        "created_at": now,
        "updated_at": now,
    }
