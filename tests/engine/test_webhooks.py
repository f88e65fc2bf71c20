"""The hand-off job against a real database and a real HTTP receiver on 127.0.0.1.

Hand-offs are made the way a rep makes them: a first email sent, the prospect's "yes"
read by the ingest job, the item accepted. Time only moves through the `now` given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from prospector.adapters.sandbox_reply import reply_to
from prospector.adapters.webhook import HttpPoster
from prospector.config import Settings
from prospector.domain.signing import verify
from prospector.engine.handoff import payload_bytes, webhook_payload
from prospector.engine.inbox import ReviewQueue
from prospector.engine.webhooks import HandoffJob, Posted, Request, deliver_due
from prospector.store import inbox as store_inbox
from prospector.store.tables import Event, Handoff
from tests.adapters.test_webhook import Answer, WebhookServer
from tests.cli.conftest import cli
from tests.cli.test_run import configure
from tests.engine.dispatch_kit import EVENING, Recorder, dispatcher, person, tick, workspace
from tests.engine.test_ingest import LATER, FakeInbox, ingester
from tests.workspaces import make_workspace

SECRET_ENV = "PROSPECTOR_TEST_WEBHOOK_SECRET"
SECRET = "whsec_test_secret"
YES = "Yes, happy to talk. Could we do a call Thursday at 3pm?"


@pytest.fixture
def receiver() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


def handed_off(
    engine: Engine,
    tmp_path: Path,
    url: str,
    *,
    companies: tuple[str, ...] = ("Alpha",),
    max_attempts: int = 8,
) -> tuple[Settings, list[int]]:
    """A workspace with the webhook configured and one accepted SQL per company."""
    replace = {
        'webhook_url = ""': f'webhook_url = "{url}"' if url else 'webhook_url = ""',
        'webhook_secret_env = ""': f'webhook_secret_env = "{SECRET_ENV}"',
        "webhook_max_attempts = 8": f"webhook_max_attempts = {max_attempts}",
    }
    rows = [person(company.lower(), company) for company in companies]
    settings = workspace(engine, tmp_path, rows, replace=replace)
    recorder = Recorder()
    tick(dispatcher(engine, settings, recorder), EVENING)
    mail = FakeInbox()
    for sent in recorder.sent:
        mail.add(reply_to(sent.data, body=YES))
    assert ingester(engine, settings, mail)(LATER).processed == len(companies)
    rep = ReviewQueue(engine, settings, actor="sam")
    items = [entry.id for entry in rep.page("sql", now=LATER)]
    assert len(items) == len(companies)
    return settings, [rep.accept(item, now=LATER, via="call").handoff_id for item in items]


def row(engine: Engine, handoff_id: int) -> Handoff:
    with Session(engine) as session:
        found = session.get(Handoff, handoff_id)
        assert found is not None
        return found


def events(engine: Engine, kind: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        query = select(Event.data).where(Event.kind == kind).order_by(col(Event.id))
        return [json.loads(data) for data in session.exec(query)]


def same_instant(stored: datetime | None, expected: datetime) -> bool:
    """SQLite hands datetimes back without a zone (stored as UTC)."""
    assert stored is not None
    return stored.replace(tzinfo=None) == expected.replace(tzinfo=None) - (
        expected.utcoffset() or timedelta()
    )


def test_a_hand_off_is_delivered_once_signed_with_its_payload(
    any_engine: Engine, tmp_path: Path, receiver: WebhookServer
) -> None:
    settings, [handoff_id] = handed_off(any_engine, tmp_path, receiver.url)
    assert row(any_engine, handoff_id).webhook_state == "pending"
    report = deliver_due(any_engine, settings, HttpPoster(), now=LATER)
    assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)
    assert str(report) == "delivered 1"
    [got] = receiver.received
    with any_engine.connect() as conn:
        assert got.body == payload_bytes(webhook_payload(conn, handoff_id))
    payload = got.json()
    assert payload["event"] == "handoff.created"
    assert payload["contact"] == {
        "first_name": "Pat",
        "last_name": "Doe",
        "email": "alpha@alpha-soft.com",
        "title": "CEO",
        "seniority": "c_level",
    }
    assert payload["handoff"]["via"] == "call"
    assert got.headers["X-Prospector-Delivery"] == str(handoff_id)
    stamp = int(got.headers["X-Prospector-Timestamp"])
    assert verify(SECRET, stamp, got.body, got.headers["X-Prospector-Signature"])
    stored = row(any_engine, handoff_id)
    assert (stored.webhook_state, stored.webhook_attempts, stored.webhook_error) == (
        "delivered",
        1,
        "",
    )
    assert events(any_engine, "handoff.webhook_delivered") == [
        {"handoff": handoff_id, "attempts": 1, "status": 200}
    ]
    # Delivered is final: later runs post nothing.
    again = deliver_due(any_engine, settings, HttpPoster(), now=LATER + timedelta(days=1))
    assert not again
    assert len(receiver.received) == 1


def test_a_server_error_is_retried_after_the_backoff(
    sqlite_engine: Engine, tmp_path: Path, receiver: WebhookServer
) -> None:
    settings, [handoff_id] = handed_off(sqlite_engine, tmp_path, receiver.url)
    receiver.script = [Answer(500, body=b"try later")]
    poster = HttpPoster()
    first = deliver_due(sqlite_engine, settings, poster, now=LATER)
    assert (first.retrying, str(first)) == (1, "to retry 1")
    stored = row(sqlite_engine, handoff_id)
    assert (stored.webhook_state, stored.webhook_attempts) == ("pending", 1)
    assert stored.webhook_error == "HTTP 500: Internal Server Error: try later"
    assert same_instant(stored.webhook_next_at, LATER + timedelta(minutes=1))
    # Not due before the first delay (1 minute) is over.
    assert not deliver_due(sqlite_engine, settings, poster, now=LATER + timedelta(seconds=59))
    assert len(receiver.received) == 1
    second = deliver_due(sqlite_engine, settings, poster, now=LATER + timedelta(minutes=1))
    assert second.delivered == 1
    assert len(receiver.received) == 2
    assert {r.headers["X-Prospector-Delivery"] for r in receiver.received} == {str(handoff_id)}
    stored = row(sqlite_engine, handoff_id)
    assert (stored.webhook_state, stored.webhook_attempts, stored.webhook_error) == (
        "delivered",
        2,
        "",
    )
    assert events(sqlite_engine, "handoff.webhook_failed") == []


def test_the_last_allowed_attempt_fails_for_good_with_an_event(
    sqlite_engine: Engine, tmp_path: Path, receiver: WebhookServer
) -> None:
    settings, [handoff_id] = handed_off(sqlite_engine, tmp_path, receiver.url, max_attempts=3)
    receiver.script = [Answer(503, body=b"")] * 3
    poster = HttpPoster()
    now = LATER
    for delay in (timedelta(0), timedelta(minutes=1), timedelta(minutes=4)):
        now += delay
        deliver_due(sqlite_engine, settings, poster, now=now)
    stored = row(sqlite_engine, handoff_id)
    assert (stored.webhook_state, stored.webhook_attempts, stored.webhook_next_at) == (
        "failed",
        3,
        None,
    )
    assert events(sqlite_engine, "handoff.webhook_failed") == [
        {
            "handoff": handoff_id,
            "attempts": 3,
            "status": 503,
            "error": "HTTP 503: Service Unavailable",
        }
    ]
    assert not deliver_due(sqlite_engine, settings, poster, now=now + timedelta(days=1))
    assert len(receiver.received) == 3
    # The rep sees it in the inbox history (hand-off deliveries are decisions' audit trail).
    with sqlite_engine.connect() as conn:
        kinds = [e["kind"] for e in store_inbox.history(conn, limit=10)]
    assert kinds[0] == "handoff.webhook_failed"


def test_a_refusal_fails_at_once_and_one_bad_row_does_not_stop_the_rest(
    sqlite_engine: Engine, tmp_path: Path, receiver: WebhookServer
) -> None:
    settings, ids = handed_off(
        sqlite_engine, tmp_path, receiver.url, companies=("Alpha", "Beta", "Gamma")
    )
    receiver.script = [Answer(410, body=b"this hook was deleted")]
    real = HttpPoster()
    broken = str(ids[1])

    def poster(request: Request) -> Posted:
        """The real poster, except for one hand-off whose POST blows up unexpectedly."""
        if request.delivery == broken:
            raise RuntimeError("a bug while posting")
        return real(request)

    report = deliver_due(sqlite_engine, settings, poster, now=LATER)
    assert (report.delivered, report.retrying, report.failed) == (1, 1, 1)
    states = [
        (row(sqlite_engine, i).webhook_state, row(sqlite_engine, i).webhook_error) for i in ids
    ]
    assert states == [
        ("failed", "HTTP 410: Gone: this hook was deleted"),
        ("pending", "RuntimeError: a bug while posting"),
        ("delivered", ""),
    ]
    assert len(receiver.received) == 2


def test_without_a_webhook_url_nothing_happens(
    sqlite_engine: Engine, tmp_path: Path, receiver: WebhookServer
) -> None:
    settings, [handoff_id] = handed_off(sqlite_engine, tmp_path, "")
    assert row(sqlite_engine, handoff_id).webhook_state == ""
    assert not deliver_due(sqlite_engine, settings, HttpPoster(), now=LATER)
    assert receiver.received == []


def test_a_pending_row_waits_while_the_url_is_removed_from_the_config(
    sqlite_engine: Engine, tmp_path: Path, receiver: WebhookServer
) -> None:
    settings, [handoff_id] = handed_off(sqlite_engine, tmp_path, receiver.url)
    hook = settings.config.handoff.model_copy(update={"webhook_url": ""})
    unset = Settings(
        config=settings.config.model_copy(update={"handoff": hook}), path=settings.path
    )
    assert not HandoffJob(sqlite_engine, unset, HttpPoster())(LATER)
    assert receiver.received == []
    assert row(sqlite_engine, handoff_id).webhook_state == "pending"


def test_a_missing_secret_sends_nothing_unsigned(
    sqlite_engine: Engine,
    tmp_path: Path,
    receiver: WebhookServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, [handoff_id] = handed_off(sqlite_engine, tmp_path, receiver.url)
    monkeypatch.delenv(SECRET_ENV)
    assert deliver_due(sqlite_engine, settings, HttpPoster(), now=LATER).retrying == 1
    assert receiver.received == []
    assert SECRET_ENV in row(sqlite_engine, handoff_id).webhook_error


def test_a_stop_request_leaves_the_rest_for_the_next_run(
    sqlite_engine: Engine, tmp_path: Path, receiver: WebhookServer
) -> None:
    settings, ids = handed_off(sqlite_engine, tmp_path, receiver.url, companies=("Alpha", "Beta"))
    posted: list[str] = []
    real = HttpPoster()

    def poster(request: Request) -> Posted:
        posted.append(request.delivery)
        return real(request)

    job = HandoffJob(sqlite_engine, settings, poster, stopping=lambda: bool(posted))
    assert job(LATER).delivered == 1
    assert [row(sqlite_engine, i).webhook_state for i in ids] == ["delivered", "pending"]


def test_the_daemon_delivers_an_accepted_hand_off(tmp_path: Path, receiver: WebhookServer) -> None:
    """`prospector run --once` end to end: sent, replied, read, accepted, then POSTed."""
    ws = make_workspace(tmp_path)
    configure(ws, 1)  # the configured servers are never used: --sandbox replaces them
    config = ws / "config.toml"
    text = config.read_text()
    text = text.replace('webhook_url = ""', f'webhook_url = "{receiver.url}"', 1)
    text = text.replace('webhook_secret_env = ""', f'webhook_secret_env = "{SECRET_ENV}"', 1)
    config.write_text(text)
    first = cli(ws, "run", "--sandbox", "--once")
    assert "handoffs: nothing to do" in first.output, first.output
    who = "maria.lopez@brightwave-saas.com"
    assert cli(ws, "sandbox", "reply", "--from", who, "--body", YES).exit_code == 0
    assert cli(ws, "run", "--sandbox", "--once").exit_code == 0
    [item] = json.loads(cli(ws, "inbox", "list", "--lane", "sql", "--json").output)
    accepted = cli(ws, "inbox", "accept", str(item["id"]), "--via", "call", "--as", "sam")
    assert "webhook queued" in accepted.output, accepted.output
    last = cli(ws, "run", "--sandbox", "--once")
    assert "handoffs: delivered 1" in last.output, last.output
    [got] = receiver.received
    assert got.json()["contact"]["email"] == who
    stamp = int(got.headers["X-Prospector-Timestamp"])
    assert verify(SECRET, stamp, got.body, got.headers["X-Prospector-Signature"])
