"""Accounts and contacts in bulk: look up by natural key, insert, update (Core, for speed)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlmodel import Session, SQLModel

import prospector.store.tables  # noqa: F401  (registers the tables)
from prospector.domain.records import AccountRecord, ContactRecord
from prospector.domain.seniority import Seniority

ACCOUNT: Table = SQLModel.metadata.tables["account"]
CONTACT: Table = SQLModel.metadata.tables["contact"]
_CHUNK = 500  # bound parameters per IN (...) stay far below every backend's limit


def tags_text(tags: Iterable[str]) -> str:
    """ ",a,b," so that `LIKE '%,a,%'` tests membership on any SQL backend."""
    joined = ",".join(tags)
    return f",{joined}," if joined else ""


def tags_tuple(text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(",") if t)


@dataclass(frozen=True)
class StoredAccount:
    id: int
    record: AccountRecord
    red_flag: tuple[str, str] | None


@dataclass(frozen=True)
class StoredContact:
    id: int
    record: ContactRecord
    excluded: tuple[str, str] | None


def accounts_by_key(session: Session, keys: Sequence[str]) -> dict[str, StoredAccount]:
    out: dict[str, StoredAccount] = {}
    for chunk in chunks(keys):
        rows = session.execute(select(ACCOUNT).where(ACCOUNT.c.key.in_(chunk))).mappings()
        for row in rows:
            flag = (row["red_flag"], row["red_flag_reason"] or "") if row["red_flag"] else None
            out[row["key"]] = StoredAccount(row["id"], _account_record(row), flag)
    return out


def contacts_by_email(session: Session, emails: Sequence[str]) -> dict[str, StoredContact]:
    out: dict[str, StoredContact] = {}
    query = select(CONTACT, ACCOUNT.c.key.label("account_key")).join(
        ACCOUNT, ACCOUNT.c.id == CONTACT.c.account_id
    )
    for chunk in chunks(emails):
        for row in session.execute(query.where(CONTACT.c.email.in_(chunk))).mappings():
            excluded = (
                (row["excluded_by"], row["excluded_reason"] or "") if row["excluded_by"] else None
            )
            out[row["email"]] = StoredContact(row["id"], _contact_record(row), excluded)
    return out


def insert_accounts(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert account rows (from `account_row`); returns key -> new id."""
    if not rows:
        return {}
    result = session.execute(insert(ACCOUNT).returning(ACCOUNT.c.id, ACCOUNT.c.key), rows)
    return {key: id_ for id_, key in result}


def update_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Executemany UPDATE by id; each row carries `_id` and the columns to set."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "_id"]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(c) for c in columns})
    )
    session.connection().execute(stmt, rows)


def insert_contacts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(CONTACT), rows)


def account_row(
    record: AccountRecord, *, score: int, reasons: Sequence[str], flag: tuple[str, str] | None
) -> dict[str, Any]:
    return {
        "key": record.key,
        "name": record.name,
        "domain": record.domain,
        "industry": record.industry,
        "employees": record.employees,
        "revenue": record.revenue,
        "country": record.country,
        "region": record.region,
        "business_model": record.business_model,
        "potential_users": record.potential_users,
        "tags": tags_text(record.tags),
        "icp_score": score,
        "icp_reasons": "\n".join(reasons),
        "red_flag": flag[0] if flag else None,
        "red_flag_reason": flag[1] if flag else None,
    }


def contact_row(
    record: ContactRecord, *, account_id: int, excluded: tuple[str, str] | None
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "email": record.email,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "title": record.title,
        "seniority": record.seniority.value,
        "timezone": record.timezone,
        "country": record.country,
        "region": record.region,
        "phone": record.phone,
        "is_role_address": record.is_role_address,
        "is_free_mail": record.is_free_mail,
        "tags": tags_text(record.tags),
        "excluded_by": excluded[0] if excluded else None,
        "excluded_reason": excluded[1] if excluded else None,
        "last_interaction_at": _as_datetime(record.last_interaction_at),
        "extra": json.dumps(record.extra, ensure_ascii=False) if record.extra else "",
    }


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
        seniority=Seniority(row["seniority"]),
        timezone=row["timezone"],
        country=row["country"],
        region=row["region"],
        phone=row["phone"],
        is_role_address=row["is_role_address"],
        is_free_mail=row["is_free_mail"],
        tags=tags_tuple(row["tags"]),
        last_interaction_at=last.date().isoformat() if last else "",
        extra=json.loads(row["extra"]) if row["extra"] else {},
    )


def _as_datetime(day: str) -> datetime | None:
    if not day:
        return None
    return datetime.fromisoformat(day[:10]).replace(tzinfo=UTC)


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
