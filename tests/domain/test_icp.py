from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from prospector.domain.icp import IcpProfile, Range, RedFlag, first_red_flag, score

PROFILE = IcpProfile(
    industries=("saas",),
    employees=Range(min=50, max=5000),
    revenue=Range(min=5_000_000),
    countries=("US", "GB"),
    business_models=("b2b",),
)

PERFECT = {
    "industry": "saas",
    "employees": 200,
    "revenue": 20_000_000,
    "country": "US",
    "business_model": "b2b",
    "potential_users": 40,
}


def test_perfect_fit_scores_100_with_a_reason_per_criterion() -> None:
    fit = score(PROFILE, PERFECT)
    assert fit.score == 100
    assert len(fit.reasons) == 6
    assert all(r.startswith("+") for r in fit.reasons)


def test_each_miss_costs_its_weight_and_says_why() -> None:
    fit = score(PROFILE, {**PERFECT, "industry": "retail", "employees": 10})
    assert fit.score == 50  # industry 30 + employees 20 lost out of 100
    assert "-0 industry: retail is outside the profile" in fit.reasons
    assert any(r.startswith("-0 employees: 10 outside 50–5000") for r in fit.reasons)


def test_unknown_facts_earn_nothing() -> None:
    fit = score(PROFILE, {})
    assert fit.score == 0
    assert all("unknown" in r for r in fit.reasons)


def test_empty_profile_accepts_any_value() -> None:
    fit = score(IcpProfile(), {"potential_users": 25})
    assert fit.score == 100


@given(
    employees=st.one_of(st.none(), st.integers(-10, 10**7)),
    revenue=st.one_of(st.none(), st.integers(0, 10**10)),
    users=st.one_of(st.none(), st.integers(0, 10**5)),
)
def test_score_is_always_between_0_and_100(
    employees: int | None, revenue: int | None, users: int | None
) -> None:
    facts = {**PERFECT, "employees": employees, "revenue": revenue, "potential_users": users}
    assert 0 <= score(PROFILE, facts).score <= 100


def test_red_flag_in_list_names_the_rule() -> None:
    rule = RedFlag.model_validate(
        {"id": "existing-customer", "field": "domain", "in": ["acme.com"]}
    )
    assert first_red_flag((rule,), {"domain": "acme.com"}) == (
        "existing-customer",
        "domain 'acme.com' is listed",
    )
    assert first_red_flag((rule,), {"domain": "other.com"}) is None


def test_red_flags_are_tried_in_order() -> None:
    rules = (
        RedFlag.model_validate({"id": "budget-floor", "field": "revenue", "below": 1_000_000}),
        RedFlag.model_validate({"id": "unserved", "field": "country", "in": ["RU"]}),
    )
    assert first_red_flag(rules, {"revenue": 10, "country": "RU"})[0] == "budget-floor"  # type: ignore[index]
    assert first_red_flag(rules, {"revenue": 10**7, "country": "RU"})[0] == "unserved"  # type: ignore[index]


def test_not_in_ignores_unknown_values() -> None:
    rule = RedFlag.model_validate({"id": "never-sold", "field": "industry", "not_in": ["saas"]})
    assert first_red_flag((rule,), {"industry": ""}) is None
    assert first_red_flag((rule,), {"industry": "mining"}) is not None


def test_tags_match_any_listed_tag() -> None:
    rule = RedFlag.model_validate({"id": "has-solution", "field": "tags", "in": ["internal-team"]})
    assert first_red_flag((rule,), {"tags": ("vip", "internal-team")}) is not None
    assert first_red_flag((rule,), {"tags": ("vip",)}) is None


@pytest.mark.parametrize(
    "raw",
    [
        {"id": "x", "field": "domain"},
        {"id": "x", "field": "domain", "in": ["a"], "equals": "b"},
        {"id": "Bad Id", "field": "domain", "in": ["a"]},
        {"id": "x", "field": "shoe_size", "in": ["a"]},
    ],
)
def test_malformed_red_flags_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RedFlag.model_validate(raw)
