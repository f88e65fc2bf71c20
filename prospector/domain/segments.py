"""Segments: small named groups of contacts, described as data in config."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from prospector.domain.icp import Range
from prospector.domain.seniority import Seniority


class Segment(BaseModel):
    """Every criterion given must hold; an empty list or range means "any".

    The store compiles the same fields into SQL (store/segments.py); `matches` is the
    reference meaning that the SQL is tested against.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    industries: tuple[str, ...] = ()
    employees: Range = Range()
    revenue: Range = Range()
    countries: tuple[str, ...] = ()
    business_models: tuple[str, ...] = ()
    seniorities: tuple[Seniority, ...] = ()
    min_icp_score: int | None = None
    last_interaction_before: date | None = None
    last_interaction_after: date | None = None
    tags: tuple[str, ...] = ()  # the contact or its account carries at least one
    include_excluded: bool = False  # members excluded by a red flag are left out by default

    @field_validator("tags")
    @classmethod
    def _tags_as_imported(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        """Imported tags are lower-case kebab words; a segment naming "Key Account" means them."""
        for tag in tags:
            if any(sep in tag for sep in ",;|"):
                raise ValueError(f"tag {tag!r}: give one tag per list item (no , ; or |)")
        return tuple("-".join(t.lower().split()) for t in tags)


def matches(segment: Segment, facts: Mapping[str, Any]) -> bool:
    """Whether a contact (with its account's facts merged in) belongs to the segment."""
    checks = (
        _listed(facts.get("industry"), segment.industries),
        _ranged(facts.get("employees"), segment.employees),
        _ranged(facts.get("revenue"), segment.revenue),
        _listed(facts.get("country"), segment.countries),
        _listed(facts.get("business_model"), segment.business_models),
        _listed(facts.get("seniority"), tuple(s.value for s in segment.seniorities)),
        segment.min_icp_score is None or (facts.get("icp_score") or 0) >= segment.min_icp_score,
        _before(facts.get("last_interaction_at"), segment.last_interaction_before),
        _after(facts.get("last_interaction_at"), segment.last_interaction_after),
        not segment.tags or bool(set(facts.get("tags") or ()) & set(segment.tags)),
        segment.include_excluded or not facts.get("excluded_by"),
    )
    return all(checks)


def _listed(value: object, wanted: tuple[str, ...]) -> bool:
    if not wanted:
        return True
    value = value.value if isinstance(value, Seniority) else value
    return isinstance(value, str) and value.lower() in {w.lower() for w in wanted}


def _ranged(value: object, wanted: Range) -> bool:
    if wanted.min is None and wanted.max is None:
        return True
    return isinstance(value, int) and wanted.contains(value)


def _before(value: object, limit: date | None) -> bool:
    """Never contacted counts as "before" any date: they are the freshest prospects."""
    if limit is None:
        return True
    return value is None or (isinstance(value, date) and _day(value) < limit)


def _after(value: object, limit: date | None) -> bool:
    if limit is None:
        return True
    return isinstance(value, date) and _day(value) >= limit


def _day(value: date) -> date:
    return value if type(value) is date else date(value.year, value.month, value.day)
