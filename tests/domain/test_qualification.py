"""The SQL checklist: each line green, red or unknown, for the reason the data gives."""

from __future__ import annotations

from dataclasses import replace

import pytest

from prospector.domain.qualification import (
    Facts,
    Status,
    checklist,
    next_step_sentence,
    priority,
)
from prospector.domain.seniority import Seniority

GOOD = Facts(
    icp_score=80,
    icp_reasons=("+30 industry: saas matches the profile", "-0 revenue: unknown"),
    min_icp_score=50,
    red_flag=None,
    red_flag_reason=None,
    seniority=Seniority.VP,
    title="VP Sales",
    min_seniority=Seniority.DIRECTOR,
    reply_text="Sounds good. Can you send a calendar invite for Tuesday?",
    potential_users=120,
    min_users=20,
    owned_by=None,
)


def statuses(facts: Facts) -> dict[str, Status]:
    return {line.key: line.status for line in checklist(facts)}


def test_a_good_lead_is_green_on_every_line() -> None:
    lines = checklist(GOOD)
    assert all(line.status is Status.GREEN for line in lines)
    icp = lines[0]
    assert icp.reason == "score 80: +30 industry: saas matches the profile"
    assert lines[3].highlight == "Can you send a calendar invite for Tuesday?"


@pytest.mark.parametrize(
    ("change", "key", "status"),
    [
        ({"icp_score": 30}, "icp", Status.RED),
        ({"red_flag": "competitor", "red_flag_reason": "sells the same"}, "red_flag", Status.RED),
        ({"seniority": Seniority.MANAGER}, "authority", Status.RED),
        ({"seniority": Seniority.UNKNOWN}, "authority", Status.UNKNOWN),
        ({"reply_text": "Thanks, interesting."}, "next_step", Status.UNKNOWN),
        ({"potential_users": 5}, "users", Status.RED),
        ({"potential_users": None}, "users", Status.UNKNOWN),
        ({"owned_by": "an existing customer"}, "outbound", Status.RED),
    ],
)
def test_each_line_turns_for_its_own_reason(
    change: dict[str, object], key: str, status: Status
) -> None:
    found = statuses(replace(GOOD, **change))  # type: ignore[arg-type]
    assert found[key] is status
    assert [k for k, s in found.items() if s is not Status.GREEN] == [key]


def test_the_sentence_that_books_something_is_preferred_over_a_willingness_to_talk() -> None:
    text = "Happy to talk.\nCould we do a call Thursday at 3pm? Thanks"
    assert next_step_sentence(text) == "Could we do a call Thursday at 3pm?"
    assert next_step_sentence("Happy to chat sometime.") == "Happy to chat sometime."
    assert next_step_sentence("We don't need a call, thanks.") is None
    assert next_step_sentence("Gerne, lass uns einen Termin finden.") is not None
    assert next_step_sentence("来週お時間いただけますか。") is not None


def test_more_green_lines_come_first() -> None:
    best = priority("sql", checklist(GOOD), 80)
    weaker = priority("sql", checklist(replace(GOOD, potential_users=None)), 80)
    worst = priority("sql", checklist(replace(GOOD, owned_by="owned", icp_score=10)), 10)
    assert best < weaker < worst
