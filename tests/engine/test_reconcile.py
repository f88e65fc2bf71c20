"""Uncertain messages settled from the Sent folder; the optional copy to Sent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from prospector.engine.catalog import load_sequences
from prospector.engine.reconcile import Reconciler
from tests.engine.dispatch_kit import (
    EVENING,
    Recorder,
    SentFolders,
    crash_after_smtp,
    dispatcher,
    enrollment_of,
    messages,
    person,
    tick,
    workspace,
)

AFTER_GRACE = EVENING + timedelta(seconds=301)  # reconcile_after_seconds = 300


def reconciler(engine: Engine, settings: object, folders: SentFolders) -> Reconciler:
    return Reconciler(
        engine,
        settings,  # type: ignore[arg-type]
        lambda: load_sequences(settings)[0],  # type: ignore[arg-type]
        folders.open,
    )


def test_found_in_sent_is_sent_missing_is_sent_again(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha"), person("bo", "Beta")])
    recorder = Recorder()
    d = dispatcher(sqlite_engine, settings, recorder)
    tick(d, EVENING)
    crash_after_smtp(sqlite_engine)
    # The provider filed Ann's message in Sent; Bo's never reached the server.
    folders = SentFolders({"main": [recorder.sent[0].data]})
    reconcile = reconciler(sqlite_engine, settings, folders)
    assert not reconcile(EVENING + timedelta(minutes=1))  # within the grace period: wait
    report = reconcile(AFTER_GRACE)
    assert (report.found_sent, report.resent) == (1, 1)
    states = {m.to_address: m.state for m in messages(sqlite_engine)}
    assert states == {"ann@alpha-soft.com": "sent", "bo@beta-soft.com": "retry"}
    assert enrollment_of(sqlite_engine, "ann@alpha-soft.com").step == 1
    tick(d, AFTER_GRACE)
    assert [s.recipient for s in recorder.sent] == [
        "ann@alpha-soft.com",
        "bo@beta-soft.com",
        "bo@beta-soft.com",
    ]
    assert recorder.sent[1].data == recorder.sent[2].data  # the same Message-ID
    assert enrollment_of(sqlite_engine, "bo@beta-soft.com").step == 1


def test_without_a_server_copy_uncertain_waits_for_a_human(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(
        sqlite_engine,
        tmp_path,
        [person("ann", "Alpha")],
        replace={'sent_copy = "server"': 'sent_copy = "none"'},
    )
    d = dispatcher(sqlite_engine, settings, Recorder())
    tick(d, EVENING)
    crash_after_smtp(sqlite_engine)
    report = reconciler(sqlite_engine, settings, SentFolders())(AFTER_GRACE)
    assert (report.found_sent, report.resent, report.left) == (0, 0, 1)
    assert messages(sqlite_engine)[0].state == "uncertain"


def test_an_unreachable_sent_folder_changes_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = workspace(sqlite_engine, tmp_path, [person("ann", "Alpha")])
    tick(dispatcher(sqlite_engine, settings, Recorder()), EVENING)
    crash_after_smtp(sqlite_engine)
    report = reconciler(sqlite_engine, settings, SentFolders(down=True))(AFTER_GRACE)
    assert report.errors and "connection refused" in report.errors[0]
    assert messages(sqlite_engine)[0].state == "uncertain"


def test_append_mode_copies_each_sent_message_to_sent(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = workspace(
        sqlite_engine,
        tmp_path,
        [person("ann", "Alpha")],
        replace={'sent_copy = "server"': 'sent_copy = "append"'},
    )
    recorder = Recorder()
    folders = SentFolders()
    d = dispatcher(sqlite_engine, settings, recorder)
    d.sent_folders = folders.open
    tick(d, EVENING)
    assert folders.folders["main"] == [recorder.sent[0].data]
    folders.down = True  # a failed copy is logged; the message stays sent
    d2 = dispatcher(sqlite_engine, settings, recorder, token=lambda: "second")
    d2.sent_folders = folders.open
    tick(d2, EVENING + timedelta(days=3))  # Friday: closed; then Sunday evening
    tick(d2, EVENING + timedelta(days=5))
    assert [m.state for m in messages(sqlite_engine)] == ["sent", "sent"]
