"""The scriptable twins of the review screen, and `export sqls`, over a real workspace."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from prospector.adapters.sandbox_reply import reply_to
from prospector.config import Mailbox
from prospector.engine.ingest import Ingester
from prospector.store.db import make_engine, upgrade
from tests.cli.conftest import cli
from tests.engine.dispatch_kit import EVENING, Recorder, dispatcher, person, tick, workspace
from tests.engine.test_ingest import LATER, FakeInbox

YES = "Yes, happy to talk. Could we do a call Thursday at 3pm?"


def with_reply(tmp_path: Path, body: str = YES) -> tuple[Path, Engine]:
    """A workspace (config + its own database) holding one sent email and its reply."""
    (tmp_path / "ws").mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'ws' / 'prospector.db'}")
    upgrade(engine)
    settings = workspace(engine, tmp_path, [person("ann", "Alpha")])
    recorder = Recorder()
    tick(dispatcher(engine, settings, recorder), EVENING)
    inbox = FakeInbox()
    inbox.add(reply_to(recorder.sent[0].data, body=body))

    @contextmanager
    def open_inbox(_mailbox: Mailbox) -> Iterator[FakeInbox]:
        yield inbox

    Ingester(engine, settings, open_inbox)(LATER)
    return tmp_path / "ws", engine


def listed(ws: Path, *args: str) -> list[dict[str, object]]:
    result = cli(ws, "inbox", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def test_list_show_accept_export_and_history(tmp_path: Path) -> None:
    ws, engine = with_reply(tmp_path)
    [item] = listed(ws)
    assert (item["lane"], item["email"], item["why"]) == ("sql", "ann@alpha-soft.com", "interested")

    shown = cli(ws, "inbox", "show", str(item["id"]))
    assert shown.exit_code == 0, shown.output
    assert "✓ wants a next step: they ask for one" in shown.output
    assert '"Could we do a call Thursday at 3pm?"' in shown.output
    assert "← they wrote" in shown.output and "→ we wrote" in shown.output
    as_json = json.loads(cli(ws, "inbox", "show", str(item["id"]), "--json").output)
    assert as_json["version"] == 1 and len(as_json["checklist"]) == 6

    raw = cli(ws, "inbox", "show", str(item["id"]), "--raw")
    assert "Could we do a call Thursday at 3pm?" in raw.output

    draft = cli(ws, "inbox", "accept", str(item["id"]), "--draft")
    assert "Cc: Dana Reyes <dana.reyes@northwind.example>" in draft.output
    assert listed(ws, "--lane", "sql")  # a draft changes nothing

    accepted = cli(ws, "inbox", "accept", str(item["id"]), "--via", "call", "--as", "sam")
    assert accepted.exit_code == 0, accepted.output
    assert "hand-off 1 to Dana Reyes via call" in accepted.output
    assert listed(ws, "--lane", "sql") == []

    again = cli(ws, "inbox", "reject", str(item["id"]), "--reason", "duplicate", "--as", "kim")
    assert again.exit_code == 5
    assert "already accepted by sam" in again.output

    exported = cli(ws, "export", "sqls", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(exported.output)))
    assert (row["email"], row["ae"], row["via"], row["accepted_by"]) == (
        "ann@alpha-soft.com",
        "Dana Reyes",
        "call",
        "sam",
    )
    [as_json_row] = json.loads(cli(ws, "export", "sqls", "--format", "json").output)
    assert as_json_row["company"] == "Alpha"

    [task] = json.loads(cli(ws, "inbox", "handoffs", "--json").output)
    assert (task["ae"], task["state"]) == ("Dana Reyes", "open")
    assert cli(ws, "inbox", "done", str(task["id"]), "--as", "dana").exit_code == 0
    assert json.loads(cli(ws, "inbox", "handoffs", "--json").output) == []
    [done] = json.loads(cli(ws, "inbox", "handoffs", "--all", "--json").output)
    assert done["state"] == "done"

    history = json.loads(cli(ws, "inbox", "history", "--json").output)
    assert [h["kind"] for h in history] == ["handoff.done", "handoff.created", "inbox.accepted"]
    assert [h["actor"] for h in history] == ["dana", "sam", "sam"]
    engine.dispose()


def test_snooze_reclassify_and_bad_input(tmp_path: Path) -> None:
    ws, engine = with_reply(tmp_path, "What does it cost per seat?")
    [item] = listed(ws)
    assert item["lane"] == "review"
    bad = cli(ws, "inbox", "snooze", str(item["id"]), "--until", "next week")
    assert bad.exit_code == 2 and "is not a date" in bad.output
    wrong = cli(ws, "inbox", "reclassify", str(item["id"]), "maybe")
    assert wrong.exit_code == 1 and "category must be one of" in wrong.output
    done = cli(ws, "inbox", "reclassify", str(item["id"]), "interested", "--version", "1")
    assert done.exit_code == 0, done.output
    [sql] = listed(ws)
    assert (sql["lane"], sql["why"]) == ("sql", "interested")
    snoozed = cli(ws, "inbox", "snooze", str(sql["id"]), "--until", "2099-01-01")
    assert snoozed.exit_code == 0, snoozed.output
    assert listed(ws) == []
    assert cli(ws, "inbox", "show", "999").exit_code == 4
    engine.dispose()


def test_a_reply_sorted_differently_later_waits_for_review(tmp_path: Path) -> None:
    ws, engine = with_reply(tmp_path, "Please remove me from your list.")
    assert listed(ws) == []  # an unsubscribe needs nobody
    with engine.begin() as conn:  # as if older rules had called it a question
        conn.execute(text("UPDATE message SET category = 'question' WHERE direction = 'in'"))
    assert cli(ws, "reclassify").exit_code == 0
    [item] = listed(ws)
    assert (item["lane"], item["why"]) == ("review", "re-sorted from question to unsubscribe")
    engine.dispose()


def test_strangers_text_is_shown_as_written_and_exported_inert(tmp_path: Path) -> None:
    ws, engine = with_reply(tmp_path)
    with engine.begin() as conn:  # names and titles come from other people's email
        conn.execute(text("UPDATE account SET name = 'Alpha [inc] [/]'"))
        conn.execute(text("UPDATE contact SET title = '=HYPERLINK(\"http://x\")'"))
    shown = cli(ws, "inbox", "list")
    assert shown.exit_code == 0, shown.output
    assert "Alpha [inc] [/]" in shown.output
    [item] = listed(ws)
    assert cli(ws, "inbox", "accept", str(item["id"]), "--via", "call").exit_code == 0
    [row] = list(csv.DictReader(io.StringIO(cli(ws, "export", "sqls").output)))
    assert row["title"] == '\'=HYPERLINK("http://x")'
    engine.dispose()


def test_an_ae_address_with_a_display_name_is_refused_in_the_config(tmp_path: Path) -> None:
    ws, engine = with_reply(tmp_path)
    config = ws / "config.toml"
    config.write_text(
        config.read_text().replace(
            'email = "dana.reyes@northwind.example"', 'email = "Dana <dana@northwind.example>"'
        )
    )
    result = cli(ws, "inbox", "list")
    assert result.exit_code == 3
    assert "aes[0].email: error: 'Dana <dana@northwind.example>' is not a bare address" in (
        result.output
    )
    engine.dispose()
