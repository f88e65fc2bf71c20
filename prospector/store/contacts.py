"""Accounts and contacts in bulk: look up by natural key, insert, update (Core, for speed)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Table, bindparam, select, update
from sqlmodel import Session, SQLModel

import prospector.store.tables  # noqa: F401  (registers the tables)
from prospector.domain.records import AccountRecord, ContactRecord
from prospector.store.bulk import BulkInsert
from prospector.store.row_values import (
    ACCOUNT_COLUMNS,
    CONTACT_COLUMNS,
    tags_tuple,
)

ACCOUNT: Table = SQLModel.metadata.tables["account"]
CONTACT: Table = SQLModel.metadata.tables["contact"]
_CHUNK = 500  # bound parameters per IN (...) stay far below every backend's limit
T = TypeVar("T")


class StoredAccount(NamedTuple):
    """An account as stored, with the score and flag it was given."""

    id: int
    record: AccountRecord
    red_flag: tuple[str, str] | None
    score: int = 0
    reasons: tuple[str, ...] = ()

    @classmethod
    def of(cls, id_: int, scored: Any) -> StoredAccount:
        """From an engine ScoredAccount (record, score, reasons, flag)."""
        return cls(id_, scored.record, scored.flag, scored.score, tuple(scored.reasons))

    def same_as(
        self,
        record: AccountRecord,
        score: int,
        reasons: Sequence[str],
        flag: tuple[str, str] | None,
    ) -> bool:
        return (record, score, tuple(reasons), flag) == (
            self.record,
            self.score,
            self.reasons,
            self.red_flag,
        )


@dataclass(frozen=True)
class StoredContact:
    id: int
    record: ContactRecord
    excluded: tuple[str, str] | None


def is_empty(session: Session) -> bool:
    """No account and no contact stored yet (a first import)."""
    for table in (ACCOUNT, CONTACT):
        if session.execute(select(table.c.id).limit(1)).first() is not None:
            return False
    return True


def accounts_by_key(session: Session, keys: Sequence[str]) -> dict[str, StoredAccount]:
    out: dict[str, StoredAccount] = {}
    for chunk in chunks(keys):
        rows = session.execute(select(ACCOUNT).where(ACCOUNT.c.key.in_(chunk))).mappings()
        for row in rows:
            flag = (row["red_flag"], row["red_flag_reason"] or "") if row["red_flag"] else None
            reasons = tuple(row["icp_reasons"].split("\n")) if row["icp_reasons"] else ()
            record = _account_record(row)
            out[row["key"]] = StoredAccount(row["id"], record, flag, row["icp_score"], reasons)
    return out


def account_ids(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """key -> id of the stored accounts among `keys`."""
    found: dict[str, int] = {}
    for chunk in chunks(keys):
        query = select(ACCOUNT.c.key, ACCOUNT.c.id).where(ACCOUNT.c.key.in_(chunk))
        found.update((key, id_) for key, id_ in session.execute(query))
    return found


def contacts_of_accounts(
    session: Session, account_ids: Sequence[int]
) -> list[tuple[int, StoredContact]]:
    """(account id, contact) for every contact stored at these accounts."""
    found = []
    for ids in chunks(account_ids):
        for row in session.execute(_WITH_KEY.where(CONTACT.c.account_id.in_(ids))).mappings():
            found.append((row["account_id"], _stored_contact(row)))
    return found


def contacts_by_email(session: Session, emails: Sequence[str]) -> dict[str, StoredContact]:
    out: dict[str, StoredContact] = {}
    for chunk in chunks(emails):
        for row in session.execute(_WITH_KEY.where(CONTACT.c.email.in_(chunk))).mappings():
            out[row["email"]] = _stored_contact(row)
    return out


_WITH_KEY = select(CONTACT, ACCOUNT.c.key.label("account_key")).join(
    ACCOUNT, ACCOUNT.c.id == CONTACT.c.account_id
)


def _stored_contact(row: Any) -> StoredContact:
    flag = row["excluded_by"]
    excluded = (flag, row["excluded_reason"] or "") if flag else None
    return StoredContact(row["id"], _contact_record(row), excluded)


@dataclass(frozen=True)
class Stamp:
    """When and from where a batch of rows was written."""

    at: datetime
    source: str


def new_row_constants(stamp: Stamp) -> dict[Table, dict[str, Any]]:
    """What every new row of a table gets besides its values: the stamp, a starting state
    (a new contact is a prospect), and each other column's Python-side default, as an ORM
    insert would give it (SQLAlchemy adds none to the raw inserts of an import).

    Updates never touch stage or do-not-contact.
    """
    stamped = {"created_at": stamp.at, "updated_at": stamp.at, "source": stamp.source}
    given = {
        ACCOUNT: (ACCOUNT_COLUMNS, stamped),
        CONTACT: (CONTACT_COLUMNS, {**stamped, "stage": "prospect", "do_not_contact": False}),
    }
    return {
        table: {**_scalar_defaults(table, (*columns, *constants)), **constants}
        for table, (columns, constants) in given.items()
    }


def _scalar_defaults(table: Table, supplied: Sequence[str]) -> dict[str, Any]:
    return {
        column.name: column.default.arg  # type: ignore[attr-defined]
        for column in table.columns
        if column.name not in supplied and column.default is not None and column.default.is_scalar
    }


class Writer:
    """Bulk writes of one import: inserts compiled once, updates by id (they are rare)."""

    def __init__(self, session: Session, stamp: Stamp) -> None:
        self.session, self.stamp = session, stamp
        connection = session.connection()
        constants = new_row_constants(stamp)
        self.accounts = BulkInsert(connection, ACCOUNT, ACCOUNT_COLUMNS, constants[ACCOUNT])
        self.contacts = BulkInsert(connection, CONTACT, CONTACT_COLUMNS, constants[CONTACT])

    def insert_accounts(self, rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """Insert account rows; returns key -> new id."""
        if not rows:
            return {}
        self.accounts.run(rows)
        return account_ids(self.session, [row[0] for row in rows])

    def insert_contacts(self, rows: list[tuple[Any, ...]]) -> None:
        self.contacts.run(rows)

    def set_exclusions(self, changes: list[tuple[int, tuple[str, str] | None]]) -> None:
        """New verdicts for contacts by id: (id, (rule id, reason) or None)."""
        rows = [
            (id_, excluded[0] if excluded else None, excluded[1] if excluded else None)
            for id_, excluded in changes
        ]
        self.update(CONTACT, ("excluded_by", "excluded_reason"), rows)

    def update(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """UPDATE by id; each row is (id, *values in `columns` order), stamped updated_at."""
        if not rows:
            return
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in (*columns, "updated_at")})
        )
        params = [
            {"_id": row[0], "updated_at": self.stamp.at, **dict(zip(columns, row[1:], strict=True))}
            for row in rows
        ]
        self.session.connection().execute(stmt, params)


def _account_record(row: Any) -> AccountRecord:
    return AccountRecord(
        key=row["key"],
        name=row["name"],
        domain=row["domain"],
        industry=row["industry"],
        employees=row["employees"],
        revenue=row["revenue"],
        country=row["country"],
        region=row["region"],
        business_model=row["business_model"],
        potential_users=row["potential_users"],
        tags=tags_tuple(row["tags"]),
    )


def _contact_record(row: Any) -> ContactRecord:
    last = row["last_interaction_at"]
    return ContactRecord(
        email=row["email"],
        account_key=row["account_key"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        title=row["title"],
        seniority=row["seniority"],
        timezone=row["timezone"],
        country=row["country"],
        region=row["region"],
        phone=row["phone"],
        is_role_address=row["is_role_address"],
        is_free_mail=row["is_free_mail"],
        tags=tags_tuple(row["tags"]),
        last_interaction_at=last.date().isoformat() if last else "",
        extra=tuple(json.loads(row["extra"]).items()) if row["extra"] else (),
    )


def chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    """Slices of at most _CHUNK items, so an IN (...) list stays within every backend's limit."""
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
