"""Two reps, two processes, one item, the same instant: exactly one hand-off, and the
other rep is told who won (optimistic locking on SQLite and on PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from prospector.adapters.sandbox_reply import reply_to
from prospector.config import load_settings
from prospector.engine.inbox import ReviewQueue
from prospector.errors import ConflictError
from prospector.store.db import make_engine
from prospector.store.tables import Event, Handoff, InboxItem
from tests.engine.test_inbox import QUESTION, YES, replied
from tests.engine.test_ingest import LATER, first_to, ingester

DECIDED_AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def _rep(
    url: str, config: str, actor: str, item_id: int, gate: Any, results: Any, action: str
) -> None:
    """Read the item as a rep would (its version), wait for the other rep, then decide."""
    engine = make_engine(url)
    inbox = ReviewQueue(engine, load_settings(Path(config)), actor=actor)
    version = inbox.view(item_id).item.version
    gate.wait(timeout=30)
    try:
        if action == "reject":
            inbox.reject(item_id, reason="duplicate", now=DECIDED_AT, version=version)
        else:
            inbox.accept(item_id, now=DECIDED_AT, via=action, version=version)
        results.put((actor, "won"))
    except ConflictError as exc:
        results.put((actor, f"conflict: {exc}"))
    finally:
        engine.dispose()


def race(engine: Engine, config: Path, decisions: list[tuple[str, int, str]]) -> dict[str, str]:
    """Each (rep, item, action) in its own process, all deciding at the same instant."""
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    gate, results = context.Barrier(len(decisions)), context.Queue()
    reps = [
        context.Process(target=_rep, args=(url, str(config), actor, item_id, gate, results, action))
        for actor, item_id, action in decisions
    ]
    for rep in reps:
        rep.start()
    for rep in reps:
        rep.join(timeout=60)
        assert rep.exitcode == 0  # no rep crashed on a raw database error
    return dict(results.get(timeout=5) for _ in reps)


def test_two_processes_accepting_the_same_item_hand_it_off_once(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(any_engine, tmp_path, YES)
    with Session(any_engine) as session:
        item = session.exec(select(InboxItem)).one()
    outcomes = race(
        any_engine, settings.path, [("sam", item.id, "call"), ("kim", item.id, "transfer")]
    )
    winners = [actor for actor, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    [loser] = [actor for actor in outcomes if actor not in winners]
    assert outcomes[loser].startswith(f"conflict: item {item.id} was already accepted by")
    assert winners[0] in outcomes[loser]
    with Session(any_engine) as session:
        [handoff] = session.exec(select(Handoff)).all()
        assert handoff.accepted_by == winners[0]
        accepted = session.exec(select(Event).where(Event.kind == "inbox.accepted")).all()
        assert [e.actor for e in accepted] == winners


def test_two_processes_deciding_two_items_of_one_person_each_get_a_clear_outcome(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings, recorder, mail = replied(any_engine, tmp_path, QUESTION)
    mail.add(reply_to(first_to(recorder, "ann@alpha-soft.com"), body=YES))
    ingester(any_engine, settings, mail)(LATER + timedelta(minutes=5))
    with Session(any_engine) as session:
        review, sql = session.exec(select(InboxItem).order_by(col(InboxItem.id))).all()
    assert review.id is not None and sql.id is not None
    outcomes = race(
        any_engine, settings.path, [("sam", sql.id, "call"), ("kim", review.id, "reject")]
    )
    assert outcomes["sam"] == "won", outcomes  # a reject of another item never blocks it
    with Session(any_engine) as session:
        states = {i.id: i.state for i in session.exec(select(InboxItem))}
    if outcomes["kim"] == "won":  # the rejection came first, on its own item
        assert states == {sql.id: "accepted", review.id: "rejected"}
    else:  # the hand-off came first and closed the person's other item
        assert states == {sql.id: "accepted", review.id: "closed"}
        assert outcomes["kim"].startswith(f"conflict: item {review.id} was already closed")
