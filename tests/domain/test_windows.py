"""Send windows: local hours, weekdays and holidays, and the next opening across DST changes."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from prospector.domain.windows import DAY_NAMES, SendWindow, is_holiday, is_open, next_open

DEFAULT = SendWindow()
NY = "America/New_York"
ZONES = [
    "UTC",
    NY,
    "Europe/Berlin",
    "Europe/London",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/Havana",
]
COUNTRIES = ["US", "GB", "DE", "FR", "JP", "BR", "AU", "IN", ""]


def _local(
    zone: str,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
) -> datetime:
    """A wall-clock time in `zone` (fold 0: the first of a repeated hour)."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=ZoneInfo(zone))


def _open(when: datetime, zone: str = NY, country: str = "US", **fields: object) -> bool:
    return is_open(when, zone=zone, country=country, window=SendWindow.model_validate(fields))


def _next(after: datetime, zone: str = NY, country: str = "US", **fields: object) -> datetime:
    return next_open(after, zone=zone, country=country, window=SendWindow.model_validate(fields))


# --- the model -----------------------------------------------------------------------------


def test_defaults_follow_the_product_rules() -> None:
    assert DEFAULT.hours == ("00:00-09:00", "17:00-24:00")
    assert DEFAULT.days == ("tue", "wed", "thu", "sun")
    assert DEFAULT.skip_holidays is True
    assert DEFAULT.ranges() == ((0, 540), (1020, 1440))


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (["09:00-17:00", "17:00-25:00"], "hours[1]: '17:00-25:00' is not HH:MM-HH:MM"),
        (["9:00-17:00"], "hours[0]: '9:00-17:00' is not HH:MM-HH:MM"),
        (["09:60-17:00"], "is not HH:MM-HH:MM"),
        (["24:00-24:00"], "is not HH:MM-HH:MM"),
        (["22:00-24:30"], "is not HH:MM-HH:MM"),
        (["22:00-02:00"], "hours[0]: '22:00-02:00' ends before it starts"),
        (["10:00-10:00"], "ends before it starts"),
    ],
)
def test_malformed_hours_are_refused_with_their_index(hours: list[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SendWindow.model_validate({"hours": hours})


@pytest.mark.parametrize("day", ["Tue", "tuesday", "xyz", ""])
def test_unknown_day_names_are_refused(day: str) -> None:
    with pytest.raises(ValidationError, match=rf"days\[1\]: '{day}' is not one of mon, tue"):
        SendWindow.model_validate({"days": ["mon", day]})


def test_the_model_is_frozen_and_strict() -> None:
    with pytest.raises(ValidationError):
        SendWindow.model_validate({"hour": ["00:00-09:00"]})
    with pytest.raises(ValidationError):
        DEFAULT.skip_holidays = False  # type: ignore[misc]


# --- is_open -------------------------------------------------------------------------------


def test_a_wednesday_is_open_before_nine_and_from_five() -> None:
    assert _open(_local(NY, 2025, 3, 19, 8, 59))
    assert _open(_local(NY, 2025, 3, 19, 8, 59, 59, 999999))
    assert not _open(_local(NY, 2025, 3, 19, 9, 0))
    assert not _open(_local(NY, 2025, 3, 19, 16, 59, 59))
    assert _open(_local(NY, 2025, 3, 19, 17, 0))
    assert _open(_local(NY, 2025, 3, 19, 23, 59))
    assert _open(_local(NY, 2025, 3, 19, 0, 0))


def test_monday_friday_and_saturday_are_closed_all_day() -> None:
    for day in (17, 21, 22):  # March 2025: Monday, Friday, Saturday
        assert not any(_open(_local(NY, 2025, 3, day, hour)) for hour in range(24))


def test_the_prospects_zone_decides_not_utc() -> None:
    # Wednesday 13:00 UTC is 09:00 in New York (closed) but 22:00 in Tokyo (open).
    noon = datetime(2025, 3, 19, 13, 0, tzinfo=UTC)
    assert not _open(noon, zone=NY)
    assert _open(noon, zone="Asia/Tokyo", country="JP")


def test_july_fourth_is_skipped_in_the_us_but_not_without_a_country() -> None:
    evening = _local(NY, 2024, 7, 4, 18, 0)  # a Thursday
    assert not _open(evening, country="US")
    assert _open(evening, country="")
    assert _open(evening, country="GB")
    assert _open(evening, country="US", skip_holidays=False)


def test_christmas_is_skipped_in_germany() -> None:
    berlin = "Europe/Berlin"
    assert not _open(_local(berlin, 2024, 12, 25, 7, 0), zone=berlin, country="DE")  # Wednesday
    assert not _open(_local(berlin, 2024, 12, 26, 7, 0), zone=berlin, country="DE")  # Thursday
    assert _open(_local(berlin, 2024, 12, 31, 7, 0), zone=berlin, country="DE")  # Tuesday


def test_country_codes_are_case_insensitive_and_unknown_ones_have_no_holidays() -> None:
    assert is_holiday(datetime(2024, 7, 4).date(), country="us")
    assert not is_holiday(datetime(2024, 7, 4).date(), country="ZZ")
    assert _open(_local(NY, 2024, 7, 4, 18, 0), country="ZZ")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(datetime(2025, 3, 19, 8), zone=NY, country="US", window=DEFAULT)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_open(datetime(2025, 3, 19, 8), zone=NY, country="US", window=DEFAULT)


# --- next_open -----------------------------------------------------------------------------


def test_monday_morning_waits_for_tuesday_midnight() -> None:
    result = _next(_local(NY, 2025, 3, 17, 10, 0))
    assert result == _local(NY, 2025, 3, 18, 0, 0)
    assert result.tzinfo is UTC


def test_an_open_instant_is_its_own_next_opening() -> None:
    now = _local(NY, 2025, 3, 19, 8, 30, 15, 500)
    assert _next(now) == now


def test_a_closed_afternoon_waits_for_five_pm() -> None:
    assert _next(_local(NY, 2025, 3, 19, 9, 0)) == _local(NY, 2025, 3, 19, 17, 0)


def test_thursday_evening_runs_to_midnight_then_waits_for_sunday() -> None:
    assert _next(_local(NY, 2025, 3, 21, 0, 0)) == _local(NY, 2025, 3, 23, 0, 0)


def test_a_holiday_pushes_to_the_next_open_day() -> None:
    # Thursday 2024-07-04 is a holiday; Friday and Saturday are closed; Sunday opens.
    assert _next(_local(NY, 2024, 7, 4, 1, 0)) == _local(NY, 2024, 7, 7, 0, 0)


def test_spring_forward_in_new_york_skips_the_missing_hour() -> None:
    # Sunday 2025-03-09: 02:00 EST jumps to 03:00 EDT. A window from 02:30 opens at 03:00 EDT.
    after = _local(NY, 2025, 3, 9, 1, 0)
    result = _next(after, hours=["02:30-04:00"], days=["sun"])
    assert result == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)
    assert result.astimezone(ZoneInfo(NY)).hour == 3
    # The default window is open through the whole (23-hour) local night.
    assert _open(datetime(2025, 3, 9, 6, 59, tzinfo=UTC))
    assert _open(datetime(2025, 3, 9, 7, 0, tzinfo=UTC))
    assert _open(datetime(2025, 3, 9, 12, 59, tzinfo=UTC))  # 08:59 EDT
    assert not _open(datetime(2025, 3, 9, 13, 0, tzinfo=UTC))  # 09:00 EDT


def test_a_window_inside_the_missing_hour_opens_the_next_week() -> None:
    result = _next(_local(NY, 2025, 3, 9, 0, 0), hours=["02:00-03:00"], days=["sun"])
    assert result == _local(NY, 2025, 3, 16, 2, 0)


def test_fall_back_opens_at_the_first_occurrence_of_a_repeated_hour() -> None:
    # Sunday 2025-11-02: 01:00-02:00 happens twice (EDT, then EST).
    result = _next(_local(NY, 2025, 11, 2, 0, 0), hours=["01:30-02:00"], days=["sun"])
    assert result == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)  # 01:30 EDT
    # After the first pass, the second (EST) pass is still open.
    result = _next(datetime(2025, 11, 2, 6, 0, tzinfo=UTC), hours=["01:30-02:00"], days=["sun"])
    assert result == datetime(2025, 11, 2, 6, 30, tzinfo=UTC)  # 01:30 EST


def test_berlin_spring_forward() -> None:
    berlin = "Europe/Berlin"
    # Sunday 2025-03-30: 02:00 CET jumps to 03:00 CEST; window 02:15-02:45 does not exist.
    result = _next(
        _local(berlin, 2025, 3, 30, 0, 0), zone=berlin, hours=["02:15-02:45"], days=["sun"]
    )
    assert result == _local(berlin, 2025, 4, 6, 2, 15)


@pytest.mark.parametrize(("fields", "reason"), [({"days": []}, "no days"), ({"hours": []}, "no")])
def test_a_window_that_never_opens_is_an_error(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=f"can never open: it has {reason}"):
        window = SendWindow.model_validate(fields)
        next_open(_local(NY, 2025, 3, 17, 10, 0), zone=NY, country="US", window=window)


# --- properties ----------------------------------------------------------------------------


@st.composite
def _ranges(draw: st.DrawFn) -> tuple[str, ...]:
    count = draw(st.integers(1, 3))
    result = []
    for _ in range(count):
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        result.append(f"{start // 60:02}:{start % 60:02}-{end // 60:02}:{end % 60:02}")
    return tuple(result)


windows = st.builds(
    SendWindow,
    hours=st.one_of(st.just(DEFAULT.hours), _ranges()),
    days=st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True).map(tuple),
    skip_holidays=st.booleans(),
)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
SAMPLE_STEP = timedelta(minutes=15)
SAMPLE_SPAN = timedelta(days=4)


@settings(max_examples=150, deadline=None)
@given(
    after=instants,
    zone=st.sampled_from(ZONES),
    country=st.sampled_from(COUNTRIES),
    window=windows,
)
def test_next_open_is_the_first_open_instant(
    after: datetime, zone: str, country: str, window: SendWindow
) -> None:
    def opened(moment: datetime) -> bool:
        return is_open(moment, zone=zone, country=country, window=window)

    result = next_open(after, zone=zone, country=country, window=window)
    assert result >= after
    assert opened(result)
    assert next_open(result, zone=zone, country=country, window=window) == result
    if result > after:
        assert not opened(result - timedelta(microseconds=1))
        probe = after
        while probe < min(result, after + SAMPLE_SPAN):
            assert not opened(probe), probe
            probe += SAMPLE_STEP


@functools.lru_cache
def _transitions(zone: str, year: int) -> tuple[datetime, ...]:
    """The hours of `year` (UTC) in which the zone's offset changes: where DST bugs live."""
    tz = ZoneInfo(zone)
    found = []
    hour = datetime(year, 1, 1, tzinfo=UTC)
    while hour.year == year:
        if (
            hour.astimezone(tz).utcoffset()
            != (hour + timedelta(hours=1)).astimezone(tz).utcoffset()
        ):
            found.append(hour)
        hour += timedelta(hours=1)
    return tuple(found)


DST_ZONES = [zone for zone in ZONES if _transitions(zone, 2026)]


@st.composite
def _near_a_transition(draw: st.DrawFn) -> tuple[str, datetime]:
    zone = draw(st.sampled_from(DST_ZONES))
    transition = draw(st.sampled_from(_transitions(zone, draw(st.integers(2024, 2028)))))
    shift = draw(st.integers(-2 * 24 * 3600, 2 * 3600))
    return zone, transition + timedelta(seconds=shift)


@settings(max_examples=150, deadline=None)
@given(
    near=_near_a_transition(),
    window=windows,
    small_hours=st.lists(st.integers(0, 4 * 60), min_size=2, max_size=2, unique=True),
)
def test_next_open_is_the_first_open_instant_around_dst_changes(
    near: tuple[str, datetime], window: SendWindow, small_hours: list[int]
) -> None:
    """Windows in the small hours, where clocks change, opened from just before a change."""
    zone, after = near
    start, end = sorted(small_hours)
    hours = (f"{start // 60:02}:{start % 60:02}-{end // 60:02}:{end % 60:02}",)
    window = window.model_copy(update={"hours": hours})
    result = next_open(after, zone=zone, country="", window=window)
    assert result >= after
    assert is_open(result, zone=zone, country="", window=window)
    if result > after:
        before = result - timedelta(microseconds=1)
        assert not is_open(before, zone=zone, country="", window=window)
    probe = after
    while probe < min(result, after + SAMPLE_SPAN):
        assert not is_open(probe, zone=zone, country="", window=window), probe
        probe += timedelta(minutes=5)


@settings(max_examples=60, deadline=None)
@given(
    after=instants,
    zone=st.sampled_from(ZONES),
    window=windows,
    step=st.integers(1, 10**6),
)
def test_an_open_instant_is_never_reported_later(
    after: datetime, zone: str, window: SendWindow, step: int
) -> None:
    """Whatever open instant lies ahead, next_open does not overshoot it."""
    probe = after + timedelta(seconds=step)
    if is_open(probe, zone=zone, country="", window=window):
        assert next_open(after, zone=zone, country="", window=window) <= probe
