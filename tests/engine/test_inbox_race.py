"""Two reps, two processes, one item, the same instant: exactly one hand-off, and the
other rep is told who won (optimistic locking on SQLite and on PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from prospector.config import load_settings
from prospector.engine.inbox import Inbox
from prospector.errors import ConflictError
from prospector.store.db import make_engine
from prospector.store.tables import Event, Handoff, InboxItem
from tests.engine.test_inbox import YES, replied

DECIDED_AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def _rep(url: str, config: str, actor: str, item_id: int, gate: Any, results: Any) -> None:
    """Read the item as a rep would (its version), wait for the other rep, then decide."""
    engine = make_engine(url)
    inbox = Inbox(engine, load_settings(Path(config)), actor=actor)
    version = inbox.view(item_id).item.version
    gate.wait(timeout=30)
    try:
        if actor == "sam":
            inbox.accept(item_id, now=DECIDED_AT, via="call", version=version)
        else:
            inbox.accept(item_id, now=DECIDED_AT, via="transfer", version=version)
        results.put((actor, "won"))
    except ConflictError as exc:
        results.put((actor, f"conflict: {exc}"))
    finally:
        engine.dispose()


def test_two_processes_accepting_the_same_item_hand_it_off_once(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings, _, _ = replied(any_engine, tmp_path, YES)
    with Session(any_engine) as session:
        item = session.exec(select(InboxItem)).one()
    url = any_engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    gate, results = context.Barrier(2), context.Queue()
    reps = [
        context.Process(target=_rep, args=(url, str(settings.path), actor, item.id, gate, results))
        for actor in ("sam", "kim")
    ]
    for rep in reps:
        rep.start()
    for rep in reps:
        rep.join(timeout=60)
        assert rep.exitcode == 0
    outcomes = dict(results.get(timeout=5) for _ in reps)
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
