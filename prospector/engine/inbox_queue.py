"""Putting a reply in front of a person: which lane, how high, and the SQL checklist.

Called inside the transaction that stores and acts on a reply (and by the inbox when a
rep reclassifies one), so a reply is never acted on without its item, nor queued twice.
"""

from __future__ import annotations

from datetime import datetime

from prospector.config import Settings
from prospector.domain.qualification import Facts, Line, checklist, priority
from prospector.domain.seniority import Seniority
from prospector.store import handoffs, inbox
from prospector.store.outbox import Db

CUSTOMER_TAGS = ("customer", "existing-customer", "client")
OWNED_STAGES = {
    "opportunity": "already an opportunity (handed off)",
    "customer": "an existing customer",
    "champion": "an existing customer (champion)",
    "existing_customer": "an existing customer",
}


def qualify(
    session: Db, settings: Settings, person: inbox.Prospect, reply_text: str
) -> tuple[Line, ...]:
    """The checklist for this person as of now (ownership is read from the hand-offs)."""
    config = settings.config
    facts = Facts(
        icp_score=person.icp_score,
        icp_reasons=tuple(r for r in person.icp_reasons.splitlines() if r),
        min_icp_score=config.inbox.min_icp_score,
        red_flag=person.red_flag,
        red_flag_reason=person.red_flag_reason,
        seniority=_seniority(person.seniority),
        title=person.title,
        min_seniority=config.icp.min_seniority,
        reply_text=reply_text,
        potential_users=person.potential_users,
        min_users=config.icp.min_potential_users,
        owned_by=owned_by(session, person),
    )
    return checklist(facts)


def owned_by(session: Db, person: inbox.Prospect) -> str | None:
    """Why this lead is not ours to source: a customer already, or someone owns the account."""
    if person.stage in OWNED_STAGES:
        return OWNED_STAGES[person.stage]
    tags = {t for t in (person.account_tags + "," + person.contact_tags).split(",") if t}
    if tags & set(CUSTOMER_TAGS):
        return f"{person.company} is tagged as a customer"
    owner = handoffs.owned_at_account(session, person.account_id)
    if owner is not None:
        return f"{owner[0]} already owns {person.company} (handed off {owner[1]:%Y-%m-%d})"
    return None


def queue_reply(
    session: Db,
    settings: Settings,
    *,
    message_row: int,
    contact_id: int,
    lane: str,
    why: str,
    reply_text: str,
    now: datetime,
) -> int | None:
    """Queue the reply in `lane`, ranked by its checklist; None if the contact is gone."""
    person = inbox.prospect(session, contact_id)
    if person is None:
        return None
    lines = qualify(session, settings, person, reply_text)
    return inbox.add_item(
        session,
        message_id=message_row,
        contact_id=contact_id,
        account_id=person.account_id,
        lane=lane,
        why=why,
        priority=priority(lane, lines, person.icp_score),
        now=now,
    )


def _seniority(value: str) -> Seniority:
    try:
        return Seniority(value)
    except ValueError:
        return Seniority.UNKNOWN
