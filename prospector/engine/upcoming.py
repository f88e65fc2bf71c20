"""When each active enrollment will next send: its due time moved into its send window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from prospector.config import Settings
from prospector.domain.windows import next_open
from prospector.engine.catalog import load_sequences
from prospector.store import outbox


@dataclass(frozen=True)
class Upcoming:
    email: str
    sequence: str
    step: int  # 1-based, as users count
    mailbox: str
    send_at: datetime  # UTC: the earliest moment the window lets it go
    local: str  # the same moment on the prospect's clock, "Tue 24 Nov 07:30 America/New_York"

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "send_at": self.send_at.isoformat()}


def upcoming(engine: Engine, settings: Settings, *, now: datetime, limit: int) -> list[Upcoming]:
    """The next `limit` sends by due time (caps and pacing may still delay them a little)."""
    sequences, _ = load_sequences(settings)
    fallback = settings.config.sending.window
    with Session(engine) as session:
        rows = outbox.upcoming(session, limit=limit)
    found = []
    for row in rows:
        zone = row.timezone or settings.config.workspace.timezone
        sequence = sequences.get(row.sequence)
        window = (sequence.window if sequence else None) or fallback
        start = max(row.next_due_at, now)
        try:
            send_at = next_open(start, zone=zone, country=row.country, window=window)
        except ValueError:
            send_at = start  # a window that never opens is reported by validate
        local = send_at.astimezone(ZoneInfo(zone))
        found.append(
            Upcoming(
                row.email,
                row.sequence,
                row.step + 1,
                row.mailbox,
                send_at,
                f"{local:%a %d %b %H:%M} {zone}",
            )
        )
    return sorted(found, key=lambda u: u.send_at)
