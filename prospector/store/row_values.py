"""Accounts and contacts as row tuples in column order, and back.

Without SQLAlchemy: import worker processes build rows too, and each of them would
otherwise carry the ORM's tens of megabytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from prospector.domain.records import AccountRecord, ContactRecord


def tags_text(tags: Iterable[str]) -> str:
    """ ",a,b," so that `LIKE '%,a,%'` tests membership on any SQL backend."""
    joined = ",".join(tags)
    return f",{joined}," if joined else ""


def tags_tuple(text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(",") if t)


ACCOUNT_COLUMNS = (
    "key",
    "name",
    "domain",
    "industry",
    "employees",
    "revenue",
    "country",
    "region",
    "business_model",
    "potential_users",
    "tags",
    "icp_score",
    "icp_reasons",
    "red_flag",
    "red_flag_reason",
)

CONTACT_COLUMNS = (
    "account_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "timezone",
    "country",
    "region",
    "phone",
    "is_role_address",
    "is_free_mail",
    "tags",
    "excluded_by",
    "excluded_reason",
    "last_interaction_at",
    "extra",
)


def account_values(
    record: AccountRecord,
    *,
    score: int,
    reasons: Sequence[str],
    flag: tuple[str, str] | None,
) -> tuple[Any, ...]:
    """One row in ACCOUNT_COLUMNS order."""
    return (
        record.key,
        record.name,
        record.domain,
        record.industry,
        record.employees,
        record.revenue,
        record.country,
        record.region,
        record.business_model,
        record.potential_users,
        tags_text(record.tags),
        score,
        "\n".join(reasons),
        flag[0] if flag else None,
        flag[1] if flag else None,
    )


def contact_values(
    record: ContactRecord, *, account_id: int, excluded: tuple[str, str] | None
) -> tuple[Any, ...]:
    """One row in CONTACT_COLUMNS order."""
    return (
        account_id,
        record.email,
        record.first_name,
        record.last_name,
        record.title,
        record.seniority,
        record.timezone,
        record.country,
        record.region,
        record.phone,
        record.is_role_address,
        record.is_free_mail,
        tags_text(record.tags),
        excluded[0] if excluded else None,
        excluded[1] if excluded else None,
        _as_datetime(record.last_interaction_at),
        json.dumps(dict(record.extra), ensure_ascii=False) if record.extra else "",
    )


def _as_datetime(day: str) -> datetime | None:
    if not day:
        return None
    return datetime.fromisoformat(day[:10]).replace(tzinfo=UTC)
