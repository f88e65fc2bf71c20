"""What the daemon could not settle alone, and a human's decision on each.

Uncertain messages (the process died between SMTP and the commit), failed ones and
held enrollments are never retried blindly: a person checks the mailbox's Sent folder
or the template, then says "it was sent", "send it again" or "release it".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from prospector.config import Settings
from prospector.engine.catalog import load_sequences
from prospector.engine.progress import advance_enrollment
from prospector.errors import NotFoundError, ProspectorError
from prospector.store import outbox
from prospector.store.events import record_event

ACTOR = "cli"


@dataclass(frozen=True)
class Pending:
    kind: str  # "message" or "enrollment"
    id: int
    state: str
    email: str
    sequence: str
    step: int  # 1-based
    reason: str
    at: datetime

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "at": self.at.isoformat()}


def pending(engine: Engine) -> list[Pending]:
    """Messages in retry, failed or uncertain, and held enrollments, newest first."""
    with engine.connect() as conn:
        messages = [Pending("message", *row) for row in outbox.unsettled_messages(conn)]
        held = [Pending("enrollment", *row) for row in outbox.held_enrollments(conn)]
    return sorted(messages + held, key=lambda p: p.at, reverse=True)


def mark_sent(engine: Engine, settings: Settings, message_row: int, *, now: datetime) -> None:
    """It did arrive (seen in the Sent folder or by the prospect): record it and move on."""
    sequences, _ = load_sequences(settings)
    with engine.begin() as conn:
        found = outbox.message_state(conn, message_row)
        _require(found, message_row, allowed=(outbox.UNCERTAIN, outbox.FAILED, outbox.RETRY))
        outbox.mark_sent(conn, message_row, now)
        enrollment = outbox.message_enrollment(conn, message_row)
        if enrollment is not None:
            enrollment_id, contact_id = enrollment
            outbox.reactivate(conn, enrollment_id, now)
            position = outbox.position(conn, enrollment_id, message_row)
            if position is not None:
                name, step, zone = position
                advance_enrollment(
                    conn,
                    enrollment_id=enrollment_id,
                    contact_id=contact_id,
                    step=step,
                    zone=zone or settings.config.workspace.timezone,
                    sequence=sequences.get(name),
                    now=now,
                    actor=ACTOR,
                )
        record_event(
            conn, "message.marked_sent", at=now, actor=ACTOR, data={"message": message_row}
        )


def resend(engine: Engine, message_row: int, *, now: datetime) -> None:
    """It did not arrive: send the very same bytes again on the next tick."""
    with engine.begin() as conn:
        found = outbox.message_state(conn, message_row)
        _require(found, message_row, allowed=(outbox.UNCERTAIN, outbox.FAILED))
        outbox.set_message(conn, message_row, state=outbox.RETRY, next_attempt_at=now, attempts=0)
        enrollment = outbox.message_enrollment(conn, message_row)
        if enrollment is not None:
            outbox.reactivate(conn, enrollment[0], now)
        record_event(conn, "message.resend", at=now, actor=ACTOR, data={"message": message_row})


def release(engine: Engine, enrollment_id: int, *, now: datetime) -> None:
    """A held enrollment goes back to active, its step due now (the window still applies)."""
    with engine.begin() as conn:
        written = outbox.step_message(conn, enrollment_id)
        if written is not None:
            raise ProspectorError(
                f"enrollment {enrollment_id}'s current step already has message {written};"
                f" use `prospector outbox resend {written}` or `sent {written}` instead"
            )
        if not outbox.release_held(conn, enrollment_id, now):
            raise NotFoundError(f"no held enrollment {enrollment_id} (see `prospector outbox`)")
        record_event(conn, "enrollment.released", at=now, enrollment_id=enrollment_id, actor=ACTOR)


def _require(state: str | None, message_row: int, *, allowed: tuple[str, ...]) -> None:
    if state is None:
        raise NotFoundError(f"no outbound message {message_row} (see `prospector outbox`)")
    if state not in allowed:
        raise ProspectorError(
            f"message {message_row} is {state}; only {' or '.join(allowed)} ones can be changed"
        )
