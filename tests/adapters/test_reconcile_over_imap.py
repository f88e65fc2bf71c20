"""Uncertain messages settled by looking in a real Sent folder (Dovecot) over IMAP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from prospector.adapters.sent_folder import imap_sent_folder
from prospector.config import Settings
from prospector.engine.catalog import load_sequences
from prospector.engine.reconcile import Reconciler
from tests.engine.dispatch_kit import (
    EVENING,
    Recorder,
    crash_after_smtp,
    dispatcher,
    messages,
    person,
    tick,
    workspace,
)
from tests.imap_server import DovecotServer


def point_at(settings: Settings, dovecot: DovecotServer) -> Settings:
    imap = dovecot.config("none")
    mailboxes = tuple(m.model_copy(update={"imap": imap}) for m in settings.config.mailboxes)
    config = settings.config.model_copy(update={"mailboxes": mailboxes})
    return Settings(config=config, path=settings.path)


def test_the_message_the_provider_filed_is_found_the_other_is_resent(
    sqlite_engine: Engine, tmp_path: Path, dovecot: DovecotServer
) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha"), person("bo", "Beta")])
    settings = point_at(settings, dovecot)
    recorder = Recorder()
    tick(dispatcher(sqlite_engine, settings, recorder), EVENING)
    crash_after_smtp(sqlite_engine)
    user = settings.config.mailboxes[0].imap.username
    with dovecot.client(user) as client:  # the provider filed Ann's message only
        client.append("Sent", recorder.sent[0].data, flags=[b"\\Seen"])
    reconcile = Reconciler(
        sqlite_engine, settings, lambda: load_sequences(settings)[0], imap_sent_folder
    )
    report = reconcile(EVENING + timedelta(minutes=6))
    assert (report.found_sent, report.resent, report.errors) == (1, 1, [])
    states = {m.to_address: m.state for m in messages(sqlite_engine)}
    assert states == {"ann@alpha-soft.com": "sent", "bo@beta-soft.com": "retry"}


def test_append_mode_puts_the_copy_in_sent(
    sqlite_engine: Engine, tmp_path: Path, dovecot: DovecotServer
) -> None:
    settings = workspace(
        sqlite_engine,
        tmp_path,
        [person("ann", "Alpha")],
        replace={'sent_copy = "server"': 'sent_copy = "append"'},
    )
    settings = point_at(settings, dovecot)
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    d.sent_folders = imap_sent_folder
    tick(d, EVENING)
    message_id = messages(sqlite_engine)[0].message_id
    with imap_sent_folder(settings.config.mailboxes[0]) as folder:
        assert folder.contains(message_id)
