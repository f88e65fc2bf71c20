"""Hand-offs: an accepted SQL's row (the AE's task), its webhook delivery, the export.

One row per inbox item (a unique key), so a reply is never handed off twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update

from prospector.store.outbox import Db
from prospector.store.tables import ACCOUNT, CONTACT, HANDOFF


def add_handoff(session: Db, values: dict[str, Any]) -> int:
    return int(session.execute(insert(HANDOFF).returning(HANDOFF.c.id), values).scalar_one())


def set_handoff(session: Db, handoff_id: int, **values: Any) -> None:
    session.execute(update(HANDOFF).where(HANDOFF.c.id == handoff_id).values(**values))


def handoffs_since(session: Db, since: datetime) -> dict[str, int]:
    """Open hand-offs per AE made since `since` (the week's load, for picking the next AE)."""
    query = (
        select(HANDOFF.c.ae, func.count())
        .where(HANDOFF.c.created_at >= since, HANDOFF.c.state == "open")
        .group_by(HANDOFF.c.ae)
    )
    return {str(ae): int(n) for ae, n in session.execute(query)}


def open_handoff(session: Db, contact_id: int) -> tuple[int, str] | None:
    """(hand-off, AE) when this person was already handed off and the task is open."""
    row = session.execute(
        select(HANDOFF.c.id, HANDOFF.c.ae)
        .where(HANDOFF.c.contact_id == contact_id, HANDOFF.c.state == "open")
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def owned_at_account(session: Db, account_id: int) -> tuple[str, datetime] | None:
    """An open hand-off at this account already (the AE who owns it), if any."""
    row = session.execute(
        select(HANDOFF.c.ae, HANDOFF.c.accepted_at)
        .where(HANDOFF.c.account_id == account_id, HANDOFF.c.state == "open")
        .order_by(HANDOFF.c.id)
        .limit(1)
    ).first()
    return None if row is None else (str(row[0]), row[1])


def handoff_rows(
    session: Db, *, since: datetime | None = None, handoff_id: int | None = None
) -> list[dict[str, Any]]:
    """Every hand-off with the person and the company, oldest first (the SQL export)."""
    query = (
        select(
            HANDOFF.c.id,
            HANDOFF.c.accepted_at,
            HANDOFF.c.accepted_by,
            HANDOFF.c.ae,
            HANDOFF.c.ae_email,
            HANDOFF.c.via,
            HANDOFF.c.task,
            HANDOFF.c.state,
            HANDOFF.c.webhook_state,
            CONTACT.c.first_name,
            CONTACT.c.last_name,
            CONTACT.c.email,
            CONTACT.c.title,
            CONTACT.c.seniority,
            ACCOUNT.c.name.label("company"),
            ACCOUNT.c.domain,
            ACCOUNT.c.icp_score,
            ACCOUNT.c.potential_users,
            HANDOFF.c.item_id,
        )
        .join(CONTACT, CONTACT.c.id == HANDOFF.c.contact_id)
        .join(ACCOUNT, ACCOUNT.c.id == HANDOFF.c.account_id)
        .order_by(HANDOFF.c.id)
    )
    if since is not None:
        query = query.where(HANDOFF.c.accepted_at >= since)
    if handoff_id is not None:
        query = query.where(HANDOFF.c.id == handoff_id)
    return [dict(row._mapping) for row in session.execute(query)]


def handoff_by_item(session: Db, item_id: int) -> dict[str, Any] | None:
    row = session.execute(select(HANDOFF).where(HANDOFF.c.item_id == item_id)).first()
    return None if row is None else dict(row._mapping)


# Spelled as a literal so SQLite sees the partial index's own condition (not a parameter).
_WEBHOOK_PENDING = text("handoff.webhook_state = 'pending'")


def due_webhooks(session: Db, now: datetime, *, limit: int) -> list[int]:
    query = (
        select(HANDOFF.c.id)
        .where(_WEBHOOK_PENDING, HANDOFF.c.webhook_next_at <= now)
        .order_by(HANDOFF.c.webhook_next_at, HANDOFF.c.id)
        .limit(limit)
    )
    return [int(i) for i in session.execute(query).scalars()]


def handoff(session: Db, handoff_id: int) -> dict[str, Any] | None:
    row = session.execute(select(HANDOFF).where(HANDOFF.c.id == handoff_id)).first()
    return None if row is None else dict(row._mapping)
