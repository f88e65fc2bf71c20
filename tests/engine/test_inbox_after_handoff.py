"""What happens around a hand-off: the prospect answering the intro, a bounce of the AE's
copy, a stopped enrollment's pending re-send, the rep's category kept by later re-sorts."""

from __future__ import annotations

from datetime import timedelta
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from prospector.adapters.sandbox_reply import reply_to
from prospector.engine.inbox import ReviewQueue
from prospector.engine.resorting import resort
from prospector.errors import ConflictError
from prospector.store.tables import Contact, Handoff, InboxItem, Message, Suppression
from tests.engine.dispatch_kit import EVENING, Recorder, dispatcher, person, tick
from tests.engine.test_inbox import QUESTION, YES, items, replied, stage_of
from tests.engine.test_ingest import (
    LATER,
    dsn,
    first_to,
    inbound,
    ingester,
    sent_and_inbox,
)

DAY_AFTER = EVENING + timedelta(days=1)


def test_a_yes_after_the_hand_off_is_left_to_the_ae_never_a_second_hand_off(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, mail = replied(sqlite_engine, tmp_path, YES, colleagues=False)
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [item] = items(sqlite_engine)
    inbox.accept(item.id, now=LATER, via="intro")
    tick(dispatcher(sqlite_engine, settings, recorder), DAY_AFTER)
    intro = recorder.sent[-1].data
    mail.add(reply_to(intro, body=YES))
    mail.add(reply_to(intro, body=QUESTION))
    ingester(sqlite_engine, settings, mail)(DAY_AFTER + timedelta(hours=1))
    yes, question = inbound(sqlite_engine)[1:]
    assert "already handed off: the AE has it" in yes.action
    assert stage_of(sqlite_engine, "ann@alpha-soft.com") == "opportunity"
    # The question still reaches a person, but cannot be handed off again.
    [review] = [i for i in items(sqlite_engine) if i.state == "open"]
    assert (review.lane, review.message_id) == ("review", question.id)
    with pytest.raises(ConflictError, match="already handed off to Dana Reyes"):
        inbox.accept(review.id, now=DAY_AFTER, via="call")
    with Session(sqlite_engine) as session:
        assert len(session.exec(select(Handoff)).all()) == 1


def test_deciding_another_item_of_a_person_just_handed_off_is_refused(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, mail = replied(sqlite_engine, tmp_path, QUESTION, colleagues=False)
    mail.add(reply_to(first_to(recorder, "ann@alpha-soft.com"), body=YES))
    ingester(sqlite_engine, settings, mail)(LATER + timedelta(minutes=5))
    review, sql = items(sqlite_engine)
    sam, kim = (
        ReviewQueue(sqlite_engine, settings, actor="sam"),
        ReviewQueue(sqlite_engine, settings, actor="kim"),
    )
    seen = kim.view(review.id).item.version
    sam.accept(sql.id, now=LATER, via="call")
    with pytest.raises(ConflictError, match="already closed by sam"):
        kim.reject(review.id, reason="duplicate", now=LATER, version=seen)


def test_a_bounce_of_the_aes_copy_does_not_suppress_the_prospect(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, mail = replied(sqlite_engine, tmp_path, YES, colleagues=False)
    [item] = items(sqlite_engine)
    ReviewQueue(sqlite_engine, settings, actor="sam").accept(item.id, now=LATER, via="intro")
    tick(dispatcher(sqlite_engine, settings, recorder), DAY_AFTER)
    intro_id = BytesHeaderParser().parsebytes(recorder.sent[-1].data)["Message-ID"]
    mail.add(dsn(intro_id, "dana.reyes@northwind.example"))
    ingester(sqlite_engine, settings, mail)(DAY_AFTER + timedelta(hours=1))
    bounce = inbound(sqlite_engine)[-1]
    assert bounce.category == "bounce"
    assert "left alone" in bounce.action
    with Session(sqlite_engine) as session:
        assert session.exec(select(Suppression)).all() == []


def test_a_pending_re_send_is_dropped_once_a_reply_stops_the_sequence(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, mail = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    original = first_to(recorder, "ann@alpha-soft.com")
    message_id = BytesHeaderParser().parsebytes(original)["Message-ID"]
    full = "452 4.2.2 <{r}>: Mailbox full, try again later"
    mail.add(dsn(message_id, "ann@alpha-soft.com", status="4.2.2", diagnostic=full))
    mail.add(reply_to(original, body="Please remove me from your list."))
    ingester(sqlite_engine, settings, mail)(LATER)
    again = Recorder()
    tick(dispatcher(sqlite_engine, settings, again), LATER + timedelta(hours=24, minutes=1))
    assert again.sent == []
    with Session(sqlite_engine) as session:
        row = session.exec(select(Message).where(Message.message_id == message_id)).one()
    assert row.state == "failed"


def test_a_soft_bounce_for_a_reason_time_will_not_fix_is_counted_not_re_sent(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, mail = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    message_id = BytesHeaderParser().parsebytes(first_to(recorder, "ann@alpha-soft.com"))[
        "Message-ID"
    ]
    spam = "550 5.7.1 <{r}>: Message rejected as spam by content filter"
    mail.add(dsn(message_id, "ann@alpha-soft.com", status="5.7.1", diagnostic=spam))
    ingester(sqlite_engine, settings, mail)(LATER)
    [bounce] = inbound(sqlite_engine)
    assert bounce.action.startswith("ann@alpha-soft.com: soft bounce, counted [")
    with Session(sqlite_engine) as session:
        row = session.exec(select(Message).where(Message.message_id == message_id)).one()
    assert row.state == "sent"


def test_reclassifying_to_wrong_person_asks_who_would_be_right_and_re_sorts_keep_it(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(sqlite_engine, tmp_path, QUESTION, colleagues=False)
    inbox = ReviewQueue(sqlite_engine, settings, actor="sam")
    [item] = items(sqlite_engine)
    done = inbox.reclassify(item.id, category="wrong_person", now=LATER)
    assert "asked who would be right" in done
    with Session(sqlite_engine) as session:
        queued = session.exec(
            select(Message).where(Message.direction == "out").order_by(col(Message.id).desc())
        ).first()
        assert queued is not None and queued.state == "retry"
        assert queued.subject.startswith("Re: ")
    report = resort(sqlite_engine, settings, now=LATER + timedelta(hours=1))
    assert report.changed == []
    assert inbound(sqlite_engine)[0].category == "wrong_person"
    with Session(sqlite_engine) as session:
        assert session.exec(select(Contact.stage).where(Contact.id == item.contact_id)).one()
        assert len(session.exec(select(InboxItem)).all()) == 1
