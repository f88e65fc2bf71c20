"""Pacing: gaps stay in their bounds, repeat for a seed, and bad bounds are refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from prospector.domain.pacing import gap, next_send_after

LAST = datetime(2025, 3, 19, 22, 0, tzinfo=UTC)


def test_gaps_stay_within_bounds_and_spread_over_them() -> None:
    rng = random.Random(42)
    draws = [gap(rng, min_seconds=90, max_seconds=240) for _ in range(5000)]
    assert all(90 <= d <= 240 for d in draws)
    assert min(draws) < 95 and max(draws) > 235  # uniform, not clustered
    assert len(set(draws)) > 4900  # never a fixed rhythm


def test_the_same_seed_gives_the_same_gaps() -> None:
    first = [gap(random.Random(7), min_seconds=1, max_seconds=9) for _ in range(3)]
    rng_a, rng_b = random.Random(7), random.Random(7)
    assert [gap(rng_a, min_seconds=1, max_seconds=9) for _ in range(50)] == [
        gap(rng_b, min_seconds=1, max_seconds=9) for _ in range(50)
    ]
    assert first[0] == first[1] == first[2]


def test_zero_gap_is_allowed_for_tests() -> None:
    assert gap(random.Random(1), min_seconds=0, max_seconds=0) == 0
    assert next_send_after(LAST, rng=random.Random(1), min_seconds=0, max_seconds=0) == LAST


def test_equal_bounds_give_exactly_that_gap() -> None:
    assert gap(random.Random(3), min_seconds=120.5, max_seconds=120.5) == 120.5


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [(10, 5, "minimum 10 is above its maximum 5"), (-1, 5, "must not be negative")],
)
def test_bad_bounds_are_refused(low: float, high: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gap(random.Random(0), min_seconds=low, max_seconds=high)
    with pytest.raises(ValueError, match=message):
        next_send_after(None, rng=random.Random(0), min_seconds=low, max_seconds=high)
    with pytest.raises(ValueError, match=message):
        next_send_after(LAST, rng=random.Random(0), min_seconds=low, max_seconds=high)


def test_next_send_waits_a_gap_after_the_last_send() -> None:
    rng = random.Random(11)
    result = next_send_after(LAST, rng=rng, min_seconds=90, max_seconds=240)
    assert result is not None
    assert LAST + timedelta(seconds=90) <= result <= LAST + timedelta(seconds=240)
    expected = LAST + timedelta(seconds=gap(random.Random(11), min_seconds=90, max_seconds=240))
    assert result == expected


def test_a_mailbox_that_never_sent_may_send_now_without_spending_randomness() -> None:
    rng = random.Random(5)
    assert next_send_after(None, rng=rng, min_seconds=90, max_seconds=240) is None
    assert rng.random() == random.Random(5).random()
