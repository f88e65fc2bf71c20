"""Sending caps: how many emails a mailbox, an account and a sequence may take on today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAILBOX_DAILY = "mailbox-daily-cap"
ACCOUNT_DAILY = "account-daily-cap"
ACCOUNTS_IN_PROGRESS = "accounts-in-progress"


@dataclass(frozen=True)
class Caps:
    """Limits that keep sending "deep, not wide" and under the providers' radar (PRODUCT.md §3)."""

    mailbox_daily: int = 50
    account_daily: int = 1
    accounts_in_progress: int = 10


def refusal(
    *,
    sent_today_by_mailbox: int,
    sent_today_to_account: int,
    accounts_in_progress: int,
    account_in_progress: bool,
    caps: Caps,
) -> str | None:
    """Why one more send is forbidden, as "<cap id>: <counts>", or None when it is allowed.

    An account already in progress never counts against the in-progress cap: continuing a
    conversation is what "deep" means; only opening a new account is limited.
    """
    if sent_today_by_mailbox >= caps.mailbox_daily:
        return f"{MAILBOX_DAILY}: {sent_today_by_mailbox} sent today of {caps.mailbox_daily}"
    if sent_today_to_account >= caps.account_daily:
        return (
            f"{ACCOUNT_DAILY}: {sent_today_to_account} sent to this account today"
            f" of {caps.account_daily}"
        )
    if not account_in_progress and accounts_in_progress >= caps.accounts_in_progress:
        return (
            f"{ACCOUNTS_IN_PROGRESS}: {accounts_in_progress} accounts in progress"
            f" of {caps.accounts_in_progress}"
        )
    return None


def _local_midnight(day: datetime, tz: ZoneInfo) -> datetime:
    """The first instant of a local date; where midnight does not exist, the DST jump itself.

    fold=0 maps a missing wall time with the offset before the change, which lands exactly on
    the transition; a repeated midnight resolves to its first occurrence.
    """
    return datetime.combine(day.date(), time(), tzinfo=tz).astimezone(UTC)


def mailbox_day(when: datetime, *, zone: str) -> tuple[datetime, datetime]:
    """The UTC [start, end) of the mailbox's local day containing `when`: caps reset there."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"when must be timezone-aware, got {when!r}")
    tz = ZoneInfo(zone)
    local = when.astimezone(tz)
    return _local_midnight(local, tz), _local_midnight(local + timedelta(days=1), tz)
