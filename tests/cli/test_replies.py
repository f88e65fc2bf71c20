"""`classify` on files, and `replies` / `reclassify` over what the ingest job stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from prospector.adapters.sandbox_reply import reply_to
from prospector.config import Mailbox, Settings
from prospector.engine.ingest import Ingester
from prospector.store.db import make_engine, upgrade
from tests.cli.conftest import cli, run
from tests.engine.dispatch_kit import EVENING, Recorder, dispatcher, person, tick, workspace
from tests.engine.test_ingest import LATER, FakeInbox

UNSUBSCRIBE = (
    b"From: Ann <ann@alpha-soft.com>\r\nTo: alex@northwind-demo.com\r\n"
    b"Subject: Re: Right person?\r\nMessage-ID: <r1@alpha-soft.com>\r\n"
    b"Date: Tue, 24 Nov 2026 20:00:00 -0500\r\n\r\nPlease remove me from your list.\r\n"
)


def test_classify_prints_stable_json_for_each_file(tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(UNSUBSCRIBE)
    result = run("classify", str(path), "--json")
    assert result.exit_code == 0, result.output
    [found] = json.loads(result.output)
    assert found["file"] == str(path)
    assert found["category"] == "unsubscribe"
    assert found["version"] == 1
    assert {"confidence", "evidence", "visible_text", "failed_recipients"} <= set(found)
    assert run("classify", str(tmp_path / "missing.eml")).exit_code == 4


def stored_reply(tmp_path: Path) -> tuple[Path, Engine, Settings]:
    """A workspace whose database holds one sent email and its reply, read by ingest."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ws' / 'prospector.db'}")
    (tmp_path / "ws").mkdir(exist_ok=True)
    upgrade(engine)
    settings = workspace(engine, tmp_path, [person("ann", "Alpha")])
    recorder = Recorder()
    tick(dispatcher(engine, settings, recorder), EVENING)
    inbox = FakeInbox()
    inbox.add(reply_to(recorder.sent[0].data, body="Please remove me from your list."))

    @contextmanager
    def open_inbox(_mailbox: Mailbox) -> Iterator[FakeInbox]:
        yield inbox

    Ingester(engine, settings, open_inbox)(LATER)
    return tmp_path / "ws", engine, settings


def test_replies_lists_what_was_read_and_done(tmp_path: Path) -> None:
    ws, engine, _ = stored_reply(tmp_path)
    result = cli(ws, "replies", "--json")
    assert result.exit_code == 0, result.output
    [reply] = json.loads(result.output)
    assert (reply["category"], reply["from"]) == ("unsubscribe", "ann@alpha-soft.com")
    assert "suppressed for every sequence" in reply["action"]
    assert reply["evidence"]
    engine.dispose()


def test_reclassify_records_changes_without_redoing_actions(tmp_path: Path) -> None:
    ws, engine, _ = stored_reply(tmp_path)
    result = cli(ws, "reclassify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"checked": 1, "changed": []}
    engine.dispose()


def test_a_reply_that_now_sorts_differently_goes_to_review(tmp_path: Path) -> None:
    ws, engine, _ = stored_reply(tmp_path)
    with engine.begin() as conn:  # as if older rules had called it a question
        conn.execute(text("UPDATE message SET category = 'question' WHERE direction = 'in'"))
    result = cli(ws, "reclassify", "--json")
    report = json.loads(result.output)
    assert report["changed"] == [
        {"id": report["changed"][0]["id"], "was": "question", "now": "unsubscribe"}
    ]
    with engine.connect() as conn:
        action = conn.execute(text("SELECT action FROM message WHERE direction = 'in'")).scalar()
        suppressions = conn.execute(text("SELECT count(*) FROM suppression")).scalar()
    assert "needs review" in str(action)
    assert suppressions == 1  # the action taken before is not repeated
    engine.dispose()
