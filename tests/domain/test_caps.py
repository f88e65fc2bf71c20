"""Caps: the first limit that forbids a send, and the mailbox's own local day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prospector.domain.caps import Caps, mailbox_day, refusal

DEFAULT = Caps()


def _refusal(
    mailbox: int = 0, account: int = 0, in_progress: int = 0, this_one: bool = False
) -> str | None:
    return refusal(
        sent_today_by_mailbox=mailbox,
        sent_today_to_account=account,
        accounts_in_progress=in_progress,
        account_in_progress=this_one,
        caps=DEFAULT,
    )


def test_defaults_follow_the_product_rules() -> None:
    assert (DEFAULT.mailbox_daily, DEFAULT.account_daily, DEFAULT.accounts_in_progress) == (
        50,
        1,
        10,
    )


def test_under_every_cap_the_send_is_allowed() -> None:
    assert _refusal(49, 0, 9) is None


def test_each_cap_names_itself_with_its_counts() -> None:
    assert _refusal(mailbox=50) == "mailbox-daily-cap: 50 sent today of 50"
    assert _refusal(account=1) == "account-daily-cap: 1 sent to this account today of 1"
    assert _refusal(in_progress=10) == "accounts-in-progress: 10 accounts in progress of 10"


def test_the_mailbox_cap_is_reported_first() -> None:
    assert str(_refusal(50, 1, 10)).startswith("mailbox-daily-cap:")
    assert str(_refusal(0, 1, 10)).startswith("account-daily-cap:")


def test_an_account_already_in_progress_is_not_held_by_the_in_progress_cap() -> None:
    assert _refusal(in_progress=10, this_one=True) is None
    assert _refusal(in_progress=25, this_one=True) is None


counts = st.integers(0, 120)


@settings(max_examples=300, deadline=None)
@given(
    mailbox=counts,
    account=counts,
    in_progress=counts,
    this_one=st.booleans(),
    caps=st.builds(Caps, st.integers(0, 100), st.integers(0, 5), st.integers(0, 20)),
)
def test_a_send_is_allowed_exactly_when_every_count_is_under_its_cap(
    mailbox: int, account: int, in_progress: int, this_one: bool, caps: Caps
) -> None:
    allowed = (
        mailbox < caps.mailbox_daily
        and account < caps.account_daily
        and (this_one or in_progress < caps.accounts_in_progress)
    )
    result = refusal(
        sent_today_by_mailbox=mailbox,
        sent_today_to_account=account,
        accounts_in_progress=in_progress,
        account_in_progress=this_one,
        caps=caps,
    )
    assert (result is None) == allowed
    if result is not None:
        assert result.split(":")[0] in {
            "mailbox-daily-cap",
            "account-daily-cap",
            "accounts-in-progress",
        }


def test_the_mailbox_day_is_its_local_day() -> None:
    # 03:00 UTC on March 20 is still March 19 in New York.
    start, end = mailbox_day(datetime(2025, 3, 20, 3, 0, tzinfo=UTC), zone="America/New_York")
    assert start == datetime(2025, 3, 19, 4, 0, tzinfo=UTC)
    assert end == datetime(2025, 3, 20, 4, 0, tzinfo=UTC)


def test_dst_days_are_23_and_25_hours_long() -> None:
    ny = "America/New_York"
    start, end = mailbox_day(datetime(2025, 3, 9, 12, tzinfo=UTC), zone=ny)
    assert end - start == timedelta(hours=23)
    start, end = mailbox_day(datetime(2025, 11, 2, 12, tzinfo=UTC), zone=ny)
    assert end - start == timedelta(hours=25)


def test_a_day_without_a_midnight_starts_at_the_jump() -> None:
    # Havana springs forward at midnight: 2025-03-09 starts at 01:00 CDT (05:00 UTC).
    havana = "America/Havana"
    start, end = mailbox_day(datetime(2025, 3, 9, 12, tzinfo=UTC), zone=havana)
    assert start == datetime(2025, 3, 9, 5, 0, tzinfo=UTC)
    assert start.astimezone(ZoneInfo(havana)).hour == 1
    assert end - start == timedelta(hours=23)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        mailbox_day(datetime(2025, 3, 9, 12), zone="UTC")


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(
        [
            "UTC",
            "America/New_York",
            "America/Havana",
            "America/Santiago",
            "Pacific/Chatham",
            "Australia/Lord_Howe",
            "Asia/Kathmandu",
            "Europe/Berlin",
        ]
    ),
)
def test_the_mailbox_day_contains_when_and_only_its_local_date(when: datetime, zone: str) -> None:
    tz = ZoneInfo(zone)
    start, end = mailbox_day(when, zone=zone)
    assert start <= when < end
    assert start.tzinfo is UTC and end.tzinfo is UTC
    day = when.astimezone(tz).date()
    assert start.astimezone(tz).date() == day
    assert (start - timedelta(microseconds=1)).astimezone(tz).date() < day
    assert (end - timedelta(microseconds=1)).astimezone(tz).date() == day
    assert end.astimezone(tz).date() > day
