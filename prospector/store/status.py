"""Counts by state, for `prospector status`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from prospector.store.tables import ACCOUNT, CONTACT, ENROLLMENT, MESSAGE, SUPPRESSION


def counts(session: Session) -> dict[str, dict[str, int]]:
    """{"contacts": {stage: n}, "enrollments": {"sequence state": n}, …} for one screen."""

    def grouped(*columns: Any, where: Any = None) -> dict[str, int]:
        query = select(*columns, func.count()).group_by(*columns)
        if where is not None:
            query = query.where(where)
        return {" ".join(str(v) for v in row[:-1]): int(row[-1]) for row in session.execute(query)}

    total = session.execute(select(func.count()).select_from(ACCOUNT)).scalar_one()
    return {
        "accounts": {"total": int(total)},
        "contacts": grouped(CONTACT.c.stage),
        "excluded": grouped(CONTACT.c.excluded_by, where=CONTACT.c.excluded_by.is_not(None)),
        "enrollments": grouped(ENROLLMENT.c.sequence, ENROLLMENT.c.state),
        "messages": grouped(MESSAGE.c.direction, MESSAGE.c.state),
        "suppressions": grouped(SUPPRESSION.c.reason),
    }
