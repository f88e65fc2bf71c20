"""The review screen over a big queue: first screen and moving to the next item.

Run: .venv/bin/python -m bench.inbox [--items 100000] [--runs 7] [--moves 60]
Builds a fresh SQLite workspace (config.example.toml) holding `--items` pending inbox
items (60% SQL, 25% review, 10% referrals, 5% snoozed, half of those due again), each with
its person, company, the email we sent and their reply, written in bulk. Then, with
Textual's headless pilot at 80x24, prints the median of `--runs` starts from launching the
app to the first frame showing the list and the first item's detail, and the median (90th
percentile, worst) of `--moves` single moves down the list, from the key to the frame
showing the next item's detail, crossing a page boundary (the screen reads the next page
just after painting the move that comes near the end of the loaded ones).
Moves are timed as a rep makes them (the screen idle before each key), then back to back.
The headless driver discards frames: here each is rendered to terminal bytes and timed, and
keys are sent as the terminal driver sends them (pilot.press adds two idle waits of at
least 20 ms each, so it is timed separately). The store's reads are timed too.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from textual import events
from textual._compositor import CompositorUpdate

from bench.dispatch import workspace
from prospector.cli.inbox_app import PAGE, PREFETCH, InboxApp, QueueScreen
from prospector.engine.inbox import ReviewQueue
from prospector.store import inbox
from prospector.store.db import make_engine, upgrade
from prospector.store.inbox import QueueEntry
from prospector.store.tables import ACCOUNT, CONTACT, INBOX_ITEM, MESSAGE

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SENT = NOW - timedelta(days=2)
TARGETS = {"first screen": 0.500, "next item": 0.050}
BATCH = 10_000
LANE_OF = ["sql"] * 12 + ["review"] * 5 + ["referral"] * 2 + ["snoozed"]  # by i % 20
REPLY = (
    "Thanks for reaching out. We are looking at forecasting tools this quarter.\n"
    "Could we do a call Thursday at 3pm? I would like to see a demo."
)


# --- the queue, written in bulk ------------------------------------------------------------


def populate(engine: Engine, items: int) -> None:
    """Two contacts per account; each contact: our email, their reply, one pending item."""
    with engine.begin() as conn:
        for start in range(0, items, BATCH):
            ids = range(start, min(start + BATCH, items))
            accounts = [_account(i // 2) for i in ids if i % 2 == 0]
            if accounts:
                conn.execute(insert(ACCOUNT), accounts)
            conn.execute(insert(CONTACT), [_contact(i) for i in ids])
            conn.execute(insert(MESSAGE), [m for i in ids for m in _messages(i)])
            conn.execute(insert(INBOX_ITEM), [_item(i) for i in ids])


def _account(a: int) -> dict[str, Any]:
    return {
        "id": a + 1,
        "key": f"co{a}.example",
        "name": f"Company {a}",
        "domain": f"co{a}.example",
        "industry": "saas",
        "employees": 50 + a % 2000,
        "country": "US",
        "icp_score": 40 + a % 60,
        "icp_reasons": "+30 industry: saas matches the profile\n+15 country: US",
        "created_at": SENT,
        "updated_at": SENT,
    }


def _contact(i: int) -> dict[str, Any]:
    return {
        "id": i + 1,
        "account_id": i // 2 + 1,
        "email": f"p{i}@co{i // 2}.example",
        "first_name": "Pat",
        "last_name": f"Doe{i}",
        "title": ("CEO", "VP Sales", "Head of Operations", "Analyst")[i % 4],
        "seniority": ("c_level", "vp", "director", "individual")[i % 4],
        "stage": "lead",
        "timezone": "America/New_York",
        "country": "US",
        "created_at": SENT,
        "updated_at": SENT,
    }


def _messages(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    ours, theirs = f"<out{i}@northwind-demo.com>", f"<in{i}@co{i // 2}.example>"
    subject = f"Right person at Company {i // 2}?"
    raw = (
        f"From: Pat Doe{i} <p{i}@co{i // 2}.example>\r\nTo: alex@northwind-demo.com\r\n"
        f"Subject: Re: {subject}\r\nMessage-ID: {theirs}\r\nIn-Reply-To: {ours}\r\n\r\n"
        f"{REPLY}\r\n"
    ).encode()
    verdict = {
        "category": "interested",
        "confidence": 0.85,
        "evidence": ["asks for a call", "asks for a demo"],
        "referrals": [],
        "visible_text": REPLY,
    }
    common = {"contact_id": i + 1, "account_id": i // 2 + 1, "mailbox": "main"}
    sent = {
        **common,
        "id": 2 * i + 1,
        "direction": "out",
        "message_id": ours,
        "state": "sent",
        "subject": subject,
        "in_reply_to": "",
        "body": f"Hi Pat,\n\nWho would be the best person at Company {i // 2}?\n\nAlex",
        "content": None,
        "category": "",
        "confidence": None,
        "evidence": "",
        "action": "",
        "created_at": SENT,
        "sent_at": SENT,
    }
    reply = {
        **common,
        "id": 2 * i + 2,
        "direction": "in",
        "message_id": theirs,
        "state": "received",
        "subject": f"Re: {subject}",
        "in_reply_to": ours,
        "body": "",
        "content": raw,
        "category": "interested",
        "confidence": 0.85,
        "evidence": json.dumps(verdict),
        "action": "lead: an SQL candidate for the inbox",
        "created_at": SENT + timedelta(hours=1),
        "sent_at": None,
    }
    return sent, reply


def _item(i: int) -> dict[str, Any]:
    lane = LANE_OF[i % 20]
    snoozed = lane == "snoozed"
    return {
        "id": i + 1,
        "message_id": 2 * i + 2,
        "contact_id": i + 1,
        "account_id": i // 2 + 1,
        "lane": "sql" if snoozed else lane,
        "state": "snoozed" if snoozed else "open",
        "priority": -5000 + (i * 7919) % 3000,  # spread, as checklists make them
        "why": "interested",
        # Half the snoozed ones are due again, half later.
        "snoozed_until": (NOW + timedelta(days=(-1, 3)[i // 20 % 2])) if snoozed else None,
        "version": 1,
        "decided_by": "",
        "decision": "",
        "created_at": SENT,
        "updated_at": SENT,
    }


# --- timing the screen ---------------------------------------------------------------------


def _clock() -> datetime:
    return NOW


class Frames:
    """When the app shows things: each detail shown, each frame written out.

    The headless driver discards frames, so each one is rendered to terminal bytes here as
    a real terminal's driver would, and timed after that.
    """

    def __init__(self, app: InboxApp) -> None:
        self.app = app
        self.frames: list[float] = []
        self.shown: list[tuple[float, int]] = []
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
                self.frames.append(time.perf_counter())

        app._display = timed_display  # type: ignore[method-assign]
        make = app.get_default_screen

        def made() -> QueueScreen:
            screen = make()
            self._hook(screen)
            return screen

        app.get_default_screen = made  # type: ignore[method-assign]

    def _hook(self, screen: QueueScreen) -> None:
        """Note each detail shown, and when."""
        show = screen._show

        def timed_show(entry: QueueEntry) -> None:
            show(entry)
            self.shown.append((time.perf_counter(), entry.id))

        screen._show = timed_show  # type: ignore[method-assign]

    def painted(self, after: float) -> float | None:
        """The first frame written at or after `after`."""
        return next((t for t in self.frames if t >= after), None)


async def _until(check: Callable[[], float | None], limit: float = 5.0) -> float:
    """Yield to the app until `check` gives a time (or fail after `limit` seconds)."""
    deadline = time.perf_counter() + limit
    while (found := check()) is None:
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not show it")
        await asyncio.sleep(0.0005)
    return found


async def _first_screen(service: ReviewQueue) -> float:
    """Launch to the first frame showing the list and the first item's detail."""
    started = time.perf_counter()
    app = InboxApp(service, now=_clock)
    frames = Frames(app)
    async with app.run_test(size=(80, 24)):
        shown = await _until(lambda: frames.shown[0][0] if frames.shown else None)
        painted = await _until(lambda: frames.painted(shown))
        assert app.queue_screen.queue.option_count == PAGE
    return painted - started


async def _move(app: InboxApp, frames: Frames) -> float:
    """Send key j as a terminal would; wait for the frame showing the next item."""
    wanted = len(frames.shown) + 1
    started = time.perf_counter()
    app._driver.send_message(events.Key("j", "j"))  # type: ignore[union-attr]
    shown = await _until(lambda: frames.shown[-1][0] if len(frames.shown) >= wanted else None)
    painted = await _until(lambda: frames.painted(shown))
    return painted - started


async def _moves(
    service: ReviewQueue, moves: int, *, gap: float
) -> tuple[list[float], list[float]]:
    """Key j to the frame showing the next item, `gap` seconds after the last frame:
    (moves within the loaded page, moves that ask for the next page)."""
    plain: list[float] = []
    paging: list[float] = []
    app = InboxApp(service, now=_clock)
    frames = Frames(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.queue_screen
        # Start short of the first page's end, so the run crosses into the next page.
        screen.queue.highlighted = PAGE - moves // 2
        await pilot.pause()
        for _ in range(moves):
            await asyncio.sleep(gap)
            loaded = screen.queue.option_count
            taken = await _move(app, frames)
            reads_on = screen.queue.highlighted == loaded - PREFETCH  # this move asks for more
            (paging if reads_on else plain).append(taken)
        await pilot.pause()
        assert screen.queue.option_count == 2 * PAGE, "the next page was not read"
    return plain, paging


async def _pressed(service: ReviewQueue, moves: int) -> list[float]:
    """The same move through `pilot.press`, which also waits for idle (twice, >= 20 ms)."""
    taken = []
    app = InboxApp(service, now=_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(moves):
            started = time.perf_counter()
            await pilot.press("j")
            taken.append(time.perf_counter() - started)
    return taken


def _spread(taken: list[float], paging: list[float]) -> str:
    tail, worst = statistics.quantiles(taken, n=10)[-1], max(taken)
    text = f" of {len(taken)}, 90th percentile {tail * 1000:.1f} ms, worst {worst * 1000:.1f} ms"
    if paging:
        text += f"; the {len(paging)} asking for the next page: {max(paging) * 1000:.1f} ms"
    return text


def _timed(run: Callable[[], object], times: int) -> float:
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        taken.append(time.perf_counter() - started)
    return statistics.median(taken)


def _store_reads(engine: Engine, service: ReviewQueue) -> Iterator[str]:
    with engine.connect() as conn:
        first = inbox.page(conn, "sql", now=NOW, limit=PAGE)
        deep = inbox.page(conn, "sql", now=NOW, limit=PAGE, after=inbox.sort_key(first[-1]))
        reads: dict[str, Callable[[], object]] = {
            "counts": lambda: inbox.counts(conn, NOW),
            f"page sql first {PAGE}": lambda: inbox.page(conn, "sql", now=NOW, limit=PAGE),
            f"page sql next {PAGE}": lambda: inbox.page(
                conn, "sql", now=NOW, limit=PAGE, after=inbox.sort_key(deep[-1])
            ),
            f"page snoozed first {PAGE}": lambda: inbox.page(conn, "snoozed", now=NOW, limit=PAGE),
        }
        for name, read in reads.items():
            yield f"  {name}: {_timed(read, 21) * 1000:.2f} ms"
    yield f"  view (one item): {_timed(lambda: service.view(first[1].id), 21) * 1000:.2f} ms"


def _command_start(config: Path) -> float:
    """`prospector inbox` as a rep starts it, in a real 80x24 pseudo-terminal: from the
    process start (Python, every import, the database) to the first item's checklist."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "PROSPECTOR_REP": "bench"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "prospector", "--config", str(config), "inbox"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    seen = b""
    shown = None
    while shown is None and time.perf_counter() - started < 30:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                seen += os.read(leader, 65536)
            except OSError:
                break
            if b"matches the ICP" in seen:
                shown = time.perf_counter() - started
    os.write(leader, b"q")
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    os.close(leader)
    if shown is None:
        raise RuntimeError("the screen never showed the first item")
    return shown


def _figure(name: str, seconds: float, extra: str = "") -> str:
    target = TARGETS[name]
    verdict = "ok" if seconds < target else "MISSED"
    return (
        f"{name}: {seconds * 1000:.1f} ms median{extra} (target < {target * 1000:.0f} ms) {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--moves", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prospector-bench-") as tmp:
        settings = workspace(Path(tmp))
        engine = make_engine(settings.database_url)
        upgrade(engine)
        started = time.perf_counter()
        populate(engine, args.items)
        print(f"wrote {args.items:,} pending items in {time.perf_counter() - started:.1f} s")
        service = ReviewQueue(engine, settings, actor="bench")
        print("counts:", service.counts(NOW))
        print("store reads (median of 21):")
        for line in _store_reads(engine, service):
            print(line)
        firsts = [asyncio.run(_first_screen(service)) for _ in range(args.runs)]
        print(_figure("first screen", statistics.median(firsts), f" of {args.runs}"))
        plain, paging = asyncio.run(_moves(service, args.moves, gap=0.1))
        moves = plain + paging
        print(_figure("next item", statistics.median(moves), _spread(moves, paging)))
        plain, paging = asyncio.run(_moves(service, args.moves, gap=0))
        moves = plain + paging
        print(
            f"  keys back to back (each sent as soon as the last move is painted):"
            f" {statistics.median(moves) * 1000:.1f} ms median{_spread(moves, paging)}"
        )
        starts = [_command_start(settings.path) for _ in range(5)]
        print(
            "  `prospector inbox` from process start (Python, imports, database) to the"
            f" first item on an 80x24 pty: {statistics.median(starts) * 1000:.0f} ms median of 5"
        )
        pressed = asyncio.run(_pressed(service, args.moves // 2))
        print(
            "  through pilot.press (adds its own idle waits):"
            f" {statistics.median(pressed) * 1000:.1f} ms median"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
