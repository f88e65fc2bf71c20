"""The sending decision: for any clock, zone and counts, "send" means every rule holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from prospector.domain.caps import Caps
from prospector.domain.sendability import Facts, Send, Stop, Wait, decide
from prospector.domain.windows import SendWindow, is_open

ZONES = ["UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/Berlin"]
COUNTRIES = ["US", "DE", "JP", "AU", ""]
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)
maybe_moment = st.one_of(st.none(), moments)


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    now = draw(moments)
    caps = Caps(
        mailbox_daily=draw(st.integers(1, 5)),
        account_daily=draw(st.integers(1, 3)),
        accounts_in_progress=draw(st.integers(1, 5)),
    )
    return Facts(
        now=now,
        zone=draw(st.sampled_from(ZONES)),
        country=draw(st.sampled_from(COUNTRIES)),
        window=SendWindow(),
        suppressed=draw(st.one_of(st.none(), st.sampled_from(["unsubscribed", "hard-bounce"]))),
        caps=caps,
        sent_today_by_mailbox=draw(st.integers(0, 7)),
        sent_today_to_account=draw(st.integers(0, 4)),
        accounts_in_progress=draw(st.integers(0, 7)),
        account_in_progress=draw(st.booleans()),
        mailbox_day_end=now + timedelta(hours=draw(st.integers(1, 24))),
        mailbox_ready_at=draw(maybe_moment),
        mailbox_paused_until=draw(maybe_moment),
        counts_against_caps=draw(st.booleans()),
    )


@settings(max_examples=600, deadline=None)
@given(facts())
def test_send_only_when_every_rule_holds(f: Facts) -> None:
    decision = decide(f)
    if not isinstance(decision, Send):
        return
    assert f.suppressed is None
    assert is_open(f.now, zone=f.zone, country=f.country, window=f.window)
    assert f.mailbox_paused_until is None or f.mailbox_paused_until <= f.now
    assert f.mailbox_ready_at is None or f.mailbox_ready_at <= f.now
    if f.counts_against_caps:
        assert f.sent_today_by_mailbox < f.caps.mailbox_daily
        assert f.sent_today_to_account < f.caps.account_daily
        assert f.account_in_progress or f.accounts_in_progress < f.caps.accounts_in_progress


@settings(max_examples=300, deadline=None)
@given(facts())
def test_a_suppressed_address_is_always_stopped(f: Facts) -> None:
    decision = decide(f)
    assert isinstance(decision, Stop) == (f.suppressed is not None)


@settings(max_examples=300, deadline=None)
@given(facts())
def test_a_wait_for_the_window_points_at_an_open_moment(f: Facts) -> None:
    decision = decide(f)
    if isinstance(decision, Wait) and decision.reason == "outside the send window":
        assert decision.until is not None and decision.until > f.now
        assert is_open(decision.until, zone=f.zone, country=f.country, window=f.window)


def test_caps_wait_until_the_mailbox_day_ends() -> None:
    now = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 18:00 Tuesday in New York: open
    base = Facts(
        now=now,
        zone="America/New_York",
        country="US",
        window=SendWindow(),
        suppressed=None,
        caps=Caps(mailbox_daily=2, account_daily=1, accounts_in_progress=1),
        sent_today_by_mailbox=0,
        sent_today_to_account=0,
        accounts_in_progress=0,
        account_in_progress=False,
        mailbox_day_end=now + timedelta(hours=6),
    )
    assert decide(base) == Send()
    full = decide(Facts(**{**base.__dict__, "sent_today_by_mailbox": 2}))
    assert isinstance(full, Wait) and full.mailbox_blocked and full.until == base.mailbox_day_end
    account = decide(Facts(**{**base.__dict__, "sent_today_to_account": 1}))
    assert isinstance(account, Wait) and not account.mailbox_blocked
    assert account.until == base.mailbox_day_end
    wide = decide(Facts(**{**base.__dict__, "accounts_in_progress": 1}))
    assert isinstance(wide, Wait) and wide.until is None
    deep = decide(
        Facts(**{**base.__dict__, "accounts_in_progress": 1, "account_in_progress": True})
    )
    assert deep == Send()
