"""`prospector run` against a real SMTP server over a socket: once, as a daemon, killed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import create_engine, text

from bench.smtp_sink import Recorder, SmtpSink, Stage
from prospector.adapters.sandbox import Sandbox
from prospector.domain.windows import DAY_NAMES
from tests.cli.conftest import cli


def configure(ws: Path, port: int) -> None:
    """The sample workspace pointed at the test server, pacing off, the window always open
    (the daemon reads the wall clock, so the test opens the window instead of faking time)."""
    config = ws / "config.toml"
    text_ = config.read_text()
    edits = {
        'security = "starttls"': 'security = "none"',
        "min_gap_seconds = 90": "min_gap_seconds = 0",
        "max_gap_seconds = 240": "max_gap_seconds = 0",
        "account_daily_cap = 1 ": "account_daily_cap = 10",
        "tick_seconds = 30": "tick_seconds = 0.2",
        'hours = ["00:00-09:00", "17:00-24:00"]': 'hours = ["00:00-24:00"]',
        'days = ["tue", "wed", "thu", "sun"]': f"days = {list(DAY_NAMES)!r}".replace("'", '"'),
        "skip_holidays = true": "skip_holidays = false",
    }
    for old, new in edits.items():
        assert old in text_, old
        text_ = text_.replace(old, new, 1)
    text_ = text_.replace("port = 0 ", f"port = {port}", 1)  # the first port: [mailboxes.smtp]
    config.write_text(text_)
    assert cli(ws, "validate").exit_code == 0, cli(ws, "validate").output
    assert cli(ws, "import", str(ws / "contacts.csv")).exit_code == 0
    enrolled = cli(ws, "enroll", "referral-ask")
    assert enrolled.exit_code == 0, enrolled.output


def enrolled_count(ws: Path) -> int:
    engine = create_engine(f"sqlite:///{ws / 'prospector.db'}")
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM enrollment")).scalar_one()
    engine.dispose()
    return int(n)


def message_states(ws: Path) -> Counter[str]:
    engine = create_engine(f"sqlite:///{ws / 'prospector.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT state FROM message")).scalars().all()
    engine.dispose()
    return Counter(rows)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


def test_run_once_sends_every_due_first_email(ws: Path, sink: SmtpSink) -> None:
    configure(ws, sink.port)
    expected = enrolled_count(ws)
    result = cli(ws, "run", "--once")
    assert result.exit_code == 0, result.output
    assert f"sent {expected}" in result.output
    assert len(sink.messages) == expected
    first = message_from_bytes(sink.messages[0].data)
    assert first["From"] == "Alex Morgan <alex@northwind-demo.com>"
    assert first["List-Unsubscribe"] == "<mailto:alex@northwind-demo.com?subject=unsubscribe>"
    assert message_states(ws) == Counter({"sent": expected})
    # Nothing is due any more: a second pass sends nothing.
    again = cli(ws, "run", "--once")
    assert "nothing to do" in again.output
    assert len(sink.messages) == expected


def start_daemon(ws: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "prospector", "--config", str(ws / "config.toml"), "run"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def test_a_second_daemon_is_refused_and_sigterm_stops_cleanly(ws: Path, sink: SmtpSink) -> None:
    configure(ws, sink.port)
    daemon = start_daemon(ws)
    try:
        wait_for(lambda: len(sink.messages) == enrolled_count(ws))
        second = cli(ws, "run", "--once")
        assert second.exit_code == 1
        assert "another prospector daemon is running" in second.output
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=15)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, stderr
    assert "SIGTERM received" in stderr
    assert "prospector stopped" in stderr
    # The lock died with the process: a new run is allowed.
    assert cli(ws, "run", "--once").exit_code == 0


class SlowRecorder(Recorder):
    """Takes 40 ms to accept each message, so a kill lands in the middle of sending."""

    async def react(self, server: SMTP, stage: Stage, address: str | None) -> str | None:
        if stage == "data":
            await asyncio.sleep(0.04)
        return None


def test_sigkill_while_sending_neither_duplicates_nor_loses(ws: Path) -> None:
    with SmtpSink(SlowRecorder()) as sink:
        configure(ws, sink.port)
        expected = enrolled_count(ws)
        daemon = start_daemon(ws)
        try:
            wait_for(lambda: len(sink.messages) >= 3)
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(timeout=10)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        killed_at = len(sink.messages)
        assert 3 <= killed_at < expected, "the kill must land mid-way"
        time.sleep(0.2)  # a DATA the server was accepting when the client died completes
        restarted = cli(ws, "run", "--once")
        assert restarted.exit_code == 0, restarted.output
        ids = [message_from_bytes(m.data)["Message-ID"] for m in sink.messages]
    assert len(ids) == len(set(ids)), "a message arrived twice"
    states = message_states(ws)
    # Every enrollment's first email either arrived, or is held as uncertain for a human
    # (the one in flight at the kill): nothing was silently dropped, nothing resent blindly.
    assert sum(states.values()) == expected
    assert states["sent"] + states["uncertain"] == expected
    assert states["uncertain"] <= 1
    assert len(ids) >= states["sent"]
    assert len(ids) <= expected


def test_run_sandbox_delivers_to_local_files(ws: Path) -> None:
    configure(ws, 1)  # the configured server is never used: --sandbox replaces it
    expected = enrolled_count(ws)
    result = cli(ws, "run", "--sandbox", "--once")
    assert result.exit_code == 0, result.output
    delivered = sorted((ws / "sandbox" / "delivered").glob("*.eml"))
    assert len(delivered) == expected
    first = message_from_bytes(delivered[0].read_bytes())
    assert first["From"] == "Alex Morgan <alex@northwind-demo.com>"
    assert message_states(ws) == Counter({"sent": expected})
    assert "PROSPECTOR_SANDBOX_PASSWORD" not in (ws / "config.toml").read_text()


def many_prospects(ws: Path, n: int) -> None:
    """`n` in-segment prospects at `n` companies, replacing the sample contacts."""
    zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
    lines = [
        "email,first_name,last_name,title,company,website,industry,employees,revenue,country,timezone,business_model"
    ]
    for i in range(n):
        lines.append(
            f"p{i}@co{i}.example,Pat,Doe{i},CEO,Co {i},co{i}.example,saas,200,10000000,US,"
            f"{zones[i % 4]},b2b"
        )
    (ws / "contacts.csv").write_text("\n".join(lines) + "\n")


def test_sigkill_then_restart_against_a_provider_delivers_each_message_exactly_once(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox servers play the provider, in this process: only the daemon is killed.

    The provider files what it accepts in the mailbox's Sent folder, as Gmail does, so the
    restarted daemon settles the message that was on the wire at the kill from there.
    """
    many_prospects(ws, 150)
    config = ws / "config.toml"
    with Sandbox(ws.parent / "provider", mailboxes=["alex@northwind-demo.com"]) as provider:
        endpoints = provider.endpoints
        assert endpoints is not None
        monkeypatch.setenv("PROSPECTOR_SMTP_PASSWORD", endpoints.smtp.password)
        monkeypatch.setenv("PROSPECTOR_IMAP_PASSWORD", endpoints.imap.password)
        text_ = config.read_text()
        for old, new in {
            "reconcile_after_seconds = 300": "reconcile_after_seconds = 0",
            "accounts_in_progress = 10 ": "accounts_in_progress = 1000 ",
            "daily_cap = 50 ": "daily_cap = 1000 ",
            'security = "tls"': 'security = "none"',
            f"port = 0 {' ' * 25}# 0: 993": f"port = {endpoints.imap.port} # 0: 993",
            'username = ""\npassword_env = "PROSPECTOR_SMTP_PASSWORD"': (
                'username = "alex@northwind-demo.com"\npassword_env = "PROSPECTOR_SMTP_PASSWORD"'
            ),
            'username = ""\npassword_env = "PROSPECTOR_IMAP_PASSWORD"': (
                'username = "alex@northwind-demo.com"\npassword_env = "PROSPECTOR_IMAP_PASSWORD"'
            ),
        }.items():
            assert old in text_, old
            text_ = text_.replace(old, new, 1)
        imap_port = f"port = {endpoints.imap.port}"
        lines = [imap_port if "# 0: 993" in line else line for line in text_.splitlines()]
        config.write_text("\n".join(lines) + "\n")
        configure(ws, endpoints.smtp.port)
        expected = enrolled_count(ws)
        assert expected == 150
        delivered = provider.root / "delivered"
        daemon = start_daemon(ws)
        try:
            wait_for(lambda: len(provider.delivered()) >= 30)
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(timeout=10)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        assert len(provider.delivered()) < expected, "the kill must land mid-way"
        restarted = cli(ws, "run", "--once")
        assert restarted.exit_code == 0, restarted.output
        ids = [message_from_bytes(p.read_bytes())["Message-ID"] for p in delivered.glob("*.eml")]
    assert len(ids) == len(set(ids)), "a message arrived twice"
    assert len(ids) == expected, "a message was lost"
    assert message_states(ws) == Counter({"sent": expected})


def test_a_sandbox_reply_is_read_by_the_next_run(ws: Path) -> None:
    configure(ws, 1)
    assert cli(ws, "run", "--sandbox", "--once").exit_code == 0
    missing = cli(ws, "sandbox", "reply", "--from", "nobody@x.example", "--body", "hi")
    assert missing.exit_code == 4
    replied = cli(
        ws,
        "sandbox",
        "reply",
        "--from",
        "maria.lopez@brightwave-saas.com",
        "--body",
        "Please remove me from your list.",
    )
    assert replied.exit_code == 0, replied.output
    again = cli(ws, "run", "--sandbox", "--once")
    assert "1 unsubscribe" in again.output
    listed = json.loads(cli(ws, "replies", "--json").output)
    assert [(r["from"], r["category"]) for r in listed] == [
        ("maria.lopez@brightwave-saas.com", "unsubscribe")
    ]
