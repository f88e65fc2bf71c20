"""First sync of a big mailbox: the ingest job reading a local Dovecot INBOX end to end.

Run: .venv/bin/python -m bench.ingest [--messages 20000] [--replies 0.01]
Starts a private Dovecot, sends the first email of a sequence to N prospects (to an
instant transport, so their Message-IDs exist), fills the mailbox's INBOX with
`--messages` messages of which `--replies` are replies to those emails, then times one
run of the ingest job (`engine.ingest.Ingester`): list UIDs, read every header, fetch and
sort the replies, act on them, commit. Prints messages read, replies processed, seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.dispatch import instant
from bench.dovecot import PASSWORD, PASSWORD_ENV, dovecot_server
from bench.imap_fill import fill_user
from prospector.cli.run import imap_inbox
from prospector.config import Settings, load_settings
from prospector.engine.catalog import load_sequences
from prospector.engine.dispatch import Dispatcher
from prospector.engine.enrolling import enroll
from prospector.engine.importing import import_contacts
from prospector.engine.ingest import Ingester
from prospector.mail.render import environment
from prospector.store.db import make_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
EDITS = {
    "min_gap_seconds = 90": "min_gap_seconds = 0",
    "max_gap_seconds = 240": "max_gap_seconds = 0",
    "accounts_in_progress = 10 ": "accounts_in_progress = 100000 ",
    "daily_cap = 50 ": "daily_cap = 1000 ",
    'hours = ["00:00-09:00", "17:00-24:00"]': 'hours = ["00:00-24:00"]',
    'days = ["tue", "wed", "thu", "sun"]': 'days = ["mon","tue","wed","thu","fri","sat","sun"]',
    'security = "tls"': 'security = "none"',
}


def workspace(folder: Path, prospects: int, imap_port: int, user: str) -> Settings:
    for name in ("sequences", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    config = (ROOT / "config.example.toml").read_text()
    for old, new in EDITS.items():
        config = config.replace(old, new, 1)
    lines = [f"port = {imap_port}" if "# 0: 993" in line else line for line in config.splitlines()]
    config = "\n".join(lines).replace(
        'username = ""\npassword_env = "PROSPECTOR_IMAP_PASSWORD"',
        f'username = "{user}"\npassword_env = "{PASSWORD_ENV}"',
    )
    (folder / "config.toml").write_text(config)
    rows = [
        "email,first_name,title,company,website,industry,employees,revenue,country,"
        "timezone,business_model"
    ]
    rows += [
        f"p{i}@co{i}.example,Pat,CEO,Co {i},co{i}.example,saas,200,10000000,US,America/New_York,b2b"
        for i in range(prospects)
    ]
    (folder / "contacts.csv").write_text("\n".join(rows) + "\n")
    return load_settings(folder / "config.toml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--replies", type=float, default=0.01)
    args = parser.parse_args()
    replies = max(1, int(args.messages * args.replies))
    os.environ[PASSWORD_ENV] = PASSWORD
    with tempfile.TemporaryDirectory(prefix="prospector-bench-") as tmp, dovecot_server() as server:
        user = server.new_user()
        settings = workspace(Path(tmp), replies, server.port, user)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        import_contacts(engine, settings.config, Path(tmp) / "contacts.csv", now=NOW)
        enroll(engine, settings, "referral-ask", now=NOW)
        sequences, _ = load_sequences(settings)
        asyncio.run(
            Dispatcher(
                engine, settings, sequences, environment(settings.templates_dir), instant
            ).tick(NOW)
        )
        with engine.connect() as conn:
            ours = list(conn.execute(text("SELECT message_id FROM message")).scalars())
        started = time.perf_counter()
        filled = fill_user(
            server, user, args.messages, reply_fraction=args.replies, replies_to=ours
        )
        print(
            f"filled the INBOX with {args.messages:,} messages"
            f" ({len(filled.replies):,} replies) in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        report = Ingester(engine, settings, imap_inbox)(NOW)
        elapsed = time.perf_counter() - started
        print(
            f"first sync: read {report.read:,}, processed {report.processed:,}"
            f" ({report.by_category}), not ours {report.unmatched:,}: {elapsed:.1f} s"
        )
        assert not report.errors, report.errors
        engine.dispose()


if __name__ == "__main__":
    main()
