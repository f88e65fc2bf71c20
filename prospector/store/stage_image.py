"""The rows of a staged chunk: records in, a SQLite database image out, and back to records.

Import workers build these images (see staging.py for the writer's side), so this module
needs only the standard library's sqlite3: SQLAlchemy would add tens of megabytes to
every worker. Staged values are what SQLite stores (0/1, dates as text), except that a
missing value is staged as '' and turned into NULL by the copy: the driver binds None
(and bool) about fifteen times slower than a str or int.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from prospector.domain.records import AccountRecord, ContactRecord
from prospector.store.row_values import ACCOUNT_COLUMNS, CONTACT_COLUMNS, tags_text, tags_tuple

Flag = tuple[str, str] | None
ScoredTuple = tuple[AccountRecord, int, tuple[str, ...], Flag]  # record, score, reasons, flag

# A contact as a new row (CONTACT_COLUMNS with the account's key for its id), then the
# incoming row's own facts that a merge with a stored contact needs back.
STAGED_CONTACT = (
    "account_key",
    *CONTACT_COLUMNS[1:],
    "incoming_timezone",
    "incoming_last_interaction",
    "zone_guess",
    "account_stated",
)
STAGED_ACCOUNT = ACCOUNT_COLUMNS
# Columns staged as '' for NULL: staged text -> SQL giving the stored value. A reason is
# NULL exactly when its rule is (a rule's reason may itself be '').
AS_STORED = {
    "employees": "NULLIF({t}.employees, '')",
    "revenue": "NULLIF({t}.revenue, '')",
    "potential_users": "NULLIF({t}.potential_users, '')",
    "red_flag": "NULLIF({t}.red_flag, '')",
    "red_flag_reason": "CASE WHEN {t}.red_flag = '' THEN NULL ELSE {t}.red_flag_reason END",
    "excluded_by": "NULLIF({t}.excluded_by, '')",
    "excluded_reason": ("CASE WHEN {t}.excluded_by = '' THEN NULL ELSE {t}.excluded_reason END"),
    "last_interaction_at": "NULLIF({t}.last_interaction_at, '')",
}
DDL = (
    f"CREATE TABLE staged_account ({', '.join(STAGED_ACCOUNT)})",
    f"CREATE TABLE staged_contact ({', '.join(STAGED_CONTACT)})",
)


def image(accounts: Iterable[tuple[Any, ...]], contacts: Iterable[tuple[Any, ...]]) -> bytes:
    """An in-memory database of staged rows, serialised."""
    db = sqlite3.connect(":memory:")
    try:
        for statement in DDL:
            db.execute(statement)
        db.executemany(_insert("staged_account", STAGED_ACCOUNT), accounts)
        db.executemany(_insert("staged_contact", STAGED_CONTACT), contacts)
        db.commit()
        return db.serialize()
    finally:
        db.close()


def account_row(
    record: AccountRecord, score: int, reasons: tuple[str, ...], flag: Flag
) -> tuple[Any, ...]:
    """A staged account, in STAGED_ACCOUNT order."""
    return (
        record.key,
        record.name,
        record.domain,
        record.industry,
        "" if record.employees is None else record.employees,
        "" if record.revenue is None else record.revenue,
        record.country,
        record.region,
        record.business_model,
        "" if record.potential_users is None else record.potential_users,
        tags_text(record.tags),
        score,
        "\n".join(reasons),
        flag[0] if flag else "",
        flag[1] if flag else "",
    )


def contact_row(incoming: ContactRecord, timezone: str, excluded: Flag) -> tuple[Any, ...]:
    """A staged contact: the row it gets if it is new (stored in `timezone`), then the
    incoming row's own zone facts; in STAGED_CONTACT order."""
    return (
        incoming.account_key,
        incoming.email,
        incoming.first_name,
        incoming.last_name,
        incoming.title,
        incoming.seniority,
        timezone,
        incoming.country,
        incoming.region,
        incoming.phone,
        1 if incoming.is_role_address else 0,
        1 if incoming.is_free_mail else 0,
        tags_text(incoming.tags),
        excluded[0] if excluded else "",
        excluded[1] if excluded else "",
        day_text(incoming.last_interaction_at) if incoming.last_interaction_at else "",
        json.dumps(dict(incoming.extra), ensure_ascii=False) if incoming.extra else "",
        incoming.timezone,
        incoming.last_interaction_at,
        incoming.zone_guess,
        1 if incoming.account_stated else 0,
    )


@lru_cache(maxsize=4096)
def day_text(day: str) -> str:
    """An ISO date as SQLAlchemy stores a DateTime (at midnight UTC) in SQLite."""
    at = datetime.fromisoformat(day[:10])
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}"
    )


def incoming(row: tuple[Any, ...]) -> tuple[ContactRecord, Flag]:
    """A staged contact row back to the incoming record and the worker's verdict."""
    (key, email, first, last, title, seniority, _new_zone, country, region, phone, role,
     free, tags, rule, reason, _new_last, extra, zone, last_at, guess, stated) = row  # fmt: skip
    record = ContactRecord(
        email,
        key,
        first,
        last,
        title,
        seniority,
        zone,
        country,
        region,
        phone,
        bool(role),
        bool(free),
        tags_tuple(tags),
        last_at,
        tuple(json.loads(extra).items()) if extra else (),
        guess,
        bool(stated),
    )
    return record, ((rule, reason) if rule else None)


def scored(row: tuple[Any, ...]) -> ScoredTuple:
    """A staged account row back to (record, score, reasons, red flag)."""
    (key, name, domain, industry, employees, revenue, country, region, model, users, tags,
     score, reasons, flag, flag_reason) = row  # fmt: skip
    record = AccountRecord(
        key,
        name,
        domain,
        industry,
        None if employees == "" else employees,
        None if revenue == "" else revenue,
        country,
        region,
        model,
        None if users == "" else users,
        tags_tuple(tags),
    )
    reasons_ = tuple(reasons.split("\n")) if reasons else ()
    return record, score, reasons_, ((flag, flag_reason) if flag else None)


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
