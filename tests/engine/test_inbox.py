"""The review queue end to end: real replies through the ingest job fill the lanes, and
each decision (accept, reject, snooze, reclassify, referral) does what the rep asked,
once, with its Event; the intro email goes out through the dispatcher with the AE in copy."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from prospector.adapters.sandbox_reply import reply_to
from prospector.config import Settings
from prospector.domain.delivery import Delivery, Scope, Verdict
from prospector.engine.inbox import ReviewQueue
from prospector.errors import ConflictError, ProspectorError
from prospector.store.tables import Contact, Enrollment, Event, Handoff, InboxItem, Message
from tests.engine.dispatch_kit import (
    EVENING,
    Recorder,
    dispatcher,
    enrollment_of,
    person,
    tick,
)
from tests.engine.test_ingest import LATER, FakeInbox, first_to, ingester, sent_and_inbox

YES = "Yes, happy to talk. Could we do a call Thursday at 3pm?"
QUESTION = "What does it cost per seat? And does it work with Salesforce?"
ROLE_REFERRAL = "I'm not the right person, you should talk to our head of operations, Jane Smith."


def replied(
    engine: Engine, tmp_path: Path, body: str, *, colleagues: bool = True
) -> tuple[Settings, Recorder, FakeInbox]:
    rows = [person("ann", "Alpha")]
    if colleagues:
        rows.append(person("al", "Alpha", first="Al"))
    settings, recorder, mail = sent_and_inbox(engine, tmp_path, rows)
    mail.add(reply_to(first_to(recorder, "ann@alpha-soft.com"), body=body))
    ingester(engine, settings, mail)(LATER)
    return settings, recorder, mail


def items(engine: Engine) -> list[InboxItem]:
    with Session(engine) as session:
        return list(session.exec(select(InboxItem).order_by(col(InboxItem.id))))


def stage_of(engine: Engine, email: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Contact.stage).where(Contact.email == email)).one()


def kinds(engine: Engine, prefix: str) -> list[str]:
    with Session(engine) as session:
        found = session.exec(select(Event.kind).order_by(col(Event.id)))
        return [k for k in found if k.startswith(prefix)]


def test_an_interested_reply_waits_in_the_sql_lane_with_its_checklist_and_thread(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(any_engine, tmp_path, YES)
    inbox = ReviewQueue(any_engine, settings, actor="sam")
    assert inbox.counts(LATER) == {"sql": 1, "review": 0, "referral": 0, "snoozed": 0}
    [entry] = inbox.page("sql", now=LATER)
    assert (entry.email, entry.company, entry.why) == ("ann@alpha-soft.com", "Alpha", "interested")
    view = inbox.view(entry.id)
    lines = {line.key: line for line in view.checklist}
    assert list(lines) == ["icp", "red_flag", "authority", "next_step", "users", "outbound"]
    assert lines["next_step"].status.value == "green"
    assert lines["next_step"].highlight == "Could we do a call Thursday at 3pm?"
    assert lines["outbound"].status.value == "green"
    # The thread: what we sent, then what they wrote (their text without the quote).
    assert [e.direction for e in view.thread] == ["out", "in"]
    assert view.thread[1].text == YES
    assert view.category == "interested"


def test_accepting_hands_off_once_stops_the_account_and_sends_the_intro_with_the_ae_in_copy(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, _ = replied(any_engine, tmp_path, YES)
    inbox = ReviewQueue(any_engine, settings, actor="sam")
    [item] = items(any_engine)
    draft = inbox.draft(item.id, ae=None, now=LATER)
    assert draft.cc == ("Dana Reyes", "dana.reyes@northwind.example")
    assert "Could we do a call Thursday at 3pm?" in draft.body

    done = inbox.accept(item.id, now=LATER, via="intro", users=40, version=item.version)
    assert (done.ae, done.via) == ("Dana Reyes", "intro")
    assert stage_of(any_engine, "ann@alpha-soft.com") == "opportunity"
    # Every enrollment at the account stops, the colleague's too.
    assert enrollment_of(any_engine, "al@alpha-soft.com").state == "stopped"
    assert enrollment_of(any_engine, "al@alpha-soft.com").reason == "handed off to Dana Reyes"
    with Session(any_engine) as session:
        [handoff] = session.exec(select(Handoff)).all()
    assert (handoff.accepted_by, handoff.ae, handoff.via) == ("sam", "Dana Reyes", "intro")
    assert handoff.task.startswith("Reply to the intro email and book a call with Pat Doe (Alpha)")
    assert inbox.counts(LATER)["sql"] == 0
    assert kinds(any_engine, "inbox.") == ["inbox.accepted"]
    assert kinds(any_engine, "handoff.") == ["handoff.created"]

    # The intro is sent by the dispatcher (window and suppression rules apply), in their
    # thread, with the AE on the envelope and in Cc.
    sent_before = len(recorder.sent)
    tick(dispatcher(any_engine, settings, recorder), EVENING + timedelta(days=1))
    intro = recorder.sent[sent_before]
    message = message_from_bytes(intro.data, policy=policy.default)
    assert intro.recipient == "ann@alpha-soft.com"
    assert recorder.copies == ["dana.reyes@northwind.example"]
    assert message["Cc"] == "Dana Reyes <dana.reyes@northwind.example>"
    assert message["In-Reply-To"]
    with Session(any_engine) as session:
        row = session.get(Message, handoff.intro_message_id)
        assert row is not None and row.state == "sent"

    # A second decision on the same item is refused and changes nothing.
    with pytest.raises(ConflictError, match="already accepted by sam"):
        inbox.accept(item.id, now=LATER, via="call")
    with Session(any_engine) as session:
        assert len(session.exec(select(Handoff)).all()) == 1


def test_two_reps_deciding_at_once_one_wins_the_other_is_told(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(any_engine, tmp_path, YES)
    sam, kim = (
        ReviewQueue(any_engine, settings, actor="sam"),
        ReviewQueue(any_engine, settings, actor="kim"),
    )
    [item] = items(any_engine)
    seen_by_sam, seen_by_kim = sam.view(item.id).item.version, kim.view(item.id).item.version
    sam.accept(item.id, now=LATER, via="call", version=seen_by_sam)
    with pytest.raises(ConflictError, match="already accepted by sam"):
        kim.reject(item.id, reason="not_a_fit", now=LATER, version=seen_by_kim)
    assert stage_of(any_engine, "ann@alpha-soft.com") == "opportunity"
    assert kinds(any_engine, "inbox.") == ["inbox.accepted"]


def test_a_question_goes_to_review_and_reclassifying_applies_the_new_category(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, QUESTION)
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [entry] = inbox.page("review", now=LATER)
    assert entry.why == "question"
    done = inbox.reclassify(entry.id, category="interested", now=LATER)
    assert "lead" in done
    assert stage_of(sqlite_engine, "ann@alpha-soft.com") == "lead"
    review, sql = items(sqlite_engine)
    assert (review.state, review.decided_by) == ("reclassified", "sam")
    assert (sql.lane, sql.state, sql.message_id) == ("sql", "open", review.message_id)
    with Session(sqlite_engine) as session:
        reply = session.get(Message, review.message_id)
        assert reply is not None and (reply.category, reply.confidence) == ("interested", 1.0)


def test_a_snoozed_item_comes_back_on_its_day_and_nurture_is_optional(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, QUESTION)
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [item] = items(sqlite_engine)
    back = (LATER + timedelta(days=10)).date()
    inbox.snooze(item.id, until=back, nurture=True, now=LATER)
    assert inbox.counts(LATER) == {"sql": 0, "review": 0, "referral": 0, "snoozed": 0}
    assert stage_of(sqlite_engine, "ann@alpha-soft.com") == "nurture"
    due = LATER + timedelta(days=10, hours=5)  # midnight of that day in New York
    assert [e.id for e in inbox.page("snoozed", now=due)] == [item.id]
    # Still decidable once it is back.
    inbox.reject(item.id, reason="duplicate", now=due)
    assert stage_of(sqlite_engine, "ann@alpha-soft.com") == "duplicate"
    with pytest.raises(ProspectorError, match="a day after today"):
        inbox.snooze(item.id, until=LATER.date(), now=LATER)


def test_a_referral_without_an_address_waits_until_the_rep_adds_the_person(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, ROLE_REFERRAL, colleagues=False)
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [entry] = inbox.page("referral", now=LATER)
    view = inbox.view(entry.id)
    assert view.referrals[0]["name"] == "Jane Smith"
    done = inbox.refer(entry.id, email="Jane.Smith@alpha-soft.com", name="Jane Smith", now=LATER)
    assert "enrolled in referral-follow-up" in done
    with Session(sqlite_engine) as session:
        jane = session.exec(
            select(Contact).where(Contact.email == "jane.smith@alpha-soft.com")
        ).one()
        ann = session.exec(select(Contact).where(Contact.email == "ann@alpha-soft.com")).one()
        assert (jane.referred_by_id, jane.referral_depth) == (ann.id, 1)
        walk = session.exec(select(Enrollment).where(Enrollment.contact_id == jane.id)).one()
        assert walk.sequence == "referral-follow-up"
    assert inbox.counts(LATER)["referral"] == 0


def test_the_default_ae_is_the_least_loaded_this_week_under_capacity(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, YES)
    extra = '\n[[aes]]\nname = "Lee Park"\nemail = "lee@northwind.example"\ncapacity = 1\n'
    path = settings.path
    path.write_text(path.read_text() + extra)
    from prospector.config import load_settings

    settings = load_settings(path)
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [item] = items(sqlite_engine)
    # Both have 0 this week: the first listed wins the tie.
    assert inbox.draft(item.id, ae=None, now=LATER).cc[0] == "Dana Reyes"
    inbox.accept(item.id, now=LATER, via="call")
    # Dana has one now; Lee has none and room for one.
    assert inbox.draft(item.id, ae=None, now=LATER).cc[0] == "Lee Park"
    with pytest.raises(ProspectorError, match="no AE named"):
        inbox.draft(item.id, ae="Nobody", now=LATER)


def test_rejecting_records_the_reason_and_history_lists_decisions(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, YES)
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [item] = items(sqlite_engine)
    with pytest.raises(ProspectorError, match="reason must be one of"):
        inbox.reject(item.id, reason="meh", now=LATER)
    inbox.reject(item.id, reason="too_small", now=LATER)
    assert stage_of(sqlite_engine, "ann@alpha-soft.com") == "not_a_fit"
    [row] = inbox.history()
    assert (row["kind"], row["actor"]) == ("inbox.rejected", "sam")
    assert json.loads(row["data"])["reason"] == "too_small"
    assert row["at"] is not None


def test_a_reply_no_rule_understands_goes_to_a_person_not_nowhere(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, "Great, Thursday works for us.")
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [entry] = inbox.page("review", now=LATER)
    assert entry.why.startswith("the sorter is not sure (other")
    assert enrollment_of(sqlite_engine, "ann@alpha-soft.com").state == "stopped"


@pytest.mark.parametrize(
    ("reason", "colleague"), [("no_authority", "active"), ("too_small", "stopped")]
)
def test_rejecting_a_yes_resumes_or_stops_the_colleagues_it_paused(
    sqlite_engine: Engine, tmp_path: Path, reason: str, colleague: str
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, YES)
    assert enrollment_of(sqlite_engine, "al@alpha-soft.com").state == "paused"
    [item] = items(sqlite_engine)
    ReviewQueue(sqlite_engine, settings, actor="sam").reject(item.id, reason=reason, now=LATER)
    assert enrollment_of(sqlite_engine, "al@alpha-soft.com").state == colleague


def test_a_greylisted_prospect_gets_the_intro_on_retry_and_the_ae_only_once(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, _ = replied(sqlite_engine, tmp_path, YES, colleagues=False)
    [item] = items(sqlite_engine)
    ReviewQueue(sqlite_engine, settings, actor="sam").accept(item.id, now=LATER, via="intro")
    greylisted = Delivery(
        Verdict.TEMPORARY, Scope.RECIPIENT, 451, "greylisted, try later", copies_sent=True
    )
    recorder.script["ann@alpha-soft.com"] = [greylisted]
    first_try = EVENING + timedelta(days=1)
    tick(dispatcher(sqlite_engine, settings, recorder), first_try)
    assert recorder.copies == ["dana.reyes@northwind.example"]
    tick(dispatcher(sqlite_engine, settings, recorder), first_try + timedelta(minutes=2))
    assert recorder.attempts[-2:] == ["ann@alpha-soft.com", "ann@alpha-soft.com"]
    assert recorder.copies == ["dana.reyes@northwind.example"]  # not a second time
    assert recorder.sent[-1].message["Cc"] == "Dana Reyes <dana.reyes@northwind.example>"
