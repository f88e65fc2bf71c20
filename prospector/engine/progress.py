"""After a step's message is sent: the enrollment moves on, or completes."""

from __future__ import annotations

from datetime import datetime

from prospector.domain.calendar import add_business_days
from prospector.domain.sequences import Sequence
from prospector.store import outbox
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
