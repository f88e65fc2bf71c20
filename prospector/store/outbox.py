"""The outbox: due steps, atomic claims and the life of an outbound message row.

A step is claimed by one UPDATE that only succeeds while the step is still due (SQLite
ignores SELECT … FOR UPDATE, so a select-then-update would let two senders take the same
row); the message row it writes is unique per enrollment step. Together they make a step
impossible to send twice, whatever runs concurrently.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from prospector.store.tables import (
    ACCOUNT,
    CONTACT,
    ENROLLMENT,
    EVENT,
    MAILBOX_STATE,
    MESSAGE,
    SUPPRESSION,
)

Db = Session | Connection  # the dispatcher's hot path uses plain connections: less overhead
OUT = "out"
SENDING, SENT, RETRY, FAILED, UNCERTAIN = "sending", "sent", "retry", "failed", "uncertain"
IN_FLIGHT = (SENDING, RETRY, UNCERTAIN)


class DueStep(NamedTuple):
    """An active enrollment whose step is due, with what the sending rules need to know."""

    enrollment_id: int
    contact_id: int
    account_id: int
    sequence: str
    step: int
    mailbox: str
    email: str
    zone: str
    country: str


@dataclass(frozen=True)
class PendingRetry:
    """A message that failed for a temporary reason and is due to be tried again."""

    id: int
    enrollment_id: int | None
    contact_id: int | None
    account_id: int | None
    mailbox: str
    email: str
    zone: str
    country: str
    attempts: int
    raw: str
    cc: str = ""  # addresses in copy, also on the envelope


@dataclass(frozen=True)
class MailboxStatus:
    mailbox: str
    next_send_at: datetime | None
    failures: int
    paused_until: datetime | None
    paused_reason: str


# --- finding work --------------------------------------------------------------------------


def due_ids(session: Db, now: datetime, *, limit: int) -> list[int]:
    """Ids of the active enrollments due at `now`, oldest first.

    Answered from the (state, next_due_at) index alone (the row id is part of every index
    entry), so finding what is due stays fast however many enrollments there are.
    """
    query = (
        select(ENROLLMENT.c.id)
        .where(ENROLLMENT.c.state == "active", ENROLLMENT.c.next_due_at <= now)
        .order_by(ENROLLMENT.c.next_due_at, ENROLLMENT.c.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


_DUE_DETAILS = (
    select(
        ENROLLMENT.c.id,
        ENROLLMENT.c.contact_id,
        ENROLLMENT.c.account_id,
        ENROLLMENT.c.sequence,
        ENROLLMENT.c.step,
        ENROLLMENT.c.mailbox,
        CONTACT.c.email,
        CONTACT.c.timezone,
        CONTACT.c.country,
    )
    .join(CONTACT, CONTACT.c.id == ENROLLMENT.c.contact_id)
    .where(ENROLLMENT.c.id.in_(bindparam("ids", expanding=True)))
)


def due_steps(session: Db, ids: Sequence[int]) -> list[DueStep]:
    """What the sending rules need to know of these enrollments, in the order of `ids`."""
    found = {row[0]: DueStep._make(row) for row in session.execute(_DUE_DETAILS, {"ids": ids})}
    return [found[i] for i in ids if i in found]


# Spelled as a literal so SQLite sees the partial index's own condition (not a parameter).
_IS_RETRY = text("message.state = 'retry'")


def due_retries(session: Db, now: datetime, *, limit: int) -> list[PendingRetry]:
    query = (
        select(
            MESSAGE.c.id,
            MESSAGE.c.enrollment_id,
            MESSAGE.c.contact_id,
            MESSAGE.c.account_id,
            MESSAGE.c.mailbox,
            MESSAGE.c.to_address,
            CONTACT.c.timezone,
            CONTACT.c.country,
            MESSAGE.c.attempts,
            MESSAGE.c.raw,
            MESSAGE.c.cc,
        )
        .join(CONTACT, CONTACT.c.id == MESSAGE.c.contact_id)
        .where(_IS_RETRY, MESSAGE.c.next_attempt_at <= now)
        .order_by(MESSAGE.c.next_attempt_at, MESSAGE.c.id)
        .limit(limit)
    )
    return [PendingRetry(*row) for row in session.execute(query)]


_BLOCKS = (
    select(CONTACT.c.do_not_contact, CONTACT.c.excluded_by, SUPPRESSION.c.reason)
    .select_from(CONTACT)
    .outerjoin(SUPPRESSION, SUPPRESSION.c.email == bindparam("email"))
    .where(CONTACT.c.id == bindparam("contact_id"))
)
_SUPPRESSED = select(SUPPRESSION.c.reason).where(SUPPRESSION.c.email == bindparam("email"))


def suppression_reason(session: Db, email: str, contact_id: int | None) -> str | None:
    """Why `email` must not be emailed now: a suppression entry, or the contact's own flags
    (do-not-contact, excluded by a red flag or list hygiene since enrolment). One query."""
    address = email.lower()
    if contact_id is None:
        found = session.execute(_SUPPRESSED, {"email": address}).scalar()
        return None if found is None else str(found)
    row = session.execute(_BLOCKS, {"email": address, "contact_id": contact_id}).first()
    if row is None:
        return "contact deleted"
    if row.reason is not None:
        return str(row.reason)
    if row.do_not_contact:
        return "do-not-contact"
    if row.excluded_by:
        return f"excluded: {row.excluded_by}"
    return None


# --- counting for caps ---------------------------------------------------------------------


def sent_by_mailbox(session: Db, mailbox: str, start: datetime, end: datetime) -> int:
    """Outbound messages the mailbox took on in [start, end), whatever became of them."""
    query = select(func.count()).where(
        MESSAGE.c.mailbox == mailbox,
        MESSAGE.c.created_at >= start,
        MESSAGE.c.created_at < end,
        MESSAGE.c.direction == OUT,
    )
    return int(session.execute(query).scalar_one())


def sent_per_account(session: Db, start: datetime, end: datetime) -> Counter[int]:
    """Outbound messages per account in [start, end): one query per mailbox per tick."""
    query = (
        select(MESSAGE.c.account_id, func.count())
        .where(
            MESSAGE.c.created_at >= start,
            MESSAGE.c.created_at < end,
            MESSAGE.c.account_id.is_not(None),
            MESSAGE.c.direction == OUT,
        )
        .group_by(MESSAGE.c.account_id)
    )
    return Counter({int(account): int(n) for account, n in session.execute(query)})


def accounts_in_progress(session: Db) -> dict[str, set[int]]:
    """Per sequence, accounts with a conversation under way: a live enrollment that has sent
    something, or whose step is claimed right now (next_due_at cleared while it is sent)."""
    live = ENROLLMENT.c.state.in_(("active", "paused"))
    started = or_(
        ENROLLMENT.c.step > 0,
        and_(ENROLLMENT.c.state == "active", ENROLLMENT.c.next_due_at.is_(None)),
    )
    query = select(ENROLLMENT.c.sequence, ENROLLMENT.c.account_id).where(live, started).distinct()
    found: dict[str, set[int]] = {}
    for sequence, account_id in session.execute(query):
        found.setdefault(sequence, set()).add(account_id)
    return found


# --- claiming ------------------------------------------------------------------------------


_CLAIM = (
    update(ENROLLMENT)
    .where(
        ENROLLMENT.c.id == bindparam("enrollment"),
        ENROLLMENT.c.state == "active",
        ENROLLMENT.c.step == bindparam("at_step"),
        ENROLLMENT.c.next_due_at <= bindparam("now"),
        ~exists().where(SUPPRESSION.c.email == bindparam("email")),
        ~exists().where(
            CONTACT.c.id == ENROLLMENT.c.contact_id,
            or_(CONTACT.c.do_not_contact.is_(True), CONTACT.c.excluded_by.is_not(None)),
        ),
    )
    .values(next_due_at=None, updated_at=bindparam("now"))
)


def claim_step(session: Db, due: DueStep, now: datetime) -> bool:
    """Take the step for sending, in one statement; False when it is no longer due (paused,
    stopped, taken) or the address may not be emailed any more (see suppression_reason)."""
    params = {
        "enrollment": due.enrollment_id,
        "at_step": due.step,
        "now": now,
        "email": due.email.lower(),
    }
    return bool(getattr(session.execute(_CLAIM, params), "rowcount", 0) == 1)


def defer_step(session: Db, due: DueStep, until: datetime, *, now: datetime) -> None:
    """Not yet: the step is due again at `until` (only if it is still due, untouched)."""
    session.execute(
        update(ENROLLMENT)
        .where(
            ENROLLMENT.c.id == due.enrollment_id,
            ENROLLMENT.c.state == "active",
            ENROLLMENT.c.step == due.step,
            ENROLLMENT.c.next_due_at <= now,
        )
        .values(next_due_at=until)
    )


def insert_outbound(session: Db, values: dict[str, Any]) -> int | None:
    """The message row, state "sending", committed by the caller before SMTP is called.

    None when the enrollment step already has a message: the unique (enrollment, step)
    key turns a second write into nothing (ON CONFLICT DO NOTHING), not an error that
    would end the transaction.
    """
    row = {"direction": OUT, "state": SENDING, "attempts": 1, "error": "", **values}
    dialect = (
        session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name
    )
    found = session.execute(_insert_message(dialect), row).scalar()
    return None if found is None else int(found)


@functools.cache
def _insert_message(dialect: str) -> Any:
    """Built once per dialect: SQLite and PostgreSQL spell ON CONFLICT the same way."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(MESSAGE)
        .on_conflict_do_nothing(index_elements=["enrollment_id", "step"])
        .returning(MESSAGE.c.id)
    )


def send_again(session: Db, message_id: int, *, due: datetime, why: str) -> bool:
    """A sent message that bounced softly goes again at `due`, the same bytes; only a
    message recorded as sent qualifies (one already waiting or failed is left alone)."""
    result = session.execute(
        update(MESSAGE)
        .where(MESSAGE.c.id == message_id, MESSAGE.c.state == SENT)
        .values(state=RETRY, next_attempt_at=due, error=why)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def claim_retry(session: Db, message_id: int, now: datetime) -> bool:
    result = session.execute(
        update(MESSAGE)
        .where(MESSAGE.c.id == message_id, MESSAGE.c.state == RETRY)
        .values(state=SENDING, attempts=MESSAGE.c.attempts + 1, next_attempt_at=None)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


class ContactView(NamedTuple):
    """What rendering needs of a contact (see engine.catalog.ContactFields)."""

    first_name: str
    last_name: str
    title: str
    email: str
    seniority: str
    referred_by_id: int | None


class AccountView(NamedTuple):
    name: str
    domain: str
    industry: str
    employees: int | None
    country: str


_CONTACT_FIELDS = (
    CONTACT.c.first_name,
    CONTACT.c.last_name,
    CONTACT.c.title,
    CONTACT.c.email,
    CONTACT.c.seniority,
    CONTACT.c.referred_by_id,
)
_FOR_RENDERING = (
    select(
        *_CONTACT_FIELDS,
        ACCOUNT.c.name,
        ACCOUNT.c.domain,
        ACCOUNT.c.industry,
        ACCOUNT.c.employees,
        ACCOUNT.c.country,
    )
    .join(ACCOUNT, ACCOUNT.c.id == CONTACT.c.account_id)
    .where(CONTACT.c.id == bindparam("id"))
)
_CONTACT = select(*_CONTACT_FIELDS).where(CONTACT.c.id == bindparam("id"))


def contact_and_account(session: Db, contact_id: int) -> tuple[ContactView, AccountView] | None:
    """The contact and its account, as rendering needs them, in one query."""
    row = session.execute(_FOR_RENDERING, {"id": contact_id}).first()
    if row is None:
        return None
    return ContactView._make(row[:6]), AccountView._make(row[6:])


def contact_by_id(session: Db, contact_id: int) -> ContactView | None:
    row = session.execute(_CONTACT, {"id": contact_id}).first()
    return None if row is None else ContactView._make(row)


def recipient(session: Db, message_id: int) -> str | None:
    found = session.execute(select(MESSAGE.c.to_address).where(MESSAGE.c.id == message_id))
    value = found.scalar()
    return None if value is None else str(value)


def enrollment_state(session: Db, enrollment_id: int) -> str | None:
    found = session.execute(
        select(ENROLLMENT.c.state).where(ENROLLMENT.c.id == enrollment_id)
    ).scalar()
    return None if found is None else str(found)


def sequence_of(session: Db, enrollment_id: int) -> str | None:
    found = session.execute(
        select(ENROLLMENT.c.sequence).where(ENROLLMENT.c.id == enrollment_id)
    ).scalar()
    return None if found is None else str(found)


def thread_ids(session: Db, enrollment_id: int) -> dict[int, str]:
    """Message-IDs already fixed for this enrollment, by step (for In-Reply-To/References)."""
    query = select(MESSAGE.c.step, MESSAGE.c.message_id).where(
        MESSAGE.c.enrollment_id == enrollment_id, MESSAGE.c.direction == OUT
    )
    return {int(step): str(mid) for step, mid in session.execute(query)}


# --- outcomes ------------------------------------------------------------------------------


_MARK_SENT = (
    update(MESSAGE)
    .where(MESSAGE.c.id == bindparam("row"))
    .values(state=SENT, sent_at=bindparam("now"), error="")
)


def mark_sent(session: Db, message_id: int, now: datetime) -> None:
    session.execute(_MARK_SENT, {"row": message_id, "now": now})


def set_message(session: Db, message_id: int, **values: Any) -> None:
    session.execute(update(MESSAGE).where(MESSAGE.c.id == message_id).values(**values))


def set_enrollment(session: Db, enrollment_id: int, **values: Any) -> None:
    session.execute(update(ENROLLMENT).where(ENROLLMENT.c.id == enrollment_id).values(**values))


_ADVANCE = (
    update(ENROLLMENT)
    .where(
        ENROLLMENT.c.id == bindparam("enrollment"),
        ENROLLMENT.c.state == "active",
        ENROLLMENT.c.step == bindparam("at_step"),
    )
    .values(
        step=bindparam("next_step"),
        next_due_at=bindparam("next_due"),
        state=bindparam("state"),
        updated_at=bindparam("now"),
    )
)


def advance(
    session: Db,
    enrollment_id: int,
    from_step: int,
    next_due_at: datetime | None,
    now: datetime,
    *,
    state: str = "active",
) -> bool:
    """Step forward if the enrollment is still active at `from_step`; False otherwise."""
    params = {
        "enrollment": enrollment_id,
        "at_step": from_step,
        "next_step": from_step + 1,
        "next_due": next_due_at,
        "state": state,
        "now": now,
    }
    return bool(getattr(session.execute(_ADVANCE, params), "rowcount", 0) == 1)


def position(session: Db, enrollment_id: int, message_id: int) -> tuple[str, int, str] | None:
    """(sequence, step of this message, contact zone) for an enrollment, after a retry."""
    query = (
        select(ENROLLMENT.c.sequence, MESSAGE.c.step, CONTACT.c.timezone)
        .join(MESSAGE, MESSAGE.c.enrollment_id == ENROLLMENT.c.id)
        .join(CONTACT, CONTACT.c.id == ENROLLMENT.c.contact_id)
        .where(ENROLLMENT.c.id == enrollment_id, MESSAGE.c.id == message_id)
    )
    row = session.execute(query).first()
    return None if row is None or row.step is None else (str(row[0]), int(row[1]), str(row[2]))


def suppress(session: Db, email: str, reason: str, detail: str, now: datetime) -> bool:
    """Add the address to the suppression list; False when it already was there."""
    address = email.lower()
    exists = session.execute(
        select(SUPPRESSION.c.id).where(SUPPRESSION.c.email == address)
    ).scalar()
    if exists is not None:
        return False
    session.execute(
        insert(SUPPRESSION).values(email=address, reason=reason, detail=detail, created_at=now)
    )
    return True


def mark_uncertain(session: Db) -> list[int]:
    """Rows left "sending" by a process that died: SMTP may or may not have taken them."""
    ids = list(
        session.execute(
            select(MESSAGE.c.id).where(MESSAGE.c.state == SENDING, MESSAGE.c.direction == OUT)
        ).scalars()
    )
    if ids:
        session.execute(update(MESSAGE).where(MESSAGE.c.id.in_(ids)).values(state=UNCERTAIN))
    return ids


# --- mailbox state -------------------------------------------------------------------------


def mailbox_status(session: Db, mailbox: str) -> MailboxStatus:
    row = session.execute(
        select(
            MAILBOX_STATE.c.next_send_at,
            MAILBOX_STATE.c.failures,
            MAILBOX_STATE.c.paused_until,
            MAILBOX_STATE.c.paused_reason,
        ).where(MAILBOX_STATE.c.mailbox == mailbox)
    ).one_or_none()
    if row is None:
        return MailboxStatus(mailbox, None, 0, None, "")
    return MailboxStatus(mailbox, *row)


def all_mailbox_status(session: Db) -> list[MailboxStatus]:
    query = select(
        MAILBOX_STATE.c.mailbox,
        MAILBOX_STATE.c.next_send_at,
        MAILBOX_STATE.c.failures,
        MAILBOX_STATE.c.paused_until,
        MAILBOX_STATE.c.paused_reason,
    ).order_by(MAILBOX_STATE.c.mailbox)
    return [MailboxStatus(*row) for row in session.execute(query)]


def save_mailbox_status(session: Db, status: MailboxStatus, now: datetime) -> None:
    values = {
        "next_send_at": status.next_send_at,
        "failures": status.failures,
        "paused_until": status.paused_until,
        "paused_reason": status.paused_reason,
        "updated_at": now,
    }
    result = session.execute(
        update(MAILBOX_STATE).where(MAILBOX_STATE.c.mailbox == status.mailbox).values(**values)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.execute(insert(MAILBOX_STATE).values(mailbox=status.mailbox, **values))


# --- what is coming ------------------------------------------------------------------------


def upcoming(session: Db, *, limit: int) -> Sequence[Any]:
    """Active enrollments by next send time, for `prospector status --upcoming`."""
    query = (
        select(
            ENROLLMENT.c.id,
            ENROLLMENT.c.sequence,
            ENROLLMENT.c.step,
            ENROLLMENT.c.mailbox,
            ENROLLMENT.c.next_due_at,
            CONTACT.c.email,
            CONTACT.c.timezone,
            CONTACT.c.country,
        )
        .join(CONTACT, CONTACT.c.id == ENROLLMENT.c.contact_id)
        .where(ENROLLMENT.c.state == "active", ENROLLMENT.c.next_due_at.is_not(None))
        .order_by(ENROLLMENT.c.next_due_at, ENROLLMENT.c.id)
        .limit(limit)
    )
    return session.execute(query).all()


# --- for a human: what is stuck, and their decisions -----------------------------------------


def unsettled_messages(session: Db) -> Sequence[Any]:
    """(id, state, to, sequence, step 1-based, error, created_at) of messages not settled."""
    query = (
        select(
            MESSAGE.c.id,
            MESSAGE.c.state,
            MESSAGE.c.to_address,
            func.coalesce(ENROLLMENT.c.sequence, ""),
            func.coalesce(MESSAGE.c.step, -1) + 1,
            MESSAGE.c.error,
            MESSAGE.c.created_at,
        )
        .outerjoin(ENROLLMENT, ENROLLMENT.c.id == MESSAGE.c.enrollment_id)
        .where(MESSAGE.c.direction == OUT, MESSAGE.c.state.in_((RETRY, FAILED, UNCERTAIN)))
    )
    return session.execute(query).all()


def held_enrollments(session: Db) -> Sequence[Any]:
    """(id, state, email, sequence, step 1-based, reason, updated_at) of held enrollments."""
    query = (
        select(
            ENROLLMENT.c.id,
            ENROLLMENT.c.state,
            CONTACT.c.email,
            ENROLLMENT.c.sequence,
            ENROLLMENT.c.step + 1,
            ENROLLMENT.c.reason,
            ENROLLMENT.c.updated_at,
        )
        .join(CONTACT, CONTACT.c.id == ENROLLMENT.c.contact_id)
        .where(ENROLLMENT.c.state == "held")
    )
    return session.execute(query).all()


def message_state(session: Db, message_id: int) -> str | None:
    query = select(MESSAGE.c.state).where(MESSAGE.c.id == message_id, MESSAGE.c.direction == OUT)
    found = session.execute(query).scalar()
    return None if found is None else str(found)


def message_enrollment(session: Db, message_id: int) -> tuple[int, int | None] | None:
    row = session.execute(
        select(MESSAGE.c.enrollment_id, MESSAGE.c.contact_id).where(MESSAGE.c.id == message_id)
    ).first()
    if row is None or row.enrollment_id is None:
        return None
    return int(row.enrollment_id), row.contact_id


def reactivate(session: Db, enrollment_id: int, now: datetime) -> None:
    """A held enrollment becomes active again (a stopped or completed one stays as it is)."""
    session.execute(
        update(ENROLLMENT)
        .where(ENROLLMENT.c.id == enrollment_id, ENROLLMENT.c.state == "held")
        .values(state="active", reason="", updated_at=now)
    )


def release_held(session: Db, enrollment_id: int, now: datetime) -> bool:
    """Held → active with its step due now; False when it is not held."""
    result = session.execute(
        update(ENROLLMENT)
        .where(ENROLLMENT.c.id == enrollment_id, ENROLLMENT.c.state == "held")
        .values(state="active", reason="", next_due_at=now, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def step_message(session: Db, enrollment_id: int) -> int | None:
    """The outbound message already written for the enrollment's current step, if any."""
    query = (
        select(MESSAGE.c.id)
        .join(ENROLLMENT, ENROLLMENT.c.id == MESSAGE.c.enrollment_id)
        .where(ENROLLMENT.c.id == enrollment_id, MESSAGE.c.step == ENROLLMENT.c.step)
    )
    found = session.execute(query).scalar()
    return None if found is None else int(found)


class Uncertain(NamedTuple):
    id: int
    message_id: str
    mailbox: str
    contact_id: int | None
    enrollment_id: int | None


def uncertain_messages(session: Db, *, before: datetime) -> list[Uncertain]:
    """Uncertain outbound messages first written before `before` (older than a grace period)."""
    query = (
        select(
            MESSAGE.c.id,
            MESSAGE.c.message_id,
            MESSAGE.c.mailbox,
            MESSAGE.c.contact_id,
            MESSAGE.c.enrollment_id,
        )
        .where(
            MESSAGE.c.direction == OUT,
            MESSAGE.c.state == UNCERTAIN,
            MESSAGE.c.created_at < before,
        )
        .order_by(MESSAGE.c.id)
    )
    return list(map(Uncertain._make, session.execute(query).all()))


# --- for reply handling ----------------------------------------------------------------------


def enroll_one(
    session: Db,
    *,
    contact_id: int,
    account_id: int,
    sequence: str,
    mailbox: str,
    segment: str,
    now: datetime,
) -> bool:
    """One enrollment, due now; False when the contact already walked this sequence."""
    exists_already = session.execute(
        select(ENROLLMENT.c.id).where(
            ENROLLMENT.c.contact_id == contact_id, ENROLLMENT.c.sequence == sequence
        )
    ).first()
    if exists_already is not None:
        return False
    session.execute(
        insert(ENROLLMENT).values(
            contact_id=contact_id,
            account_id=account_id,
            sequence=sequence,
            segment=segment,
            step=0,
            state="active",
            next_due_at=now,
            mailbox=mailbox,
            reason="",
            created_at=now,
            updated_at=now,
        )
    )
    return True


def count_events(session: Db, kind: str, contact_id: int) -> int:
    query = select(func.count()).where(EVENT.c.kind == kind, EVENT.c.contact_id == contact_id)
    return int(session.execute(query).scalar_one())


def has_due_time(session: Db, enrollment_id: int) -> bool:
    query = select(ENROLLMENT.c.next_due_at).where(ENROLLMENT.c.id == enrollment_id)
    return session.execute(query).scalar() is not None


def contact_zone(session: Db, contact_id: int) -> str:
    found = session.execute(select(CONTACT.c.timezone).where(CONTACT.c.id == contact_id)).scalar()
    return str(found or "")


def queue_message(session: Db, values: dict[str, Any], *, due: datetime) -> int:
    """An outbound message outside any sequence, written whole and due at `due`: the
    dispatcher's retry path sends it, inside the window, exactly once."""
    row = {
        "direction": OUT,
        "state": RETRY,
        "attempts": 0,
        "error": "",
        "next_attempt_at": due,
        **values,
    }
    return int(session.execute(insert(MESSAGE).returning(MESSAGE.c.id), row).scalar_one())
