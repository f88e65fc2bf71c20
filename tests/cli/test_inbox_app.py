"""The review screen driven with Textual's headless pilot at 80x24, over a real SQLite queue
made by the real send and ingest path: what the rep sees, and what each key decides."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.text import Text
from sqlalchemy import Engine, select
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from prospector.cli import inbox_app
from prospector.cli.inbox_app import HIGHLIGHT, InboxApp, QueueScreen
from prospector.engine.inbox import ReviewQueue
from prospector.store.tables import ACCOUNT, CONTACT, ENROLLMENT, INBOX_ITEM
from tests.cli.conftest import cli
from tests.cli.inbox_fixtures import ANN, BOB, NOW, Queue, Reply, make_queue, notices, screen_text

Script = Callable[[InboxApp, Pilot[None]], Awaitable[None]]


@pytest.fixture
def queue(sqlite_engine: Engine, tmp_path: Path) -> Queue:
    return make_queue(sqlite_engine, tmp_path)


def drive(queue: Queue, script: Script, *, now: datetime = NOW) -> None:
    """Open the screen at 80x24 at `now`, wait for the first paint, run the script."""

    async def main() -> None:
        app = InboxApp(queue.service, now=lambda: now)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await pilot.pause()
            await script(app, pilot)

    asyncio.run(main())


async def keys(pilot: Pilot[None], *pressed: str) -> None:
    """Press, then let the screen (and any notification) settle."""
    await pilot.press(*pressed)
    await pilot.pause()
    await pilot.pause()


def detail(app: InboxApp) -> str:
    return str(app.queue_screen.query_one("#detail-text", Static).content)


def listed(app: InboxApp) -> list[str]:
    options = app.queue_screen.query_one("#queue", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def row(engine: Engine, item_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        found = conn.execute(select(INBOX_ITEM).where(INBOX_ITEM.c.id == item_id)).one()
    return dict(found._mapping)


def test_the_first_screen_shows_the_lanes_the_list_and_the_first_item(queue: Queue) -> None:
    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        screen = screen_text(app)
        lines = screen.splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        assert "1 SQL (2)" in lines[0] and "2 review (1)" in lines[0]
        assert "3 referrals (0)" in lines[0] and "4 snoozed (0)" in lines[0]
        # Best first: Ann (all green) above Di (an intern: authority is red).
        assert [p.splitlines()[0] for p in listed(app)] == ["Ann Doe", "Di Doe"]
        assert "Ann Doe <ann@alpha-soft.com>" in screen
        assert "✓ matches the ICP" in screen
        assert "? at least 20 potential users" in screen
        assert "a Accept" in lines[-1] and "q Quit" in lines[-1]

    drive(queue, script)


def styled(app: InboxApp) -> tuple[str, dict[str, str]]:
    """The detail's text, and the style of each styled run in it."""
    content = app.queue_screen.query_one("#detail-text", Static).content
    assert isinstance(content, Text)
    text = content.plain
    return text, {text[s.start : s.end]: str(s.style) for s in content.spans}


def test_checklist_lines_are_coloured_and_the_next_step_is_highlighted(queue: Queue) -> None:
    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        text, styles = styled(app)
        assert styles[" ✓ no red flag"] == "bold green"
        assert styles[" ? at least 20 potential users"] == "bold yellow"
        await keys(pilot, "j")
        text, styles = styled(app)
        assert "Di Doe <di@delta-soft.com>" in text
        assert styles[" ✗ at least 20 potential users"] == "bold red"
        assert ": 5 potential users\n" in text
        assert styles["Can you send me a demo next week?"] == HIGHLIGHT
        # The thread: what we sent, then what they wrote (their quote of us folded away).
        assert text.index("→ we wrote") < text.index("← they wrote")
        assert "> Hi Di" not in text

    drive(queue, script)


def test_up_down_j_k_move_and_each_move_shows_that_item(queue: Queue) -> None:
    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        assert "Ann Doe <" in detail(app)
        await keys(pilot, "down")
        assert "Di Doe <" in detail(app)
        await keys(pilot, "k")
        assert "Ann Doe <" in detail(app)
        await keys(pilot, "j")
        assert "Di Doe <" in detail(app)
        await keys(pilot, "up")
        assert "Ann Doe <" in detail(app)

    drive(queue, script)


def test_number_keys_switch_lanes(queue: Queue) -> None:
    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "2")
        assert [p.splitlines()[0] for p in listed(app)] == ["Bob Doe"]
        assert "Do you integrate with Salesforce?" in detail(app)
        await keys(pilot, "3")
        assert listed(app) == []
        assert "Nothing waiting in referrals." in screen_text(app)
        await keys(pilot, "a")  # nothing selected: no window opens, nothing is decided
        assert isinstance(app.screen, QueueScreen)
        assert "Nothing selected." in notices(app)
        await keys(pilot, "1")
        assert "Ann Doe <" in detail(app)

    drive(queue, script)
    assert queue.handoffs() == []


def test_accept_shows_the_intro_draft_then_hands_off(queue: Queue) -> None:
    ann = queue.item_of(ANN.email)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "a")
        shown = screen_text(app)
        assert "Accept Ann Doe (Alpha)" in shown
        # The intro that will go out, to the least loaded AE (both have none: the first).
        assert "To: Ann Doe <ann@alpha-soft.com>" in shown
        assert "Cc: Dana Reyes <dana.reyes@northwind.example>" in shown
        assert queue.handoffs() == []  # nothing until confirmed
        await keys(pilot, "enter")
        assert isinstance(app.screen, QueueScreen)
        after = screen_text(app)
        assert "Ann Doe: handed off to Dana Reyes via intro" in notices(app)
        assert "1 SQL (1)" in after.splitlines()[0]
        assert [p.splitlines()[0] for p in listed(app)] == ["Di Doe"]
        assert "Di Doe <" in detail(app)  # the cursor moved on to the next item

    drive(queue, script)
    assert queue.handoffs() == [(ann, "Dana Reyes", "intro")]
    assert row(queue.engine, ann)["state"] == "accepted"
    assert json.loads(str(row(queue.engine, ann)["decision"]))["ae"] == "Dana Reyes"


def test_accept_with_another_ae_a_call_and_potential_users(queue: Queue) -> None:
    ann = queue.item_of(ANN.email)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "a")
        app.screen.query_one("#ae").focus()
        await keys(pilot, "right", "enter")  # the second AE
        app.screen.query_one("#via").focus()
        await keys(pilot, "right", "enter")  # call
        assert "Schedule a call with Ann Doe (Alpha)" in screen_text(app)
        app.screen.query_one("#users").focus()
        await keys(pilot, "4", "0", "enter")

    drive(queue, script)
    assert queue.handoffs() == [(ann, "Sam Lee", "call")]
    with queue.engine.connect() as conn:
        users = conn.execute(select(ACCOUNT.c.potential_users).where(ACCOUNT.c.name == "Alpha"))
        assert users.scalar_one() == 40


def test_after_a_decision_the_cursor_is_on_the_next_item(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    names = ["Ann", "Bea", "Cy", "Dot"]
    queue = make_queue(
        sqlite_engine, tmp_path, [Reply(n.lower(), f"Co{n}", n, ANN.body) for n in names]
    )

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        before = [p.splitlines()[0] for p in listed(app)]
        await keys(pilot, "j")
        assert detail(app).startswith(before[1])
        await keys(pilot, "r", "enter")
        assert [p.splitlines()[0] for p in listed(app)] == [before[0], *before[2:]]
        assert detail(app).startswith(before[2])  # the one after the decided one

    drive(queue, script)


def test_escape_closes_a_window_without_deciding(queue: Queue) -> None:
    ann = queue.item_of(ANN.email)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        for key in ("a", "r", "s", "c", "f"):
            await keys(pilot, key)
            assert not isinstance(app.screen, QueueScreen), key
            await keys(pilot, "escape")
            assert isinstance(app.screen, QueueScreen), key

    drive(queue, script)
    assert (row(queue.engine, ann)["state"], row(queue.engine, ann)["version"]) == ("open", 1)
    assert queue.handoffs() == []


def test_reject_with_a_reason(queue: Queue) -> None:
    ann = queue.item_of(ANN.email)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "r")
        assert "Reject Ann Doe: why?" in screen_text(app)
        await keys(pilot, "down", "down", "down", "enter")  # not_interested
        assert "Ann Doe: rejected (not_interested)" in notices(app)
        assert [p.splitlines()[0] for p in listed(app)] == ["Di Doe"]

    drive(queue, script)
    found = row(queue.engine, ann)
    assert (found["state"], found["decided_by"]) == ("rejected", "rita")
    assert json.loads(str(found["decision"])) == {"reason": "not_interested"}
    with queue.engine.connect() as conn:
        stage = conn.execute(select(CONTACT.c.stage).where(CONTACT.c.email == ANN.email))
        assert stage.scalar_one() == "dead"


def test_snooze_with_nurture_then_it_comes_back_in_the_snoozed_lane(queue: Queue) -> None:
    ann = queue.item_of(ANN.email)

    async def snooze(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "s")
        week = (NOW.date() + timedelta(days=7)).isoformat()
        assert week in screen_text(app)  # the default: a week on
        await keys(pilot, "tab", "space", "shift+tab", "enter")  # nurture, then confirm
        assert f"Ann Doe: snoozed until {week}" in notices(app)
        assert "4 snoozed (0)" in screen_text(app).splitlines()[0]  # not due yet

    drive(queue, snooze)
    found = row(queue.engine, ann)
    assert found["state"] == "snoozed"
    assert str(found["snoozed_until"])[:10] == (NOW.date() + timedelta(days=7)).isoformat()
    with queue.engine.connect() as conn:
        stage = conn.execute(select(CONTACT.c.stage).where(CONTACT.c.email == ANN.email))
        assert stage.scalar_one() == "nurture"

    async def later(app: InboxApp, pilot: Pilot[None]) -> None:
        assert "4 snoozed (1)" in screen_text(app).splitlines()[0]
        await keys(pilot, "4")
        assert [p.splitlines()[0] for p in listed(app)] == ["Ann Doe"]
        assert "Ann Doe <" in detail(app)

    drive(queue, later, now=NOW + timedelta(days=8))


def test_a_snooze_date_that_is_not_after_today_is_refused_in_the_window(queue: Queue) -> None:
    ann = queue.item_of(ANN.email)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "s")
        await keys(pilot, *NOW.date().isoformat(), "enter")  # the input's text was selected
        assert "snooze until a day after today" in screen_text(app)
        assert not isinstance(app.screen, QueueScreen)

    drive(queue, script)
    assert row(queue.engine, ann)["state"] == "open"


def test_reclassify_applies_the_new_category(queue: Queue) -> None:
    bob = queue.item_of(BOB.email)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "2", "c")
        assert "Reclassify Bob Doe (now question)" in screen_text(app)
        await keys(pilot, "enter")  # interested, the first choice
        top = screen_text(app).splitlines()[0]
        assert "1 SQL (3)" in top and "2 review (0)" in top  # Bob is an SQL candidate now

    drive(queue, script)
    assert row(queue.engine, bob)["state"] == "reclassified"
    assert queue.state_of(BOB.email) == "open"  # his new item, in the SQL lane
    assert row(queue.engine, queue.item_of(BOB.email))["lane"] == "sql"


def test_referral_enrolls_the_person_named(queue: Queue) -> None:
    bob = queue.item_of(BOB.email)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "2", "f")
        await keys(pilot, "enter")  # no address yet: refused in the window
        assert "an email address is needed" in screen_text(app)
        await pilot.press(*"jane@beta-soft.com", "tab", *"Jane Smith", "tab", *"CFO")
        await keys(pilot, "enter")
        assert "referral jane@beta-soft.com: enrolled in referral-follow-up" in notices(app)

    drive(queue, script)
    assert row(queue.engine, bob)["state"] == "closed"
    with queue.engine.connect() as conn:
        jane = conn.execute(
            select(CONTACT.c.first_name, CONTACT.c.title, ENROLLMENT.c.sequence)
            .join(ENROLLMENT, ENROLLMENT.c.contact_id == CONTACT.c.id)
            .where(CONTACT.c.email == "jane@beta-soft.com")
        ).one()
    assert tuple(jane) == ("Jane", "CFO", "referral-follow-up")


def test_a_colleague_deciding_first_is_a_notice_and_changes_nothing(queue: Queue) -> None:
    ann = queue.item_of(ANN.email)
    colleague = type(queue.service)(queue.engine, queue.settings, actor="sam")

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        assert "Ann Doe <" in detail(app)  # shown at version 1
        colleague.reject(ann, reason="duplicate", now=NOW, version=1)
        await keys(pilot, "a", "enter")
        shown = screen_text(app)
        told = notices(app)
        assert "Conflict: nothing changed" in told
        assert f"item {ann} was already rejected by sam at 2026-11-25 02:00 UTC" in told
        assert [p.splitlines()[0] for p in listed(app)] == ["Di Doe"]  # refreshed
        assert "1 SQL (1)" in shown.splitlines()[0]

    drive(queue, script)
    assert queue.handoffs() == []
    found = row(queue.engine, ann)
    assert (found["state"], found["decided_by"], found["version"]) == ("rejected", "sam", 2)


def test_a_decision_is_taken_at_the_version_shown(queue: Queue) -> None:
    """A colleague's snooze leaves the item pending but newer: the rep's reject, taken at
    the version the rep read, must not overwrite it."""
    ann = queue.item_of(ANN.email)
    colleague = type(queue.service)(queue.engine, queue.settings, actor="sam")

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        assert "v1 — interested" in detail(app)
        later = NOW.date() + timedelta(days=3)
        colleague.snooze(ann, until=later, now=NOW, version=1)
        await keys(pilot, "r", "enter")
        told = notices(app)
        assert "Conflict: nothing changed" in told
        assert f"item {ann} changed since you read it (version 1)" in told

    drive(queue, script)
    found = row(queue.engine, ann)
    assert (found["state"], found["decided_by"], found["version"]) == ("snoozed", "sam", 2)


def test_help_shows_the_keys(queue: Queue) -> None:
    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        assert "switch lane" not in screen_text(app)
        await keys(pilot, "question_mark")
        shown = screen_text(app)
        assert "switch lane: SQL, review, referrals, snoozed" in shown
        assert "reject, with a reason" in shown
        await keys(pilot, "escape")
        assert "switch lane" not in screen_text(app)

    drive(queue, script)


def test_o_opens_the_raw_message(queue: Queue) -> None:
    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "o")
        shown = screen_text(app)
        assert "From: Ann Doe <ann@alpha-soft.com>" in shown
        assert "In-Reply-To: <" in shown
        await keys(pilot, "o")
        assert isinstance(app.screen, QueueScreen)

    drive(queue, script)


def test_q_quits(queue: Queue) -> None:
    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        await keys(pilot, "q")
        assert not app.is_running

    drive(queue, script)


def test_the_list_is_read_a_page_at_a_time(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["Ann", "Bea", "Cy", "Dot", "Eve"]
    replies = [Reply(n.lower(), f"Co{n}", n, ANN.body) for n in names]
    queue = make_queue(sqlite_engine, tmp_path, replies)
    monkeypatch.setattr(inbox_app, "PAGE", 2)
    monkeypatch.setattr(inbox_app, "PREFETCH", 1)

    async def script(app: InboxApp, pilot: Pilot[None]) -> None:
        assert len(listed(app)) == 2  # five wait, two are read
        assert "1 SQL (5)" in screen_text(app).splitlines()[0]
        await keys(pilot, "j")  # next to the end: the next page is read
        assert len(listed(app)) == 4
        await keys(pilot, "j", "j", "j")
        seen = [p.splitlines()[0] for p in listed(app)]
        assert sorted(seen) == sorted(f"{n} Doe" for n in names)  # each once, none missing
        assert detail(app).startswith(seen[-1])

    drive(queue, script)


def test_prospector_inbox_without_a_subcommand_opens_the_screen(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[InboxApp] = []
    monkeypatch.setattr(InboxApp, "run", lambda self, *a, **k: opened.append(self))
    result = cli(ws, "inbox")
    assert result.exit_code == 0, result.output
    [app] = opened
    assert isinstance(app.service, ReviewQueue)
    assert app.service.settings.path.resolve() == (ws / "config.toml").resolve()
