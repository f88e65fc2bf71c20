"""Send windows: when, in the prospect's own local time, an email may go out."""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, field_validator

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
_HORIZON = timedelta(days=370)  # a window open at all opens within a year (holidays included)
_CHUNK = timedelta(hours=12)  # shorter than the gap between two offset changes of any zone


def parse_range(text: str) -> tuple[int, int] | None:
    """`"HH:MM-HH:MM"` as (start, end) minutes after local midnight, or None if malformed.

    The end is exclusive and may be `24:00` so that "until midnight" can be written.
    """
    match = _RANGE.match(text)
    if match is None:
        return None
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        return None
    return start_h * 60 + start_m, end_h * 60 + end_m


class SendWindow(BaseModel):
    """Local hours and weekdays a prospect may be emailed; defaults follow PRODUCT.md §3."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: tuple[str, ...] = ("00:00-09:00", "17:00-24:00")
    days: tuple[str, ...] = ("tue", "wed", "thu", "sun")
    skip_holidays: bool = True

    @field_validator("hours")
    @classmethod
    def _hours_are_ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """A typo in a range would silently close (or open) the window: refuse it up front."""
        for index, text in enumerate(value):
            parsed = parse_range(text)
            if parsed is None:
                raise ValueError(f"hours[{index}]: {text!r} is not HH:MM-HH:MM")
            if parsed[0] >= parsed[1]:
                raise ValueError(
                    f"hours[{index}]: {text!r} ends before it starts"
                    " (split a range that crosses midnight in two)"
                )
        return value

    @field_validator("days")
    @classmethod
    def _days_are_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Only the seven lower-case short names: anything else would match no day at all."""
        for index, name in enumerate(value):
            if name not in DAY_NAMES:
                raise ValueError(f"days[{index}]: {name!r} is not one of {', '.join(DAY_NAMES)}")
        return value

    def ranges(self) -> tuple[tuple[int, int], ...]:
        """The hours as sorted (start, end) minute pairs; validation guarantees they parse."""
        return _ranges(self.hours)


@functools.lru_cache(maxsize=64)
def _ranges(hours: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Parsed once per distinct window: the dispatcher asks for every prospect of a tick."""
    return tuple(sorted(r for r in map(parse_range, hours) if r is not None))


@functools.lru_cache(maxsize=512)
def _holidays(country: str, year: int) -> frozenset[date]:
    """Public holidays of a country; an unknown code has none rather than stopping sends."""
    try:
        found = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(found.keys())


def is_holiday(day: date, *, country: str) -> bool:
    """Whether `day` is a public holiday (observed days included) of the ISO country code."""
    code = country.strip().upper()
    return bool(code) and day in _holidays(code, day.year)


def _day_allowed(day: date, *, country: str, window: SendWindow) -> bool:
    """A local date on which the window opens at some hour."""
    if DAY_NAMES[day.weekday()] not in window.days:
        return False
    return not (window.skip_holidays and is_holiday(day, country=country))


def _require_aware(moment: datetime, name: str) -> None:
    """A naive time has no place on the timeline; guessing its zone would send at 3 a.m."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")


def is_open(when: datetime, *, zone: str, country: str, window: SendWindow) -> bool:
    """Whether an email may go out at `when`, judged by the prospect's wall clock and calendar."""
    _require_aware(when, "when")
    local = when.astimezone(ZoneInfo(zone))
    day = local.date()
    if not _day_allowed(day, country=country, window=window):
        return False
    since_midnight = local.replace(tzinfo=None) - datetime.combine(day, time())
    return any(
        timedelta(minutes=start) <= since_midnight < timedelta(minutes=end)
        for start, end in window.ranges()
    )


def _offset(moment: datetime, tz: ZoneInfo) -> timedelta:
    """The zone's UTC offset in force at an instant."""
    offset = moment.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always answers for an aware datetime
    return offset


def _segment_end(start: datetime, limit: datetime, tz: ZoneInfo) -> datetime:
    """The first instant in (start, limit] where the offset changes, or `limit` if none does.

    Offsets change on whole seconds, so a bisection over integer timestamps finds it exactly;
    that makes the wall clock a plain shift of UTC on [start, result).
    """
    before = _offset(start, tz)
    if _offset(limit, tz) == before:
        return limit
    low, high = math.floor(start.timestamp()), math.ceil(limit.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(datetime.fromtimestamp(middle, UTC), tz) == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _first_open_in(
    start: datetime, end: datetime, *, offset: timedelta, country: str, window: SendWindow
) -> datetime | None:
    """The earliest open instant in [start, end), during which the zone keeps one offset."""
    local_start = (start + offset).replace(tzinfo=None)
    local_end = (end + offset).replace(tzinfo=None)
    day = local_start.date()
    while day <= local_end.date():
        if _day_allowed(day, country=country, window=window):
            midnight = datetime.combine(day, time())
            for first, last in window.ranges():
                low = max(midnight + timedelta(minutes=first), local_start)
                if low < min(midnight + timedelta(minutes=last), local_end):
                    return (low - offset).replace(tzinfo=UTC)
        day += timedelta(days=1)
    return None


def next_open(after: datetime, *, zone: str, country: str, window: SendWindow) -> datetime:
    """The earliest UTC instant at or after `after` when `is_open` holds.

    The timeline is walked in stretches of constant UTC offset, so a DST change never skips
    an open minute nor opens on a local time that does not exist; a repeated local hour
    opens at its first occurrence.
    """
    _require_aware(after, "after")
    if not window.days or not window.hours:
        raise ValueError("the send window can never open: it has no days or no hours")
    tz = ZoneInfo(zone)
    cursor = after.astimezone(UTC)
    horizon = cursor + _HORIZON
    while cursor < horizon:
        end = _segment_end(cursor, cursor + _CHUNK, tz)
        found = _first_open_in(
            cursor, end, offset=_offset(cursor, tz), country=country, window=window
        )
        if found is not None:
            return found
        cursor = end
    raise ValueError(f"the send window does not open within {_HORIZON.days} days of {after}")
