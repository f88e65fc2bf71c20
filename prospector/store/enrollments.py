"""Enrollments and suppressions: what the engine asks before it starts anyone on a sequence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session

from prospector.store.contacts import chunks
from prospector.store.tables import ENROLLMENT, SUPPRESSION


def suppressed(session: Session, emails: Sequence[str]) -> set[str]:
    """The subset of `emails` that must never be emailed."""
    found: set[str] = set()
    for chunk in chunks(emails):
        query = select(SUPPRESSION.c.email).where(SUPPRESSION.c.email.in_(chunk))
        found.update(session.execute(query).scalars())
    return found


def enrolled_contacts(session: Session, sequence: str) -> set[int]:
    """Contacts who ever entered `sequence` (in any state): nobody walks a sequence twice."""
    query = select(ENROLLMENT.c.contact_id).where(ENROLLMENT.c.sequence == sequence)
    return set(session.execute(query).scalars())


def accounts_in_sequence(session: Session, sequence: str) -> Counter[int]:
    """Contacts per account already in `sequence`, for the per-account limit."""
    query = (
        select(ENROLLMENT.c.account_id, func.count())
        .where(ENROLLMENT.c.sequence == sequence)
        .group_by(ENROLLMENT.c.account_id)
    )
    return Counter({account: n for account, n in session.execute(query)})


def active_by_mailbox(session: Session, mailboxes: Iterable[str]) -> Counter[str]:
    query = (
        select(ENROLLMENT.c.mailbox, func.count())
        .where(ENROLLMENT.c.state == "active", ENROLLMENT.c.mailbox.in_(list(mailboxes)))
        .group_by(ENROLLMENT.c.mailbox)
    )
    counts: Counter[str] = Counter({m: 0 for m in mailboxes})
    counts.update({m: n for m, n in session.execute(query)})
    return counts


def insert_enrollments(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """The new ids, in the order of `rows` (a batched RETURNING is unordered otherwise)."""
    if not rows:
        return []
    statement = insert(ENROLLMENT).returning(ENROLLMENT.c.id, sort_by_parameter_order=True)
    result = session.execute(statement, rows)
    return list(result.scalars())
