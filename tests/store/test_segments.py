"""The SQL a segment compiles to means exactly what domain.segments.matches says."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from prospector.domain.icp import Range
from prospector.domain.segments import Segment, matches
from prospector.domain.seniority import Seniority
from prospector.store import segments
from prospector.store.tables import Account, Contact
from tests.conftest import NOW

INDUSTRIES = ["saas", "fintech", "retail", ""]
COUNTRIES = ["US", "GB", "DE", ""]
TAGS = ["vip", "event", "partner"]


def populate(engine: Engine, n: int = 120, seed: int = 7) -> list[dict[str, Any]]:
    """Random accounts and contacts; returns the facts the pure predicate reads."""
    rng = random.Random(seed)
    facts = []
    with Session(engine) as session:
        for i in range(n // 3):
            tags = rng.sample(TAGS, rng.randint(0, 2))
            account = Account(
                key=f"a{i}.com",
                domain=f"a{i}.com",
                industry=rng.choice(INDUSTRIES),
                employees=rng.choice([None, 10, 50, 200, 5000]),
                revenue=rng.choice([None, 10**6, 10**7]),
                country=rng.choice(COUNTRIES),
                business_model=rng.choice(["b2b", "b2c", ""]),
                icp_score=rng.choice([0, 40, 60, 100]),
                tags=f",{','.join(tags)}," if tags else "",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(account)
            session.flush()
            for j in range(3):
                ctags = rng.sample(TAGS, rng.randint(0, 1))
                last = rng.choice(
                    [None, datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)]
                )
                contact = Contact(
                    account_id=account.id or 0,
                    email=f"p{j}@a{i}.com",
                    seniority=rng.choice(list(Seniority)).value,
                    excluded_by=rng.choice([None, None, "role-address"]),
                    tags=f",{','.join(ctags)}," if ctags else "",
                    last_interaction_at=last,
                    created_at=NOW,
                    updated_at=NOW,
                )
                session.add(contact)
                facts.append(
                    {
                        "industry": account.industry,
                        "employees": account.employees,
                        "revenue": account.revenue,
                        "country": account.country,
                        "business_model": account.business_model,
                        "icp_score": account.icp_score,
                        "seniority": contact.seniority,
                        "last_interaction_at": last.date() if last else None,
                        "tags": tuple(tags + ctags),
                        "excluded_by": contact.excluded_by,
                    }
                )
        session.commit()
    return facts


ranges = st.builds(
    Range,
    min=st.one_of(st.none(), st.sampled_from([10, 50, 10**6])),
    max=st.one_of(st.none(), st.sampled_from([200, 10**7])),
)
segment_strategy = st.builds(
    Segment,
    industries=st.lists(st.sampled_from(INDUSTRIES[:3]), max_size=2).map(tuple),
    employees=ranges,
    revenue=ranges,
    countries=st.lists(st.sampled_from(COUNTRIES[:3]), max_size=2).map(tuple),
    business_models=st.lists(st.sampled_from(["b2b", "b2c"]), max_size=1).map(tuple),
    seniorities=st.lists(st.sampled_from(list(Seniority)), max_size=3).map(tuple),
    min_icp_score=st.one_of(st.none(), st.sampled_from([40, 60])),
    last_interaction_before=st.one_of(st.none(), st.just(date(2026, 1, 1))),
    last_interaction_after=st.one_of(st.none(), st.just(date(2025, 1, 1))),
    tags=st.lists(st.sampled_from(TAGS), max_size=2).map(tuple),
    include_excluded=st.booleans(),
)


def test_sql_count_equals_the_pure_predicate(sqlite_engine: Engine) -> None:
    facts = populate(sqlite_engine)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(segment=segment_strategy)
    def check(segment: Segment) -> None:
        expected = sum(matches(segment, f) for f in facts)
        with Session(sqlite_engine) as session:
            assert segments.count(session, segment) == expected

    check()


def test_same_meaning_on_postgres(postgres_engine: Engine) -> None:
    facts = populate(postgres_engine)
    examples = [
        Segment(),
        Segment(industries=("SaaS",), countries=("us",)),
        Segment(seniorities=(Seniority.VP, Seniority.C_LEVEL), min_icp_score=60),
        Segment(tags=("vip",), last_interaction_before=date(2026, 1, 1)),
        Segment(employees=Range(min=50, max=200), include_excluded=True),
    ]
    with Session(postgres_engine) as session:
        for segment in examples:
            assert segments.count(session, segment) == sum(matches(segment, f) for f in facts)


def test_members_come_best_fit_first(sqlite_engine: Engine) -> None:
    populate(sqlite_engine)
    with Session(sqlite_engine) as session:
        scores = [r["icp_score"] for r in segments.members(session, Segment(), limit=50)]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) == 50


def test_tags_with_like_wildcards_match_only_themselves(sqlite_engine: Engine) -> None:
    facts = populate(sqlite_engine)
    with Session(sqlite_engine) as session:
        for tag in ("v_p", "%", "vi_"):
            segment = Segment(tags=(tag,))
            assert segments.count(session, segment) == sum(matches(segment, f) for f in facts) == 0


def test_a_tag_list_in_one_string_is_refused() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="one tag per list item"):
        Segment(tags=("vip,partner",))
