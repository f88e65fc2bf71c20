"""Business-day arithmetic in the prospect's own zone (waits between steps)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WEEKEND = (5, 6)  # Saturday, Sunday


def add_business_days(start: datetime, days: int, zone: str) -> datetime:
    """`start` moved forward by `days` working days as the prospect's calendar counts them.

    The time of day is kept in the prospect's zone; 0 days returns `start` unchanged.
    """
    if days <= 0:
        return start
    local = start.astimezone(ZoneInfo(zone))
    moved = 0
    while moved < days:
        local += timedelta(days=1)
        if local.weekday() not in WEEKEND:
            moved += 1
    return local.astimezone(start.tzinfo)
