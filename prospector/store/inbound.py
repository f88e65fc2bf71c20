"""Inbound mail: how far each folder was read, the replies kept, and what they change."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from prospector.store.outbox import Db
from prospector.store.tables import ACCOUNT, CONTACT, ENROLLMENT, MAILBOX_FOLDER, MESSAGE

IN = "in"
LIVE = ("active", "paused")  # enrollments a reply can still stop


class FolderMark(NamedTuple):
    uidvalidity: int
    last_uid: int


class Outbound(NamedTuple):
    """One of our messages a reply or bounce points back to."""

    id: int
    contact_id: int | None
    enrollment_id: int | None
    mailbox: str


class Known(NamedTuple):
    id: int
    account_id: int
    email: str
    first_name: str
    last_name: str
    referral_depth: int


# --- folder progress -----------------------------------------------------------------------


def folder_mark(session: Db, mailbox: str, folder: str) -> FolderMark | None:
    row = session.execute(
        select(MAILBOX_FOLDER.c.uidvalidity, MAILBOX_FOLDER.c.last_uid).where(
            MAILBOX_FOLDER.c.mailbox == mailbox, MAILBOX_FOLDER.c.folder == folder
        )
    ).first()
    return None if row is None else FolderMark(int(row[0]), int(row[1]))


def set_folder_mark(
    session: Db, mailbox: str, folder: str, mark: FolderMark, now: datetime
) -> None:
    values = {"uidvalidity": mark.uidvalidity, "last_uid": mark.last_uid, "synced_at": now}
    result = session.execute(
        update(MAILBOX_FOLDER)
        .where(MAILBOX_FOLDER.c.mailbox == mailbox, MAILBOX_FOLDER.c.folder == folder)
        .values(**values)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.execute(insert(MAILBOX_FOLDER).values(mailbox=mailbox, folder=folder, **values))


# --- matching ------------------------------------------------------------------------------


def outbound_by_message_ids(session: Db, message_ids: Sequence[str]) -> list[Outbound]:
    """Our outbound messages among these Message-IDs, most recent first."""
    if not message_ids:
        return []
    query = (
        select(MESSAGE.c.id, MESSAGE.c.contact_id, MESSAGE.c.enrollment_id, MESSAGE.c.mailbox)
        .where(MESSAGE.c.direction == "out", MESSAGE.c.message_id.in_(list(message_ids)))
        .order_by(MESSAGE.c.id.desc())
    )
    return list(map(Outbound._make, session.execute(query).all()))


_KNOWN = select(
    CONTACT.c.id,
    CONTACT.c.account_id,
    CONTACT.c.email,
    CONTACT.c.first_name,
    CONTACT.c.last_name,
    CONTACT.c.referral_depth,
)


def contacts_by_email(session: Db, emails: Iterable[str]) -> dict[str, Known]:
    wanted = sorted({e.strip().lower() for e in emails if e and "@" in e})
    if not wanted:
        return {}
    rows = session.execute(_KNOWN.where(CONTACT.c.email.in_(wanted))).all()
    return {row.email: Known._make(row) for row in rows}


def contact(session: Db, contact_id: int) -> Known | None:
    row = session.execute(_KNOWN.where(CONTACT.c.id == contact_id)).first()
    return None if row is None else Known._make(row)


def is_inbound_known(session: Db, message_id: str) -> bool:
    """A message already stored (read before a UIDVALIDITY reset, or from another folder)."""
    query = select(MESSAGE.c.id).where(
        MESSAGE.c.direction == IN, MESSAGE.c.message_id == message_id
    )
    return session.execute(query).first() is not None


# --- recording -----------------------------------------------------------------------------


def insert_inbound(session: Db, values: dict[str, Any]) -> int | None:
    """The inbound row; None when this mailbox/folder/UIDVALIDITY/UID was stored already."""
    row = {"direction": IN, "state": "received", "attempts": 0, "error": "", **values}
    bind = session.get_bind() if hasattr(session, "get_bind") else session
    found = session.execute(_insert_inbound(bind.dialect.name), row).scalar()
    return None if found is None else int(found)


@functools.cache
def _insert_inbound(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(MESSAGE)
        .on_conflict_do_nothing(
            index_elements=["mailbox", "folder", "uidvalidity", "uid"],
            index_where=text("direction = 'in'"),
        )
        .returning(MESSAGE.c.id)
    )


def set_outcome(session: Db, message_row: int, **values: Any) -> None:
    session.execute(update(MESSAGE).where(MESSAGE.c.id == message_row).values(**values))


# --- effects -------------------------------------------------------------------------------


def live_enrollments(session: Db, contact_id: int) -> list[int]:
    query = select(ENROLLMENT.c.id).where(
        ENROLLMENT.c.contact_id == contact_id, ENROLLMENT.c.state.in_(LIVE)
    )
    return list(session.execute(query).scalars())


def set_enrollments(session: Db, ids: Sequence[int], **values: Any) -> None:
    if ids:
        session.execute(update(ENROLLMENT).where(ENROLLMENT.c.id.in_(list(ids))).values(**values))


def active_at_account(session: Db, account_id: int, *, besides: int) -> list[int]:
    """Active enrollments of the other people at an account (paused on a positive reply)."""
    query = select(ENROLLMENT.c.id).where(
        ENROLLMENT.c.account_id == account_id,
        ENROLLMENT.c.contact_id != besides,
        ENROLLMENT.c.state == "active",
    )
    return list(session.execute(query).scalars())


def set_contact(session: Db, contact_id: int, **values: Any) -> None:
    session.execute(update(CONTACT).where(CONTACT.c.id == contact_id).values(**values))


def add_contact(session: Db, values: dict[str, Any]) -> int:
    return int(session.execute(insert(CONTACT).returning(CONTACT.c.id), values).scalar_one())


def account_zone(session: Db, account_id: int) -> tuple[str, str]:
    """(country, region) of an account, for a referred person's zone guess."""
    row = session.execute(
        select(ACCOUNT.c.country, ACCOUNT.c.region).where(ACCOUNT.c.id == account_id)
    ).first()
    return ("", "") if row is None else (str(row[0]), str(row[1]))


# --- reading back --------------------------------------------------------------------------


class Reply(NamedTuple):
    id: int
    created_at: datetime
    mailbox: str
    from_address: str
    subject: str
    category: str
    confidence: float | None
    action: str
    evidence: str
    contact_id: int | None


_REPLY_COLUMNS = (
    MESSAGE.c.id,
    MESSAGE.c.created_at,
    MESSAGE.c.mailbox,
    MESSAGE.c.from_address,
    MESSAGE.c.subject,
    MESSAGE.c.category,
    MESSAGE.c.confidence,
    MESSAGE.c.action,
    MESSAGE.c.evidence,
    MESSAGE.c.contact_id,
)


def recent_replies(session: Db, *, limit: int, category: str | None = None) -> list[Reply]:
    query = select(*_REPLY_COLUMNS).where(MESSAGE.c.direction == IN)
    if category:
        query = query.where(MESSAGE.c.category == category)
    query = query.order_by(MESSAGE.c.id.desc()).limit(limit)
    return list(map(Reply._make, session.execute(query).all()))


def inbound_content(session: Db, ids: Sequence[int] | None = None) -> list[tuple[int, bytes]]:
    query = select(MESSAGE.c.id, MESSAGE.c.content).where(
        MESSAGE.c.direction == IN, MESSAGE.c.content.is_not(None)
    )
    if ids is not None:
        query = query.where(MESSAGE.c.id.in_(bindparam("ids", expanding=True)))
        return [(int(i), bytes(c)) for i, c in session.execute(query, {"ids": list(ids)})]
    return [(int(i), bytes(c)) for i, c in session.execute(query.order_by(MESSAGE.c.id))]


def replies_by_ids(session: Db, ids: Sequence[int]) -> list[Reply]:
    if not ids:
        return []
    query = select(*_REPLY_COLUMNS).where(MESSAGE.c.id.in_(bindparam("ids", expanding=True)))
    return list(map(Reply._make, session.execute(query, {"ids": list(ids)}).all()))


def nurture_due(session: Db, now: datetime) -> list[tuple[int, int, str]]:
    """(contact, account, last mailbox) of nurture contacts whose date has come."""
    last_mailbox = (
        select(ENROLLMENT.c.mailbox)
        .where(ENROLLMENT.c.contact_id == CONTACT.c.id)
        .order_by(ENROLLMENT.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(CONTACT.c.id, CONTACT.c.account_id, last_mailbox).where(
        CONTACT.c.stage == "nurture", CONTACT.c.nurture_until <= now
    )
    return [(int(c), int(a), str(m or "")) for c, a, m in session.execute(query)]
