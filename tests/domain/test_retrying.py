"""Backoff for messages and pauses for mailboxes grow, and stop growing at six hours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from prospector.domain.retrying import mailbox_pause, retry_delay


def test_retry_delays_grow_fourfold_up_to_six_hours() -> None:
    minutes = [retry_delay(n) / timedelta(minutes=1) for n in range(1, 8)]
    assert minutes == [1, 4, 16, 64, 256, 360, 360]
    with pytest.raises(ValueError):
        retry_delay(0)


def test_a_mailbox_rests_only_from_the_threshold_on() -> None:
    assert mailbox_pause(2, threshold=3) is None
    assert mailbox_pause(3, threshold=3) == timedelta(minutes=15)
    assert mailbox_pause(4, threshold=3) == timedelta(minutes=30)
    assert mailbox_pause(30, threshold=3) == timedelta(hours=6)
