"""The ingest job reading a real Dovecot mailbox through the IMAP adapter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from prospector.adapters.sandbox_reply import reply_to
from prospector.cli.run import imap_inbox
from prospector.engine.ingest import Ingester
from tests.adapters.test_reconcile_over_imap import point_at
from tests.engine.dispatch_kit import EVENING, Recorder, dispatcher, person, tick, workspace
from tests.imap_server import DovecotServer


def test_replies_in_the_inbox_are_read_once_and_left_unread(
    sqlite_engine: Engine, tmp_path: Path, dovecot: DovecotServer
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha"), person("bo", "Beta")])
    settings = point_at(settings, dovecot)
    recorder = Recorder()
    tick(dispatcher(sqlite_engine, settings, recorder), EVENING)
    user = settings.config.mailboxes[0].imap.username
    with dovecot.client(user) as client:
        client.append("INBOX", reply_to(recorder.sent[0].data, body="Yes, let's talk Thursday."))
        client.append(
            "INBOX",
            b"From: news@shop.example\r\nSubject: Sale\r\n"
            b"Message-ID: <n@shop.example>\r\n\r\nHi\r\n",
        )
        client.append(
            "INBOX", reply_to(recorder.sent[1].data, body="Please remove me from your list.")
        )
    ingest = Ingester(sqlite_engine, settings, imap_inbox)
    report = ingest(EVENING + timedelta(hours=1))
    assert report.errors == []
    assert (report.read, report.processed, report.unmatched) == (3, 2, 1)
    assert report.by_category == {"interested": 1, "unsubscribe": 1}
    again = ingest(EVENING + timedelta(hours=2))
    assert (again.read, again.processed) == (0, 0)
    with sqlite_engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM message WHERE direction = 'in'")).scalar()
    assert stored == 2
    with dovecot.client(user) as client:  # the rep's mailbox is not disturbed
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search("ALL"))
    assert all(b"\\Seen" not in f for f in flags.values())


def test_a_uidvalidity_reset_on_the_server_neither_loses_nor_repeats(
    sqlite_engine: Engine, tmp_path: Path, dovecot: DovecotServer
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha"), person("bo", "Beta")])
    settings = point_at(settings, dovecot)
    recorder = Recorder()
    tick(dispatcher(sqlite_engine, settings, recorder), EVENING)
    user = settings.config.mailboxes[0].imap.username
    with dovecot.client(user) as client:
        client.append("INBOX", reply_to(recorder.sent[0].data, body="Not interested, thanks."))
    ingest = Ingester(sqlite_engine, settings, imap_inbox)
    assert ingest(EVENING + timedelta(hours=1)).processed == 1
    with dovecot.client(user) as client:
        state = client.select_folder("INBOX", readonly=True)
    new = int(state[b"UIDVALIDITY"]) + 1000
    dovecot.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(new), "INBOX")
    with dovecot.client(user) as client:
        client.append("INBOX", reply_to(recorder.sent[1].data, body="Please remove me."))
    report = ingest(EVENING + timedelta(hours=2))
    assert (report.read, report.repeated, report.processed) == (2, 1, 1)
    with sqlite_engine.connect() as conn:
        rows = (
            conn.execute(text("SELECT category FROM message WHERE direction = 'in' ORDER BY id"))
            .scalars()
            .all()
        )
    assert rows == ["not_interested", "unsubscribe"]
