"""Dispatch benchmark: finding due steps among many enrollments, and a tick's own cost.

Run: .venv/bin/python -m bench.dispatch [--enrollments 1000000] [--due 10000] [--send 1000]
Builds a fresh SQLite workspace (config.example.toml, the window opened to every hour and
pacing off), writes N active enrollments of which `--due` are due, then prints:
- the median time of the due query (`store.outbox.due_steps`) for all due steps;
- one dispatch tick sending `--send` messages to a transport that accepts instantly, as
  milliseconds per message: everything but SMTP (rules, render, compose, two commits).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert
from sqlmodel import Session

from prospector.config import Mailbox, Settings, load_settings
from prospector.domain.delivery import SENT, Delivery
from prospector.engine.catalog import load_sequences
from prospector.engine.dispatch import DETAILS_BATCH, Dispatcher, Transport
from prospector.mail.render import environment
from prospector.store import outbox
from prospector.store.db import make_engine, upgrade
from prospector.store.tables import ACCOUNT, CONTACT, ENROLLMENT

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
EDITS = {
    "min_gap_seconds = 90": "min_gap_seconds = 0",
    "max_gap_seconds = 240": "max_gap_seconds = 0",
    "account_daily_cap = 1 ": "account_daily_cap = 1000000 ",
    "accounts_in_progress = 10 ": "accounts_in_progress = 1000000 ",
    "daily_cap = 50 ": "daily_cap = 1000 ",
    'hours = ["00:00-09:00", "17:00-24:00"]': 'hours = ["00:00-24:00"]',
    'days = ["tue", "wed", "thu", "sun"]': 'days = ["mon","tue","wed","thu","fri","sat","sun"]',
}


def workspace(folder: Path) -> Settings:
    for name in ("sequences", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    text = (ROOT / "config.example.toml").read_text()
    for old, new in EDITS.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / "config.toml").write_text(text)
    return load_settings(folder / "config.toml")


def populate(engine: Engine, enrollments: int, due: int, seed: int = 1) -> None:
    """Accounts of 5 contacts, one enrollment each; `due` of them due now, the rest later."""
    rng = random.Random(seed)
    due_ids = set(rng.sample(range(enrollments), due))
    batch = 20_000
    with Session(engine) as session:
        for start in range(0, enrollments, batch):
            ids = range(start, min(start + batch, enrollments))
            accounts = [
                {
                    "id": i // 5 + 1,
                    "key": f"co{i // 5}.example",
                    "name": f"Company {i // 5}",
                    "domain": f"co{i // 5}.example",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in ids
                if i % 5 == 0
            ]
            contacts = [
                {
                    "id": i + 1,
                    "account_id": i // 5 + 1,
                    "email": f"p{i}@co{i // 5}.example",
                    "first_name": "Pat",
                    "last_name": f"Doe{i}",
                    "title": "CEO",
                    "seniority": "c_level",
                    "timezone": "America/New_York",
                    "country": "US",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in ids
            ]
            rows = [
                {
                    "id": i + 1,
                    "contact_id": i + 1,
                    "account_id": i // 5 + 1,
                    "sequence": "referral-ask",
                    "step": 0,
                    "state": "active",
                    "next_due_at": NOW - timedelta(minutes=1 + i % 600)
                    if i in due_ids
                    else NOW + timedelta(days=1 + i % 30),
                    "mailbox": "main",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in ids
            ]
            if accounts:
                session.execute(insert(ACCOUNT), accounts)
            session.execute(insert(CONTACT), contacts)
            session.execute(insert(ENROLLMENT), rows)
        session.commit()


@asynccontextmanager
async def instant(_mailbox: Mailbox) -> AsyncIterator[Transport]:
    yield _Instant()


class _Instant:
    async def send(
        self, *, sender: str, recipient: str, data: bytes, copies: tuple[str, ...] = ()
    ) -> Delivery:
        return SENT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--send", type=int, default=1_000)  # one mailbox: cap 1000
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prospector-bench-") as tmp:
        folder = Path(tmp)
        settings = workspace(folder)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        started = time.perf_counter()
        populate(engine, args.enrollments, args.due)
        print(
            f"wrote {args.enrollments:,} active enrollments ({args.due:,} due)"
            f" in {time.perf_counter() - started:.1f} s"
        )
        timings, details = [], []
        for _ in range(7):
            with engine.connect() as conn:
                started = time.perf_counter()
                found = outbox.due_ids(conn, NOW, limit=args.due)
                timings.append(time.perf_counter() - started)
                started = time.perf_counter()
                for at in range(0, len(found), DETAILS_BATCH):
                    outbox.due_steps(conn, found[at : at + DETAILS_BATCH])
                details.append(time.perf_counter() - started)
        assert len(found) == args.due, len(found)
        print(
            f"finding the due steps, {len(found):,} due of {args.enrollments:,}:"
            f" {statistics.median(timings) * 1000:.1f} ms median of 7"
        )
        print(
            f"reading the details of all {len(found):,}, {DETAILS_BATCH} at a time as a tick"
            f" does: {statistics.median(details) * 1000:.1f} ms median of 7"
        )
        sequences, problems = load_sequences(settings)
        assert not [p for p in problems if p.severity == "error"], problems
        dispatcher = Dispatcher(
            engine, settings, sequences, environment(settings.templates_dir), instant
        )
        # Only `--send` steps may go in this tick: the rest are moved past NOW.
        with engine.begin() as conn:
            due_now = outbox.due_steps(conn, outbox.due_ids(conn, NOW, limit=args.due))
            for step in due_now[args.send :]:
                outbox.defer_step(conn, step, NOW + timedelta(days=1), now=NOW)
        started = time.perf_counter()
        report = asyncio.run(dispatcher.tick(NOW))
        elapsed = time.perf_counter() - started
        assert report.sent == min(args.send, args.due), report
        print(
            f"dispatch tick: {report.sent:,} messages in {elapsed:.2f} s,"
            f" {elapsed / report.sent * 1000:.2f} ms per message (SMTP excluded)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
