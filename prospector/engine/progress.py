"""Where an enrollment goes next: on after a step is sent, completed, or stopped."""

from __future__ import annotations

from collections.abc import Sequence as Pairs
from datetime import datetime

from prospector.domain.calendar import add_business_days
from prospector.domain.sequences import Sequence
from prospector.store import inbound, outbox
from prospector.store.events import record_event


def advance_enrollment(
    session: outbox.Db,
    *,
    enrollment_id: int,
    contact_id: int | None,
    step: int,
    zone: str,
    sequence: Sequence | None,
    now: datetime,
    actor: str = "prospector",
) -> None:
    """Next step due after its business-day wait in the prospect's zone; after the last
    step (or when the sequence is gone) the enrollment completes.

    Only an enrollment still active at `step` moves: a reply that stopped it while the
    message was on the wire wins.
    """
    following = step + 1
    if sequence is None or following >= len(sequence.steps):
        if outbox.advance(session, enrollment_id, step, None, now, state="completed"):
            record_event(
                session,
                "enrollment.completed",
                at=now,
                contact_id=contact_id,
                enrollment_id=enrollment_id,
                actor=actor,
            )
        return
    wait = sequence.steps[following].wait_days
    outbox.advance(session, enrollment_id, step, add_business_days(now, wait, zone), now)


def stop_enrollments(
    session: outbox.Db,
    stops: Pairs[tuple[int, int]],
    *,
    reason: str,
    now: datetime,
    actor: str,
) -> int:
    """Stop each (enrollment, contact) for `reason`, each with its Event; returns how many."""
    inbound.set_enrollments(
        session,
        [e for e, _ in stops],
        state="stopped",
        reason=reason,
        next_due_at=None,
        updated_at=now,
    )
    for enrollment_id, contact_id in stops:
        record_event(
            session,
            "enrollment.stopped",
            at=now,
            contact_id=contact_id,
            enrollment_id=enrollment_id,
            actor=actor,
            data={"reason": reason},
        )
    return len(stops)
