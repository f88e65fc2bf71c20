"""The ingest job over a small fake of the engine's own Inbox port (the IMAP adapter is
tested against Dovecot in tests/adapters): matching, sorting, acting, exactly once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from prospector.adapters.sandbox_reply import reply_to
from prospector.config import Mailbox, Settings
from prospector.domain.replies import Classification
from prospector.engine.ingest import FolderState, Ingester
from prospector.engine.nurture import nurture
from prospector.store.tables import Contact, Enrollment, Message, Suppression
from tests.engine.dispatch_kit import (
    EVENING,
    Recorder,
    dispatcher,
    enrollment_of,
    person,
    tick,
    workspace,
)

LATER = EVENING + timedelta(hours=2)


@dataclass
class FakeInbox:
    """One folder: UIDs, UIDVALIDITY, and what was fetched (to check headers come first)."""

    messages: dict[int, bytes] = field(default_factory=dict)
    uidvalidity: int = 7
    fetched: list[int] = field(default_factory=list)

    def add(self, raw: bytes) -> int:
        uid = max(self.messages, default=0) + 1
        self.messages[uid] = raw
        return uid

    def open_folder(self, folder: str) -> FolderState:
        return FolderState(self.uidvalidity, max(self.messages, default=0) + 1, len(self.messages))

    def uids_after(self, folder: str, last_uid: int) -> list[int]:
        return sorted(u for u in self.messages if u > last_uid)

    def headers(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
        return {u: self.messages[u].split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" for u in uids}

    def fetch(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
        self.fetched += list(uids)
        return {u: self.messages[u] for u in uids}


def sent_and_inbox(
    engine: Engine, tmp_path: Path, rows: list[str]
) -> tuple[Settings, Recorder, FakeInbox]:
    settings = workspace(engine, tmp_path, rows)
    recorder = Recorder()
    tick(dispatcher(engine, settings, recorder), EVENING)
    return settings, recorder, FakeInbox()


def ingester(engine: Engine, settings: Settings, inbox: FakeInbox) -> Ingester:
    @contextmanager
    def open_inbox(_mailbox: Mailbox) -> Iterator[FakeInbox]:
        yield inbox

    return Ingester(engine, settings, open_inbox)


def first_to(recorder: Recorder, email: str) -> bytes:
    return next(s.data for s in recorder.sent if s.recipient == email)


def inbound(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        query = select(Message).where(Message.direction == "in").order_by(col(Message.id))
        return list(session.exec(query))


def test_an_interested_reply_stops_the_sequence_and_makes_a_lead(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(
        any_engine, tmp_path, [person("ann", "Alpha"), person("al", "Alpha", first="Al")]
    )
    original = first_to(recorder, "ann@alpha-soft.com")
    inbox.add(reply_to(original, body="Yes, happy to talk. Could we do a call Thursday at 3pm?"))
    report = ingester(any_engine, settings, inbox)(LATER)
    assert (report.processed, report.by_category) == (1, {"interested": 1})
    [row] = inbound(any_engine)
    assert (row.category, row.mailbox, row.uid, row.uidvalidity) == ("interested", "main", 1, 7)
    assert "matched by in-reply-to" in row.action
    assert row.content == inbox.messages[1]
    ann = enrollment_of(any_engine, "ann@alpha-soft.com")
    assert (ann.state, ann.reason) == ("stopped", "replied: interested")
    # A yes pauses the colleague at the same account, by default.
    assert enrollment_of(any_engine, "al@alpha-soft.com").state == "paused"
    with Session(any_engine) as session:
        stage = session.exec(select(Contact.stage).where(Contact.email == "ann@alpha-soft.com"))
        assert stage.one() == "lead"
    # Read again: nothing is repeated.
    again = ingester(any_engine, settings, inbox)(LATER + timedelta(minutes=1))
    assert (again.read, again.processed) == (0, 0)
    assert len(inbound(any_engine)) == 1


def test_mail_that_is_not_ours_is_left_alone_and_never_fetched(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, _, inbox = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    inbox.add(
        b"From: news@shop.example\r\nTo: alex@northwind-demo.com\r\nSubject: Sale!\r\n"
        b"Message-ID: <n1@shop.example>\r\n\r\nBuy now.\r\n"
    )
    report = ingester(sqlite_engine, settings, inbox)(LATER)
    assert (report.read, report.unmatched, report.processed) == (1, 1, 0)
    assert inbox.fetched == []  # headers were enough to leave it alone
    assert inbound(sqlite_engine) == []


def test_an_unsubscribe_suppresses_at_once(any_engine: Engine, tmp_path: Path) -> None:
    settings, recorder, inbox = sent_and_inbox(any_engine, tmp_path, [person("ann", "Alpha")])
    inbox.add(
        reply_to(
            first_to(recorder, "ann@alpha-soft.com"),
            body="Unsubscribe. Please remove me from your list.",
        )
    )
    ingester(any_engine, settings, inbox)(LATER)
    with Session(any_engine) as session:
        suppression = session.exec(select(Suppression)).one()
    assert (suppression.email, suppression.reason) == ("ann@alpha-soft.com", "unsubscribed")
    assert enrollment_of(any_engine, "ann@alpha-soft.com").state == "stopped"


def test_a_referral_becomes_a_prospect_in_the_referral_sequence(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    inbox.add(
        reply_to(
            first_to(recorder, "ann@alpha-soft.com"),
            body="You should talk to Jane Smith, our VP of Operations: jane.smith@alpha-soft.com",
        )
    )
    report = ingester(sqlite_engine, settings, inbox)(LATER)
    assert report.by_category == {"referral": 1}
    with Session(sqlite_engine) as session:
        jane = session.exec(
            select(Contact).where(Contact.email == "jane.smith@alpha-soft.com")
        ).one()
        ann = session.exec(select(Contact).where(Contact.email == "ann@alpha-soft.com")).one()
    assert (jane.referred_by_id, jane.referral_depth, jane.source) == (ann.id, 1, "referral")
    assert jane.first_name == "Jane"
    enrolled = enrollment_of(sqlite_engine, "jane.smith@alpha-soft.com")
    assert (enrolled.sequence, enrolled.state, enrolled.mailbox) == (
        "referral-follow-up",
        "active",
        "main",
    )
    # The referral sequence's template says who referred us. One email per account a day:
    # Ann had hers today, so Jane's goes out the next evening.
    recorder2 = Recorder()
    tick(
        dispatcher(sqlite_engine, settings, recorder2, token=lambda: "r1"),
        EVENING + timedelta(days=1),
    )
    assert [s.recipient for s in recorder2.sent] == ["jane.smith@alpha-soft.com"]
    assert "Pat suggested" in recorder2.sent[0].message.get_content()  # Ann signs as Pat


def test_a_hard_bounce_of_our_message_suppresses_the_address(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    original = first_to(recorder, "ann@alpha-soft.com")
    message_id = BytesHeaderParser().parsebytes(original)["Message-ID"]
    inbox.add(dsn(message_id, "ann@alpha-soft.com"))
    report = ingester(sqlite_engine, settings, inbox)(LATER)
    assert report.by_category == {"bounce": 1}
    with Session(sqlite_engine) as session:
        suppression = session.exec(select(Suppression)).one()
    assert (suppression.email, suppression.reason) == ("ann@alpha-soft.com", "hard-bounce")
    assert enrollment_of(sqlite_engine, "ann@alpha-soft.com").state == "stopped"


def test_a_soft_bounce_sends_the_same_message_again_a_day_later(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    original = first_to(recorder, "ann@alpha-soft.com")
    message_id = BytesHeaderParser().parsebytes(original)["Message-ID"]
    full = "452 4.2.2 <{r}>: Mailbox full, try again later"
    inbox.add(dsn(message_id, "ann@alpha-soft.com", status="4.2.2", diagnostic=full))
    ingester(sqlite_engine, settings, inbox)(LATER)
    [bounce] = inbound(sqlite_engine)
    assert "soft bounce, counted; the message goes again after" in bounce.action
    with Session(sqlite_engine) as session:
        assert session.exec(select(Suppression)).all() == []
        sent = session.exec(select(Message).where(Message.message_id == message_id)).one()
    assert (sent.state, sent.error) == ("retry", "soft bounce")
    assert sent.next_attempt_at == LATER + timedelta(hours=24)
    assert enrollment_of(sqlite_engine, "ann@alpha-soft.com").state == "active"
    again = Recorder()
    tick(dispatcher(sqlite_engine, settings, again), LATER + timedelta(hours=23))
    assert again.sent == []  # not before its time
    tick(dispatcher(sqlite_engine, settings, again), LATER + timedelta(hours=24, minutes=1))
    assert [s.data for s in again.sent] == [original]  # the very same bytes


def test_an_out_of_office_pauses_until_the_day_after_the_return(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    auto = reply_to(
        first_to(recorder, "ann@alpha-soft.com"),
        body="I am out of the office until Monday, December 7, 2026 with limited access to email.",
        quote=False,
    ).replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1)
    inbox.add(auto)
    report = ingester(sqlite_engine, settings, inbox)(LATER)
    assert report.by_category == {"out_of_office": 1}
    enrollment = enrollment_of(sqlite_engine, "ann@alpha-soft.com")
    assert enrollment.state == "active"  # an auto-reply is not the person answering
    assert enrollment.next_due_at is not None
    assert enrollment.next_due_at.date() == date(2026, 12, 8)


def test_a_uidvalidity_reset_reads_again_without_repeating(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(
        sqlite_engine, tmp_path, [person("ann", "Alpha"), person("bo", "Beta")]
    )
    inbox.add(
        reply_to(
            first_to(recorder, "ann@alpha-soft.com"),
            body="Not interested, we already use a tool for this.",
        )
    )
    ingester(sqlite_engine, settings, inbox)(LATER)
    # The server renumbers the folder: the old message gets a new UID, and a new one arrives.
    old = inbox.messages[1]
    inbox.messages = {10: old}
    inbox.uidvalidity = 99
    inbox.add(
        reply_to(first_to(recorder, "bo@beta-soft.com"), body="Please take me off your list.")
    )
    report = ingester(sqlite_engine, settings, inbox)(LATER + timedelta(minutes=1))
    assert (report.read, report.repeated, report.processed) == (2, 1, 1)
    assert [m.category for m in inbound(sqlite_engine)] == ["not_interested", "unsubscribe"]


def test_a_crash_between_fetch_and_commit_processes_the_message_on_restart(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    inbox.add(reply_to(first_to(recorder, "ann@alpha-soft.com"), body="Yes, let's talk next week."))

    def dies(raw: bytes, domains: object) -> Classification:
        raise SystemExit("killed")  # not an Exception: nothing catches it, like SIGKILL

    crashing = ingester(sqlite_engine, settings, inbox)
    crashing.sorter = dies
    with pytest.raises(SystemExit):
        crashing(LATER)
    assert inbound(sqlite_engine) == []
    report = ingester(sqlite_engine, settings, inbox)(LATER)
    assert report.processed == 1
    assert [m.category for m in inbound(sqlite_engine)] == ["interested"]


def dsn(
    message_id: str,
    recipient: str,
    status: str = "5.1.1",
    diagnostic: str = "550 5.1.1 <{r}>: Recipient address rejected: User unknown",
) -> bytes:
    """A standard RFC 3464 delivery report returning our message."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.alpha-soft.com>\r\n"
        "To: alex@northwind-demo.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.alpha-soft.com>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered"
        f" to {recipient}.\r\n"
        "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.alpha-soft.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic.format(r=recipient)}\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Alex Morgan <alex@northwind-demo.com>\r\nTo: {recipient}\r\n"
        f"Message-ID: {message_id}\r\nSubject: Right person at Alpha?\r\n"
        "\r\n--B--\r\n"
    ).encode()


def test_a_wrong_person_reply_gets_one_who_is_right_question_in_its_thread(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, inbox = sent_and_inbox(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    reply = reply_to(
        first_to(recorder, "ann@alpha-soft.com"),
        body="I'm not the right person for this, sorry.",
    )
    inbox.add(reply)
    report = ingester(sqlite_engine, settings, inbox)(LATER)
    assert report.by_category == {"wrong_person": 1}
    # Sent by the dispatcher on the next evening (one email per account a day).
    followers = Recorder()
    tick(
        dispatcher(sqlite_engine, settings, followers, token=lambda: "w1"),
        EVENING + timedelta(days=1),
    )
    [sent] = followers.sent
    message = sent.message
    their_id = BytesHeaderParser().parsebytes(reply)["Message-ID"]
    assert message["In-Reply-To"] == their_id
    assert their_id in message["References"]
    assert message["Subject"].startswith("Re: ")
    assert "Who would be the right person at Alpha" in message.get_content()
    # Once only: later ticks send nothing more.
    tick(
        dispatcher(sqlite_engine, settings, followers, token=lambda: "w2"),
        EVENING + timedelta(days=2),
    )
    assert len(followers.sent) == 1


def test_not_now_comes_back_at_its_date_in_the_nurture_sequence(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(
        sqlite_engine,
        tmp_path,
        [person("ann", "Alpha")],
        replace={'nurture_sequence = ""': 'nurture_sequence = "referral-follow-up"'},
    )
    recorder = Recorder()
    tick(dispatcher(sqlite_engine, settings, recorder), EVENING)
    inbox = FakeInbox()
    inbox.add(reply_to(recorder.sent[0].data, body="Not right now, try me again next quarter."))
    assert ingester(sqlite_engine, settings, inbox)(LATER).by_category == {"not_now": 1}
    with Session(sqlite_engine) as session:
        ann = session.exec(select(Contact).where(Contact.email == "ann@alpha-soft.com")).one()
    assert ann.stage == "nurture" and ann.nurture_until is not None
    assert nurture(sqlite_engine, settings, ann.nurture_until - timedelta(days=1)).due == 0
    report = nurture(sqlite_engine, settings, ann.nurture_until)
    assert (report.due, report.enrolled) == (1, 1)
    with Session(sqlite_engine) as session:
        rows = session.exec(
            select(Enrollment.sequence, Enrollment.state)
            .join(Contact)
            .where(Contact.email == "ann@alpha-soft.com")
            .order_by(col(Enrollment.id))
        ).all()
        stage = session.exec(
            select(Contact.stage).where(Contact.email == "ann@alpha-soft.com")
        ).one()
    assert rows == [("referral-ask", "stopped"), ("referral-follow-up", "active")]
    assert stage == "prospect"
