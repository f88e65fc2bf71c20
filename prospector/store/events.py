"""The append-only audit trail: every state change is an Event row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session

from prospector.store.tables import EVENT

_INSERT = insert(EVENT)  # built once: the dispatcher records an event per message


def record_event(
    session: Session | Connection,
    kind: str,
    *,
    at: datetime,
    contact_id: int | None = None,
    enrollment_id: int | None = None,
    actor: str = "prospector",
    data: dict[str, Any] | None = None,
) -> None:
    session.execute(
        _INSERT,
        {
            "at": at,
            "kind": kind,
            "contact_id": contact_id,
            "enrollment_id": enrollment_id,
            "actor": actor,
            "data": json.dumps(data or {}, ensure_ascii=False, default=str),
        },
    )
