"""Segments compiled to SQL: the same meaning as domain.segments.matches, run by the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlmodel import Session

from prospector.domain.segments import Segment
from prospector.store.contacts import ACCOUNT, CONTACT

MEMBER_COLUMNS = (
    CONTACT.c.id,
    CONTACT.c.email,
    CONTACT.c.first_name,
    CONTACT.c.last_name,
    CONTACT.c.title,
    CONTACT.c.seniority,
    CONTACT.c.timezone,
    ACCOUNT.c.name.label("company"),
    ACCOUNT.c.domain,
    ACCOUNT.c.industry,
    ACCOUNT.c.employees,
    ACCOUNT.c.country,
    ACCOUNT.c.icp_score,
)


def where(segment: Segment) -> ColumnElement[bool]:
    """The WHERE clause over contact JOIN account for `segment`."""
    clauses: list[ColumnElement[bool]] = []
    _listed(clauses, ACCOUNT.c.industry, segment.industries)
    _ranged(clauses, ACCOUNT.c.employees, segment.employees.min, segment.employees.max)
    _ranged(clauses, ACCOUNT.c.revenue, segment.revenue.min, segment.revenue.max)
    if segment.countries:
        clauses.append(ACCOUNT.c.country.in_([c.upper() for c in segment.countries]))
    _listed(clauses, ACCOUNT.c.business_model, segment.business_models)
    if segment.seniorities:
        clauses.append(CONTACT.c.seniority.in_([s.value for s in segment.seniorities]))
    if segment.min_icp_score is not None:
        clauses.append(ACCOUNT.c.icp_score >= segment.min_icp_score)
    if segment.last_interaction_before is not None:
        limit = _midnight(segment.last_interaction_before)
        clauses.append(
            or_(CONTACT.c.last_interaction_at.is_(None), CONTACT.c.last_interaction_at < limit)
        )
    if segment.last_interaction_after is not None:
        clauses.append(CONTACT.c.last_interaction_at >= _midnight(segment.last_interaction_after))
    if segment.tags:
        clauses.append(
            or_(
                *(
                    or_(
                        CONTACT.c.tags.contains(f",{t},", autoescape=True),
                        ACCOUNT.c.tags.contains(f",{t},", autoescape=True),
                    )
                    for t in segment.tags
                )
            )
        )
    if not segment.include_excluded:
        clauses.append(CONTACT.c.excluded_by.is_(None))
    return and_(true(), *clauses)


def _listed(clauses: list[ColumnElement[bool]], column: Any, wanted: tuple[str, ...]) -> None:
    if wanted:
        clauses.append(column.in_([w.lower() for w in wanted]))


def _ranged(
    clauses: list[ColumnElement[bool]], column: Any, low: int | None, high: int | None
) -> None:
    if low is not None:
        clauses.append(column >= low)
    if high is not None:
        clauses.append(column <= high)


def _midnight(day: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _joined(query: Select[Any]) -> Select[Any]:
    return query.select_from(CONTACT.join(ACCOUNT, ACCOUNT.c.id == CONTACT.c.account_id))


def count(session: Session, segment: Segment) -> int:
    query = _joined(select(func.count())).where(where(segment))
    return int(session.execute(query).scalar_one())


def members(session: Session, segment: Segment, *, limit: int | None = None) -> Iterator[Any]:
    """Member rows, best ICP fit first, streamed so a large segment never sits in memory."""
    query = (
        _joined(select(*MEMBER_COLUMNS))
        .where(where(segment))
        .order_by(ACCOUNT.c.icp_score.desc(), CONTACT.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    yield from session.execute(query.execution_options(yield_per=1000)).mappings()


def members_for_enrollment(session: Session, segment: Segment) -> Iterator[Any]:
    """What enrolling needs to decide on each member, best ICP fit first."""
    query = (
        _joined(
            select(
                CONTACT.c.id,
                CONTACT.c.account_id,
                CONTACT.c.email,
                CONTACT.c.timezone,
                CONTACT.c.excluded_by,
                CONTACT.c.do_not_contact,
            )
        )
        .where(where(segment))
        .order_by(ACCOUNT.c.icp_score.desc(), CONTACT.c.id)
    )
    yield from session.execute(query).mappings()
