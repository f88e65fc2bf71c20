"""A human settles what the daemon could not: uncertain, failed and held items."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from prospector.domain.delivery import Delivery, Scope, Verdict
from prospector.engine import outbox_review
from prospector.errors import NotFoundError, ProspectorError
from tests.engine.dispatch_kit import (
    EVENING,
    Recorder,
    crash_after_smtp,
    dispatcher,
    enrollment_of,
    messages,
    person,
    tick,
    workspace,
)

LATER = EVENING + timedelta(minutes=5)


def left_uncertain(engine: Engine) -> int:
    """As if the daemon died after SMTP took the message, before the outcome commit."""
    [row] = messages(engine)
    crash_after_smtp(engine)
    assert row.id is not None
    return row.id


def test_an_uncertain_message_marked_sent_moves_its_enrollment_on(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(any_engine, tmp_path, [person("ann", "Alpha")])
    tick(dispatcher(any_engine, settings, Recorder()), EVENING)
    row = left_uncertain(any_engine)
    [item] = outbox_review.pending(any_engine)
    assert (item.kind, item.id, item.state, item.email, item.step) == (
        "message",
        row,
        "uncertain",
        "ann@alpha-soft.com",
        1,
    )
    outbox_review.mark_sent(any_engine, settings, row, now=LATER)
    assert messages(any_engine)[0].state == "sent"
    enrollment = enrollment_of(any_engine, "ann@alpha-soft.com")
    assert (enrollment.step, enrollment.next_due_at) == (1, LATER + timedelta(days=3))
    assert outbox_review.pending(any_engine) == []
    with pytest.raises(ProspectorError, match="is sent"):
        outbox_review.mark_sent(any_engine, settings, row, now=LATER)


def test_an_uncertain_message_resent_goes_again_with_the_same_bytes(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    row = left_uncertain(sqlite_engine)
    outbox_review.resend(sqlite_engine, row, now=LATER)
    tick(d, LATER)
    assert len(recorder.sent) == 2
    assert recorder.sent[0].data == recorder.sent[1].data
    assert enrollment_of(sqlite_engine, "ann@alpha-soft.com").step == 1


def test_a_failed_message_resent_reactivates_its_held_enrollment(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(
        sqlite_engine,
        tmp_path,
        [person("ann", "Alpha")],
        replace={"max_attempts = 6": "max_attempts = 1"},
    )
    full = Delivery(Verdict.TEMPORARY, Scope.RECIPIENT, 452, "mailbox full")
    recorder = Recorder(script={"ann@alpha-soft.com": [full]})
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    assert enrollment_of(sqlite_engine, "ann@alpha-soft.com").state == "held"
    [row] = messages(sqlite_engine)
    assert row.id is not None
    # Releasing would write a second message for the step: refused, resend is the way.
    with pytest.raises(ProspectorError, match="resend"):
        outbox_review.release(
            sqlite_engine, enrollment_of(sqlite_engine, "ann@alpha-soft.com").id or 0, now=LATER
        )
    outbox_review.resend(sqlite_engine, row.id, now=LATER)
    assert tick(d, LATER)["sent"] == 1
    enrollment = enrollment_of(sqlite_engine, "ann@alpha-soft.com")
    assert (enrollment.state, enrollment.step) == ("active", 1)


def test_a_held_enrollment_released_after_a_fix_is_sent(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("nameless", "Beta", first="")])
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    held = enrollment_of(sqlite_engine, "nameless@beta-soft.com")
    assert held.state == "held" and held.id is not None
    [item] = outbox_review.pending(sqlite_engine)
    assert (item.kind, item.id) == ("enrollment", held.id)
    # The fix: the template no longer needs a first name.
    template = settings.templates_dir / "referral_ask.txt"
    template.write_text(template.read_text().replace("Hi {{ contact.first_name }},", "Hello,"))
    outbox_review.release(sqlite_engine, held.id, now=LATER)
    assert tick(d, LATER)["sent"] == 1
    assert recorder.sent[0].message.get_content().startswith("Hello,")
    with pytest.raises(NotFoundError):
        outbox_review.release(sqlite_engine, held.id, now=LATER)
