"""Ideal-customer-profile fit score with its reasons, and red-flag rules as data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prospector.domain.seniority import Seniority


class Range(BaseModel):
    """An inclusive numeric range; either end may be open."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int | None = None
    max: int | None = None

    def contains(self, value: int | None) -> bool:
        if value is None:
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Weights(BaseModel):
    """Points each ICP criterion adds to the 0–100 fit score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    industry: int = 30
    employees: int = 20
    revenue: int = 15
    country: int = 15
    business_model: int = 10
    potential_users: int = 10


class IcpProfile(BaseModel):
    """What the best 5–10% of current customers look like; empty lists mean "any"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    industries: tuple[str, ...] = ()
    employees: Range = Range()
    revenue: Range = Range()
    countries: tuple[str, ...] = ()
    business_models: tuple[str, ...] = ()
    seniorities: tuple[Seniority, ...] = (Seniority.C_LEVEL, Seniority.VP, Seniority.DIRECTOR)
    min_seniority: Seniority = Seniority.DIRECTOR
    min_potential_users: int = 20
    weights: Weights = Weights()


_OPS = ("in_", "not_in", "below", "above", "equals", "contains")


class RedFlag(BaseModel):
    """One exclusion rule: `field` compared with exactly one operator."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    description: str = ""
    field: str
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    not_in: tuple[str, ...] | None = None
    below: int | None = None
    above: int | None = None
    equals: str | None = None
    contains: str | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> RedFlag:
        given = [op for op in _OPS if getattr(self, op) is not None]
        if len(given) != 1:
            names = ", ".join(op.rstrip("_") for op in _OPS)
            raise ValueError(f"give exactly one of {names} (got {len(given)})")
        if self.field not in FLAG_FIELDS:
            raise ValueError(f"unknown field {self.field!r}; use one of {', '.join(FLAG_FIELDS)}")
        return self

    def check(self, facts: Mapping[str, Any]) -> str | None:
        """The reason this rule excludes `facts`, or None when it does not apply."""
        value = facts.get(self.field)
        if self.in_ is not None and _matches_any(value, self.in_):
            return f"{self.field} {_show(value)} is listed"
        if (
            self.not_in is not None
            and value not in (None, "", ())
            and not _matches_any(value, self.not_in)
        ):
            return f"{self.field} {_show(value)} is not one we sell to"
        if self.below is not None and isinstance(value, int) and value < self.below:
            return f"{self.field} {value} is below {self.below}"
        if self.above is not None and isinstance(value, int) and value > self.above:
            return f"{self.field} {value} is above {self.above}"
        if self.equals is not None and _norm(value) == _norm(self.equals):
            return f"{self.field} is {self.equals}"
        if self.contains is not None and _norm(self.contains) in _norm(value):
            return f"{self.field} contains {self.contains!r}"
        return None


# Facts a red flag may test: account fields, plus contact fields for person-level rules.
FLAG_FIELDS = (
    "domain",
    "email_domain",
    "email",
    "name",
    "industry",
    "employees",
    "revenue",
    "country",
    "region",
    "business_model",
    "tags",
    "title",
    "seniority",
)


def _norm(value: object) -> str:
    if isinstance(value, tuple | list):
        return ",".join(str(v).lower() for v in value)
    return "" if value is None else str(value).strip().lower()


def _matches_any(value: object, options: tuple[str, ...]) -> bool:
    wanted = _lowered(options)
    if isinstance(value, tuple | list):
        return any(str(v).lower() in wanted for v in value)
    if isinstance(value, str):
        return value.strip().lower() in wanted
    return _norm(value) in wanted


@lru_cache(maxsize=256)
def _lowered(options: tuple[str, ...]) -> frozenset[str]:
    """A rule's list, lower-cased once: every imported account is checked against it."""
    return frozenset(o.lower() for o in options)


def _show(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple | list) else repr(value)


@dataclass(frozen=True)
class Fit:
    """A 0–100 score and the reasons that made it, for the SDR and the inbox checklist."""

    score: int
    reasons: tuple[str, ...]


def score(profile: IcpProfile, facts: Mapping[str, Any]) -> Fit:
    """Add the weight of each criterion the account meets; an unstated fact earns nothing.

    An empty criterion in the profile ("any industry") is met by every account, so the
    score stays comparable when a team has not filled every field.
    """
    w = profile.weights
    checks = (
        ("industry", w.industry, _in_list(facts.get("industry"), profile.industries)),
        ("employees", w.employees, _in_range(facts.get("employees"), profile.employees)),
        ("revenue", w.revenue, _in_range(facts.get("revenue"), profile.revenue)),
        ("country", w.country, _in_list(facts.get("country"), profile.countries)),
        (
            "business_model",
            w.business_model,
            _in_list(facts.get("business_model"), profile.business_models),
        ),
        (
            "potential_users",
            w.potential_users,
            _at_least(facts.get("potential_users"), profile.min_potential_users),
        ),
    )
    total = sum(weight for _, weight, _ in checks) or 1
    points = 0
    reasons = []
    for name, weight, (hit, why) in checks:
        points += weight if hit else 0
        reasons.append(f"{'+' if hit else '-'}{weight if hit else 0} {name}: {why}")
    return Fit(round(100 * points / total), tuple(reasons))


def _in_list(value: object, wanted: tuple[str, ...]) -> tuple[bool, str]:
    if not wanted:
        return True, "any accepted"
    if not value:
        return False, "unknown"
    hit = str(value).lower() in _lowered(wanted)
    return hit, f"{value} {'matches' if hit else 'is outside'} the profile"


def _in_range(value: object, wanted: Range) -> tuple[bool, str]:
    if wanted.min is None and wanted.max is None:
        return True, "any accepted"
    if not isinstance(value, int):
        return False, "unknown"
    hit = wanted.contains(value)
    bounds = f"{wanted.min if wanted.min is not None else '…'}–{wanted.max or '…'}"
    return hit, f"{value} {'within' if hit else 'outside'} {bounds}"


def _at_least(value: object, floor: int) -> tuple[bool, str]:
    if not isinstance(value, int):
        return False, "unknown"
    hit = value >= floor
    return hit, f"{value} {'≥' if hit else '<'} {floor}"


def first_red_flag(rules: tuple[RedFlag, ...], facts: Mapping[str, Any]) -> tuple[str, str] | None:
    """(rule id, reason) of the first rule that excludes `facts`; rules are tried in order."""
    for rule in rules:
        reason = rule.check(facts)
        if reason is not None:
            return rule.id, reason
    return None
