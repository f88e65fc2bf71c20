"""Dispatch ticks: due steps sent once, inside the window, caps and pacing, failures handled."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from prospector.domain.delivery import Delivery, Scope, Verdict
from prospector.domain.windows import is_open
from prospector.store import outbox
from prospector.store.db import transaction
from prospector.store.tables import Enrollment, MailboxState, Suppression
from tests.engine.dispatch_kit import (
    EVENING,
    Recorder,
    dispatcher,
    enrollment_of,
    event_kinds,
    messages,
    person,
    tick,
    workspace,
)

NY = "America/New_York"


def test_a_due_step_is_sent_once_with_its_row_committed(any_engine: Engine, tmp_path: Path) -> None:
    settings = workspace(any_engine, tmp_path, [person("ann", "Alpha")])
    recorder = Recorder()
    d = dispatcher(any_engine, settings, recorder)
    report = tick(d, EVENING)
    assert report["sent"] == 1
    [sent] = recorder.sent
    assert (sent.recipient, sent.sender) == ("ann@alpha-soft.com", "alex@northwind-demo.com")
    message = sent.message
    assert message["Message-ID"] == "<t1@northwind-demo.com>"
    assert message["Subject"] == "Right person at Alpha?"
    assert message.get_content_type() == "text/plain"
    [row] = messages(any_engine)
    assert (row.state, row.step, row.to_address, row.attempts) == (
        "sent",
        0,
        "ann@alpha-soft.com",
        1,
    )
    assert row.raw.encode("ascii") == sent.data  # the bytes kept are the bytes sent
    assert row.sent_at == EVENING
    enrollment = enrollment_of(any_engine, "ann@alpha-soft.com")
    # Step 2 waits 3 business days: Tuesday evening -> Friday evening, same local time.
    assert (enrollment.step, enrollment.state) == (1, "active")
    assert enrollment.next_due_at == EVENING + timedelta(days=3)
    assert "message.sent" in event_kinds(any_engine)
    # A second tick at the same moment finds nothing more to do.
    assert tick(d, EVENING)["sent"] == 0
    assert len(recorder.sent) == 1


def test_follow_ups_thread_under_the_first_email(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    tick(d, EVENING + timedelta(days=3))  # Friday: outside the window (tue, wed, thu, sun)
    assert len(recorder.sent) == 1
    sunday = EVENING + timedelta(days=5)
    tick(d, sunday)
    tick(d, sunday + timedelta(days=7))  # 4 business days after Sunday, then the window
    first, second, third = (s.message for s in recorder.sent)
    assert second["Subject"] == "Re: Right person at Alpha?"
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert third["References"] == f"{first['Message-ID']} {second['Message-ID']}"
    enrollment = enrollment_of(sqlite_engine, "ann@alpha-soft.com")
    assert (enrollment.state, enrollment.step, enrollment.next_due_at) == ("completed", 3, None)


def test_outside_the_window_nothing_goes_and_the_step_moves_to_the_opening(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("lee", "Alpha", zone=NY)])
    recorder = Recorder()
    noon = EVENING.replace(hour=17)  # 12:00 in New York
    report = tick(dispatcher(sqlite_engine, settings, recorder), noon)
    assert recorder.attempts == []
    assert report["waiting"] == {"outside the send window": 1}
    due = enrollment_of(sqlite_engine, "lee@alpha-soft.com").next_due_at
    assert due == EVENING.replace(hour=22)  # 17:00 in New York, the same day


def test_an_address_suppressed_after_enrolment_is_never_sent(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(any_engine, tmp_path, [person("ann", "Alpha"), person("bo", "Beta")])
    with transaction(any_engine) as session:
        session.add(
            Suppression(email="bo@beta-soft.com", reason="unsubscribed", created_at=EVENING)
        )
    recorder = Recorder()
    report = tick(dispatcher(any_engine, settings, recorder), EVENING)
    assert [s.recipient for s in recorder.sent] == ["ann@alpha-soft.com"]
    assert report["stopped"] == 1
    stopped = enrollment_of(any_engine, "bo@beta-soft.com")
    assert (stopped.state, stopped.reason) == ("stopped", "suppressed: unsubscribed")


def test_a_temporary_failure_is_retried_with_the_same_bytes(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(any_engine, tmp_path, [person("ann", "Alpha")])
    greylisted = Delivery(Verdict.TEMPORARY, Scope.RECIPIENT, 451, "try later")
    recorder = Recorder(script={"ann@alpha-soft.com": [greylisted]})
    d = dispatcher(any_engine, settings, recorder)
    assert tick(d, EVENING)["retrying"] == 1
    [row] = messages(any_engine)
    assert (row.state, row.attempts) == ("retry", 1)
    assert row.next_attempt_at == EVENING + timedelta(minutes=1)
    assert "451" in row.error
    assert tick(d, EVENING + timedelta(seconds=30))["sent"] == 0  # backoff not over
    assert tick(d, EVENING + timedelta(minutes=1))["sent"] == 1
    [row] = messages(any_engine)
    assert (row.state, row.attempts) == ("sent", 2)
    assert recorder.attempts == ["ann@alpha-soft.com"] * 2
    assert recorder.sent[0].data == row.raw.encode("ascii")
    assert enrollment_of(any_engine, "ann@alpha-soft.com").step == 1


def test_temporary_failures_end_in_a_held_enrollment(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = workspace(
        sqlite_engine,
        tmp_path,
        [person("ann", "Alpha")],
        replace={"max_attempts = 6": "max_attempts = 2"},
    )
    busy = Delivery(Verdict.TEMPORARY, Scope.RECIPIENT, 452, "mailbox full")
    recorder = Recorder(script={"ann@alpha-soft.com": [busy, busy]})
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    report = tick(d, EVENING + timedelta(minutes=1))
    assert report["failed"] == 1
    [row] = messages(sqlite_engine)
    assert row.state == "failed"
    enrollment = enrollment_of(sqlite_engine, "ann@alpha-soft.com")
    assert enrollment.state == "held"
    assert "452" in enrollment.reason


def test_a_hard_bounce_suppresses_the_address_and_stops(any_engine: Engine, tmp_path: Path) -> None:
    settings = workspace(any_engine, tmp_path, [person("ann", "Alpha")])
    unknown = Delivery(Verdict.PERMANENT, Scope.RECIPIENT, 550, "5.1.1 no such user")
    recorder = Recorder(script={"ann@alpha-soft.com": [unknown]})
    report = tick(dispatcher(any_engine, settings, recorder), EVENING)
    assert report["bounced"] == 1
    with Session(any_engine) as session:
        suppression = session.exec(select(Suppression)).one()
    assert (suppression.email, suppression.reason) == ("ann@alpha-soft.com", "hard-bounce")
    assert "5.1.1" in suppression.detail
    enrollment = enrollment_of(any_engine, "ann@alpha-soft.com")
    assert enrollment.state == "stopped"


def test_mailbox_failures_pause_the_mailbox_not_the_prospects(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    rows = [person(f"p{i}", f"Co{i}") for i in range(5)]
    settings = workspace(sqlite_engine, tmp_path, rows)
    down = Delivery(Verdict.TEMPORARY, Scope.MAILBOX, None, "connection refused")
    recorder = Recorder(failing=down)
    d = dispatcher(sqlite_engine, settings, recorder)
    for minute in range(3):
        tick(d, EVENING + timedelta(minutes=minute))
    # One try per tick (a failing mailbox ends its tick), the same message each time.
    assert recorder.attempts == ["p0@co0-soft.com"] * 3
    with Session(sqlite_engine) as session:
        state = session.exec(select(MailboxState)).one()
    assert state.failures == 3
    assert state.paused_until == EVENING + timedelta(minutes=2 + 15)
    assert "connection refused" in state.paused_reason
    recorder.failing = None
    tick(d, EVENING + timedelta(minutes=10))
    assert len(recorder.attempts) == 3  # paused
    assert all(row.attempts == 0 for row in messages(sqlite_engine))  # not the messages' fault
    tick(d, EVENING + timedelta(minutes=20))
    assert len(recorder.sent) == 5  # back, every message and step delivered
    assert "mailbox.paused" in event_kinds(sqlite_engine)


def test_the_mailbox_daily_cap_holds(sqlite_engine: Engine, tmp_path: Path) -> None:
    rows = [person(f"p{i}", f"Co{i}") for i in range(5)]
    settings = workspace(sqlite_engine, tmp_path, rows, replace={"daily_cap = 50": "daily_cap = 2"})
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    report = tick(d, EVENING)
    assert report["sent"] == 2
    assert tick(d, EVENING + timedelta(hours=1))["sent"] == 0
    # The mailbox's day (New York) turns at 05:00 UTC; Wednesday 00:00-09:00 is open.
    assert tick(d, EVENING + timedelta(hours=6, minutes=1))["sent"] == 2


def test_one_email_per_account_per_day(sqlite_engine: Engine, tmp_path: Path) -> None:
    rows = [person("a", "Alpha"), person("b", "Alpha", first="Bo"), person("c", "Gamma")]
    settings = workspace(sqlite_engine, tmp_path, rows)
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    assert sorted(s.recipient for s in recorder.sent) == ["a@alpha-soft.com", "c@gamma-soft.com"]
    waiting = enrollment_of(sqlite_engine, "b@alpha-soft.com")
    assert waiting.next_due_at == EVENING.replace(hour=5) + timedelta(days=1)
    tick(d, EVENING + timedelta(hours=6, minutes=1))
    assert len(recorder.sent) == 3


def test_deep_not_wide_limits_accounts_in_progress(sqlite_engine: Engine, tmp_path: Path) -> None:
    rows = [person(f"p{i}", f"Co{i}") for i in range(4)]
    settings = workspace(
        sqlite_engine,
        tmp_path,
        rows,
        replace={"accounts_in_progress = 10": "accounts_in_progress = 2"},
    )
    recorder = Recorder()
    report = tick(dispatcher(sqlite_engine, settings, recorder), EVENING)
    assert report["sent"] == 2
    assert report["waiting"] == {"accounts-in-progress": 2}


def test_pacing_sends_one_message_per_gap(sqlite_engine: Engine, tmp_path: Path) -> None:
    rows = [person(f"p{i}", f"Co{i}") for i in range(3)]
    settings = workspace(sqlite_engine, tmp_path, rows, pacing=True)  # default gap 90-240 s
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    assert tick(d, EVENING)["sent"] == 1
    with Session(sqlite_engine) as session:
        ready = session.exec(select(MailboxState)).one().next_send_at
    assert ready is not None
    assert EVENING + timedelta(seconds=90) <= ready <= EVENING + timedelta(seconds=240)
    assert tick(d, ready - timedelta(seconds=1))["sent"] == 0
    assert tick(d, ready)["sent"] == 1


def test_a_broken_item_is_held_and_the_rest_still_goes(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    # No first name: the template needs one, so this contact cannot be rendered.
    rows = [person("ann", "Alpha"), person("nameless", "Beta", first="")]
    settings = workspace(sqlite_engine, tmp_path, rows)
    recorder = Recorder()
    report = tick(dispatcher(sqlite_engine, settings, recorder), EVENING)
    assert (report["sent"], report["held"]) == (1, 1)
    held = enrollment_of(sqlite_engine, "nameless@beta-soft.com")
    assert held.state == "held"
    assert "first_name" in held.reason


def test_a_row_left_sending_becomes_uncertain_and_is_not_resent(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    with transaction(sqlite_engine) as session:  # as if the process died before the outcome
        [row] = session.exec(select(outbox_message())).all()
        row.state = "sending"
        session.add(row)
    with transaction(sqlite_engine) as session:
        assert len(outbox.mark_uncertain(session)) == 1
    tick(d, EVENING + timedelta(minutes=5))
    assert len(recorder.attempts) == 1
    assert messages(sqlite_engine)[0].state == "uncertain"


def test_two_dispatchers_racing_send_each_step_once(any_engine: Engine, tmp_path: Path) -> None:
    rows = [person(f"p{i}", f"Co{i}") for i in range(6)]
    settings = workspace(any_engine, tmp_path, rows)
    recorder = Recorder(delay=0.01)  # sends overlap: both dispatchers hold the same due list
    first = dispatcher(any_engine, settings, recorder, token=iter_tokens("a"))
    second = dispatcher(any_engine, settings, recorder, token=iter_tokens("b"))

    async def race() -> None:
        await asyncio.gather(first.tick(EVENING), second.tick(EVENING))

    asyncio.run(race())
    assert sorted(s.recipient for s in recorder.sent) == sorted(
        f"p{i}@co{i}-soft.com" for i in range(6)
    )
    with Session(any_engine) as session:
        steps = session.exec(select(Enrollment.step).order_by(col(Enrollment.id))).all()
    assert steps == [1] * 6


def test_everything_sent_in_random_clocks_was_inside_the_window(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    zones = ["America/New_York", "Asia/Tokyo", "Europe/Berlin", "Australia/Sydney", "UTC"]
    rows = [person(f"p{i}", f"Co{i}", zone=zone) for i, zone in enumerate(zones)]
    settings = workspace(sqlite_engine, tmp_path, rows)
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    clock = EVENING
    sent_at: dict[str, object] = {}
    for hop in range(400):  # 17-minute hops over ~5 days: every hour of every zone is seen
        clock += timedelta(minutes=17)
        before = len(recorder.sent)
        tick(d, clock)
        for sent in recorder.sent[before:]:
            sent_at[sent.recipient] = clock
            zone = zones[int(sent.recipient[1])]
            window = settings.config.sending.window
            assert is_open(clock, zone=zone, country="US", window=window), (sent.recipient, clock)
        del hop
    assert len(sent_at) == len(zones)  # and each of them did get its first email


def iter_tokens(prefix: str) -> object:
    counter = iter(range(1, 10_000))
    return lambda: f"{prefix}{next(counter)}"


def outbox_message() -> type:
    from prospector.store.tables import Message

    return Message


def test_a_sequence_window_overrides_the_config_window(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    path = settings.sequences_dir / "referral-ask.toml"
    text = path.read_text()
    # Mornings only: the config's evening window no longer applies to this sequence.
    marker = "# [window]"
    assert marker in text
    head, tail = text.split("\n[[steps]]", 1)
    path.write_text(head + '\n[window]\nhours = ["07:00-09:00"]\n\n[[steps]]' + tail)
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    assert tick(d, EVENING)["waiting"] == {"outside the send window": 1}
    # 07:00 in New York the next morning (Wednesday) is 12:00 UTC.
    assert enrollment_of(sqlite_engine, "ann@alpha-soft.com").next_due_at == EVENING.replace(
        hour=12
    ) + timedelta(days=1)
    assert tick(d, EVENING.replace(hour=12) + timedelta(days=1))["sent"] == 1


def test_random_clocks_never_break_a_cap(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Over days of irregular ticks: at most daily_cap a mailbox day, one per account a day."""
    zones = ["America/New_York", "Asia/Tokyo", "Europe/Berlin"]
    rows = [
        person(f"p{i}", f"Co{i % 4}", zone=zones[i % 3], first=f"P{i}") for i in range(12)
    ]  # 4 accounts, 3 people each (the enrolment limit per account)
    settings = workspace(sqlite_engine, tmp_path, rows, replace={"daily_cap = 50": "daily_cap = 3"})
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    clock = EVENING
    stamps: list[tuple[str, object]] = []
    rng = random.Random(5)
    for _ in range(300):
        clock += timedelta(minutes=rng.randint(3, 90))
        before = len(recorder.sent)
        tick(d, clock)
        stamps += [(s.recipient, clock) for s in recorder.sent[before:]]
    assert len(stamps) >= 12  # the sequence did make progress
    per_day: dict[object, int] = {}
    per_account_day: dict[tuple[str, object], int] = {}
    for recipient, at in stamps:
        day = at.astimezone(ZoneInfo(NY)).date()  # type: ignore[attr-defined]
        per_day[day] = per_day.get(day, 0) + 1
        key = (recipient.split("@")[1], day)
        per_account_day[key] = per_account_day.get(key, 0) + 1
    assert max(per_day.values()) <= 3
    assert max(per_account_day.values()) == 1
