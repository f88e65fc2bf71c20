"""The review queue: items a person decides on, hand-offs, and their audit trail.

A decision is one conditional UPDATE at the version the rep saw (optimistic locking): a
second rep deciding the same item at the same time updates no row and is told who won.
The hand-off row is unique per item as well, so even a bug above this layer cannot hand
one reply off twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, tuple_, update

from prospector.store.outbox import Db
from prospector.store.tables import (
    ACCOUNT,
    CONTACT,
    ENROLLMENT,
    EVENT,
    INBOX_ITEM,
    MESSAGE,
)

LANES = ("sql", "review", "referral", "snoozed")
OPEN, SNOOZED = "open", "snoozed"
PENDING = (OPEN, SNOOZED)  # states a decision may still change


@dataclass(frozen=True)
class QueueEntry:
    """One line of the list: enough to show it without reading the item's thread."""

    id: int
    lane: str
    priority: int
    contact_id: int
    name: str
    email: str
    company: str
    category: str
    why: str
    received_at: datetime
    snoozed_until: datetime | None
    version: int


@dataclass(frozen=True)
class Item:
    id: int
    message_id: int
    contact_id: int
    account_id: int
    lane: str
    state: str
    priority: int
    why: str
    snoozed_until: datetime | None
    version: int
    decided_by: str
    decided_at: datetime | None
    decision: str
    created_at: datetime


@dataclass(frozen=True)
class Decided:
    """Who already decided an item (a rep who lost the race is told this)."""

    state: str
    by: str
    at: datetime | None


_ITEM_COLUMNS = [
    INBOX_ITEM.c.id,
    INBOX_ITEM.c.message_id,
    INBOX_ITEM.c.contact_id,
    INBOX_ITEM.c.account_id,
    INBOX_ITEM.c.lane,
    INBOX_ITEM.c.state,
    INBOX_ITEM.c.priority,
    INBOX_ITEM.c.why,
    INBOX_ITEM.c.snoozed_until,
    INBOX_ITEM.c.version,
    INBOX_ITEM.c.decided_by,
    INBOX_ITEM.c.decided_at,
    INBOX_ITEM.c.decision,
    INBOX_ITEM.c.created_at,
]


# --- writing items -------------------------------------------------------------------------


def add_item(
    session: Db,
    *,
    message_id: int,
    contact_id: int,
    account_id: int,
    lane: str,
    why: str,
    priority: int,
    now: datetime,
) -> int:
    """Queue a reply for a person; a reply already waiting in that lane is not queued twice."""
    waiting = session.execute(
        select(INBOX_ITEM.c.id).where(
            INBOX_ITEM.c.message_id == message_id,
            INBOX_ITEM.c.lane == lane,
            INBOX_ITEM.c.state.in_(PENDING),
        )
    ).scalar()
    if waiting is not None:
        return int(waiting)
    values = {
        "message_id": message_id,
        "contact_id": contact_id,
        "account_id": account_id,
        "lane": lane,
        "state": OPEN,
        "priority": priority,
        "why": why,
        "version": 1,
        "decided_by": "",
        "decision": "",
        "created_at": now,
        "updated_at": now,
    }
    return int(session.execute(insert(INBOX_ITEM).returning(INBOX_ITEM.c.id), values).scalar_one())


def decide(
    session: Db,
    item_id: int,
    *,
    version: int,
    state: str,
    by: str,
    now: datetime,
    decision: str,
    snoozed_until: datetime | None = None,
) -> bool:
    """Record a decision if nobody else has since `version` was read; False if someone has."""
    result = session.execute(
        update(INBOX_ITEM)
        .where(
            INBOX_ITEM.c.id == item_id,
            INBOX_ITEM.c.version == version,
            INBOX_ITEM.c.state.in_(PENDING),
        )
        .values(
            state=state,
            version=INBOX_ITEM.c.version + 1,
            decided_by=by,
            decided_at=now,
            decision=decision,
            snoozed_until=snoozed_until,
            updated_at=now,
        )
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def close_others(session: Db, contact_id: int, *, besides: int, by: str, now: datetime) -> int:
    """Other pending items of a person just handed off: nothing is left to decide on them."""
    result = session.execute(
        update(INBOX_ITEM)
        .where(
            INBOX_ITEM.c.contact_id == contact_id,
            INBOX_ITEM.c.state.in_(PENDING),
            INBOX_ITEM.c.id != besides,
        )
        .values(
            state="closed",
            version=INBOX_ITEM.c.version + 1,
            decided_by=by,
            decided_at=now,
            decision='{"closed": "the person was handed off"}',
            updated_at=now,
        )
    )
    return int(getattr(result, "rowcount", 0))


def lock_person(session: Db, contact_id: int) -> None:
    """Decisions about one person are taken one at a time (PostgreSQL: a row lock; SQLite
    serialises every writer anyway), so two reps deciding two of their items never
    deadlock and the later one sees the earlier one's outcome."""
    session.execute(select(CONTACT.c.id).where(CONTACT.c.id == contact_id).with_for_update())


# --- reading the queue ---------------------------------------------------------------------


def _lane_filter(lane: str, now: datetime) -> list[Any]:
    if lane == "snoozed":
        return [INBOX_ITEM.c.state == SNOOZED, INBOX_ITEM.c.snoozed_until <= now]
    return [INBOX_ITEM.c.state == OPEN, INBOX_ITEM.c.lane == lane]


def _order(lane: str) -> tuple[Any, Any]:
    if lane == "snoozed":
        return INBOX_ITEM.c.snoozed_until, INBOX_ITEM.c.id
    return INBOX_ITEM.c.priority, INBOX_ITEM.c.id


def page(
    session: Db,
    lane: str,
    *,
    now: datetime,
    limit: int,
    after: tuple[Any, int] | None = None,
) -> list[QueueEntry]:
    """A page of one lane, best first; `after` is the last entry's sort key (keyset paging)."""
    first, second = _order(lane)
    ids = select(INBOX_ITEM.c.id).where(*_lane_filter(lane, now))
    if after is not None:
        ids = ids.where(tuple_(first, second) > tuple_(*after))
    ids = ids.order_by(first, second).limit(limit)
    wanted = [int(i) for i in session.execute(ids).scalars()]
    if not wanted:
        return []
    query = (
        select(
            INBOX_ITEM.c.id,
            INBOX_ITEM.c.lane,
            INBOX_ITEM.c.priority,
            INBOX_ITEM.c.contact_id,
            CONTACT.c.first_name,
            CONTACT.c.last_name,
            CONTACT.c.email,
            ACCOUNT.c.name,
            MESSAGE.c.category,
            INBOX_ITEM.c.why,
            MESSAGE.c.created_at,
            INBOX_ITEM.c.snoozed_until,
            INBOX_ITEM.c.version,
        )
        .join(CONTACT, CONTACT.c.id == INBOX_ITEM.c.contact_id)
        .join(ACCOUNT, ACCOUNT.c.id == INBOX_ITEM.c.account_id)
        .join(MESSAGE, MESSAGE.c.id == INBOX_ITEM.c.message_id)
        .where(INBOX_ITEM.c.id.in_(wanted))
    )
    found = {}
    for row in session.execute(query):
        name = " ".join(p for p in (row[4], row[5]) if p) or row[6]
        found[row[0]] = QueueEntry(row[0], row[1], row[2], row[3], name, row[6], row[7], *row[8:])
    return [found[i] for i in wanted if i in found]


def sort_key(entry: QueueEntry) -> tuple[Any, int]:
    """The key `page(after=…)` continues from."""
    if entry.lane == "snoozed" or entry.snoozed_until is not None:
        return entry.snoozed_until, entry.id
    return entry.priority, entry.id


def counts(session: Db, now: datetime) -> dict[str, int]:
    """How many wait in each lane (snoozed: only those due again)."""
    found = dict.fromkeys(LANES, 0)
    query = (
        select(INBOX_ITEM.c.lane, func.count())
        .where(INBOX_ITEM.c.state == OPEN)
        .group_by(INBOX_ITEM.c.lane)
    )
    for lane, count in session.execute(query):
        found[lane] = int(count)
    found["snoozed"] = int(
        session.execute(select(func.count()).where(*_lane_filter("snoozed", now))).scalar_one()
    )
    return found


def item(session: Db, item_id: int) -> Item | None:
    row = session.execute(select(*_ITEM_COLUMNS).where(INBOX_ITEM.c.id == item_id)).first()
    return None if row is None else Item(*row)


def decided(session: Db, item_id: int) -> Decided | None:
    found = item(session, item_id)
    return None if found is None else Decided(found.state, found.decided_by, found.decided_at)


@dataclass(frozen=True)
class Prospect:
    """The person and the company, as the checklist and the screen read them."""

    contact_id: int
    account_id: int
    first_name: str
    last_name: str
    email: str
    title: str
    seniority: str
    stage: str
    contact_tags: str
    referred_by_id: int | None
    referral_depth: int
    company: str
    domain: str
    industry: str
    employees: int | None
    country: str
    icp_score: int
    icp_reasons: str
    red_flag: str | None
    red_flag_reason: str | None
    potential_users: int | None
    account_tags: str

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


_PROSPECT = select(
    CONTACT.c.id,
    CONTACT.c.account_id,
    CONTACT.c.first_name,
    CONTACT.c.last_name,
    CONTACT.c.email,
    CONTACT.c.title,
    CONTACT.c.seniority,
    CONTACT.c.stage,
    CONTACT.c.tags,
    CONTACT.c.referred_by_id,
    CONTACT.c.referral_depth,
    ACCOUNT.c.name,
    ACCOUNT.c.domain,
    ACCOUNT.c.industry,
    ACCOUNT.c.employees,
    ACCOUNT.c.country,
    ACCOUNT.c.icp_score,
    ACCOUNT.c.icp_reasons,
    ACCOUNT.c.red_flag,
    ACCOUNT.c.red_flag_reason,
    ACCOUNT.c.potential_users,
    ACCOUNT.c.tags,
).join(ACCOUNT, ACCOUNT.c.id == CONTACT.c.account_id)


def prospect(session: Db, contact_id: int) -> Prospect | None:
    row = session.execute(_PROSPECT.where(CONTACT.c.id == contact_id)).first()
    return None if row is None else Prospect(*row)


def set_potential_users(session: Db, account_id: int, users: int, now: datetime) -> None:
    session.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == account_id)
        .values(potential_users=users, updated_at=now)
    )


def live_at_account(session: Db, account_id: int) -> list[tuple[int, int]]:
    """(enrollment, contact) of every enrollment at the account that could still send."""
    query = select(ENROLLMENT.c.id, ENROLLMENT.c.contact_id).where(
        ENROLLMENT.c.account_id == account_id, ENROLLMENT.c.state.in_(("active", "paused", "held"))
    )
    return [(int(e), int(c)) for e, c in session.execute(query)]


def paused_at_account(session: Db, account_id: int, reason: str) -> list[tuple[int, int]]:
    """(enrollment, contact) paused at the account for `reason`."""
    query = select(ENROLLMENT.c.id, ENROLLMENT.c.contact_id).where(
        ENROLLMENT.c.account_id == account_id,
        ENROLLMENT.c.state == "paused",
        ENROLLMENT.c.reason == reason,
    )
    return [(int(e), int(c)) for e, c in session.execute(query)]


# --- the thread ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadMessage:
    id: int
    direction: str
    at: datetime
    subject: str
    body: str  # outbound: the text we wrote; inbound: empty (read from `content`)
    content: bytes | None
    state: str
    category: str
    evidence: str
    action: str


_THREAD_COLUMNS = (
    MESSAGE.c.id,
    MESSAGE.c.direction,
    func.coalesce(MESSAGE.c.sent_at, MESSAGE.c.created_at),
    MESSAGE.c.subject,
    MESSAGE.c.body,
    MESSAGE.c.content,
    MESSAGE.c.state,
    MESSAGE.c.category,
    MESSAGE.c.evidence,
    MESSAGE.c.action,
)


def message_entry(session: Db, message_id: int) -> ThreadMessage | None:
    """One message as the thread shows it (an item's reply, however old)."""
    row = session.execute(select(*_THREAD_COLUMNS).where(MESSAGE.c.id == message_id)).first()
    return None if row is None else ThreadMessage(*row)


def thread(session: Db, contact_id: int, *, limit: int = 20) -> list[ThreadMessage]:
    """What we sent this person and what they wrote, oldest first (the last `limit`)."""
    query = (
        select(*_THREAD_COLUMNS)
        .where(MESSAGE.c.contact_id == contact_id)
        .order_by(MESSAGE.c.id.desc())
        .limit(limit)
    )
    return [ThreadMessage(*row) for row in reversed(session.execute(query).all())]


def raw_message(session: Db, message_id: int) -> bytes | None:
    row = session.execute(
        select(MESSAGE.c.content, MESSAGE.c.raw).where(MESSAGE.c.id == message_id)
    ).first()
    if row is None:
        return None
    return bytes(row[0]) if row[0] is not None else str(row[1]).encode("utf-8")


# --- history ------------------------------------------------------------------------------

DECISION_EVENTS = ("inbox.", "handoff.")


def history(session: Db, *, limit: int, contact_id: int | None = None) -> list[dict[str, Any]]:
    """Decisions and hand-off deliveries, newest first."""
    query = (
        select(
            EVENT.c.id, EVENT.c.at, EVENT.c.kind, EVENT.c.actor, EVENT.c.contact_id, EVENT.c.data
        )
        .where(or_(*(EVENT.c.kind.startswith(prefix) for prefix in DECISION_EVENTS)))
        .order_by(EVENT.c.id.desc())
        .limit(limit)
    )
    if contact_id is not None:
        query = query.where(EVENT.c.contact_id == contact_id)
    return [dict(row._mapping) for row in session.execute(query)]


def reply_headers(session: Db, reply_row: int) -> dict[str, str]:
    """What answering in a reply's thread needs: its Message-ID, References, subject, mailbox."""
    row = session.execute(
        select(
            MESSAGE.c.message_id, MESSAGE.c.references, MESSAGE.c.subject, MESSAGE.c.mailbox
        ).where(MESSAGE.c.id == reply_row)
    ).first()
    if row is None:
        return {}
    return {"message_id": row[0], "references": row[1], "subject": row[2], "mailbox": row[3]}
