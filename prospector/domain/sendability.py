"""May this step go out now? Every sending rule in one pure decision, so it can be proved.

The engine gathers the facts (clock, the prospect's zone and country, counts, the
mailbox's pacing and pause) and acts on the answer; it never decides on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prospector.domain.caps import ACCOUNT_DAILY, MAILBOX_DAILY, Caps, refusal
from prospector.domain.windows import SendWindow, is_open, next_open


@dataclass(frozen=True)
class Facts:
    """Everything the rules look at, as of `now` (timezone-aware)."""

    now: datetime
    zone: str
    country: str
    window: SendWindow
    suppressed: str | None  # why the address must not be emailed, or None
    caps: Caps
    sent_today_by_mailbox: int
    sent_today_to_account: int
    accounts_in_progress: int
    account_in_progress: bool
    mailbox_day_end: datetime  # when the mailbox's day (and its caps) rolls over
    mailbox_ready_at: datetime | None = None  # pacing: not before this
    mailbox_paused_until: datetime | None = None
    counts_against_caps: bool = True  # False for a retry: it was counted when first claimed


@dataclass(frozen=True)
class Send:
    """Go: every rule holds."""


@dataclass(frozen=True)
class Wait:
    """Not now. `until` is the earliest moment worth asking again (None: nothing is known,
    ask on a later tick); `mailbox_blocked` says no other prospect of this mailbox can go
    either, so the engine stops trying it for this tick."""

    reason: str
    until: datetime | None = None
    mailbox_blocked: bool = False


@dataclass(frozen=True)
class Stop:
    """Never: the enrollment ends here (an address that must not be emailed)."""

    reason: str


Decision = Send | Wait | Stop


def decide(facts: Facts) -> Decision:
    """The first rule that forbids sending, in the order a human would check them.

    Suppression comes first (it ends the enrollment whatever the clock says); then the
    mailbox's own state, which blocks every prospect alike; then the prospect's window;
    then the caps.
    """
    if facts.suppressed is not None:
        return Stop(f"suppressed: {facts.suppressed}")
    if facts.mailbox_paused_until is not None and facts.mailbox_paused_until > facts.now:
        return Wait("mailbox paused", facts.mailbox_paused_until, mailbox_blocked=True)
    if facts.mailbox_ready_at is not None and facts.mailbox_ready_at > facts.now:
        return Wait("pacing gap", facts.mailbox_ready_at, mailbox_blocked=True)
    if not is_open(facts.now, zone=facts.zone, country=facts.country, window=facts.window):
        opens = next_open(facts.now, zone=facts.zone, country=facts.country, window=facts.window)
        return Wait("outside the send window", opens)
    if not facts.counts_against_caps:
        return Send()
    refused = refusal(
        sent_today_by_mailbox=facts.sent_today_by_mailbox,
        sent_today_to_account=facts.sent_today_to_account,
        accounts_in_progress=facts.accounts_in_progress,
        account_in_progress=facts.account_in_progress,
        caps=facts.caps,
    )
    if refused is None:
        return Send()
    if refused.startswith(MAILBOX_DAILY):
        return Wait(refused, facts.mailbox_day_end, mailbox_blocked=True)
    if refused.startswith(ACCOUNT_DAILY):
        return Wait(refused, facts.mailbox_day_end)
    return Wait(refused)  # accounts in progress: frees up when a conversation ends
