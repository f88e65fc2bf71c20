"""The hand-off job of the daemon: each accepted SQL POSTed once to the configured webhook.

A hand-off written with a webhook configured starts `pending`, due at once. Each run takes
a small batch of due rows, POSTs each outside any transaction (a slow receiver never holds
the database), then records the outcome in a short transaction of its own:

- 2xx: delivered (Event "handoff.webhook_delivered");
- 408, 429, 5xx, no answer: tried again after `retry_delay` (1 min, 4, 16 … 6 h);
- any other answer, or the last allowed attempt: failed (Event "handoff.webhook_failed").

Delivery is at least once: a process killed between the POST and its record posts again
on restart, so the receiver dedups on X-Prospector-Delivery (the hand-off id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from prospector.config import Settings
from prospector.domain.retrying import retry_delay
from prospector.engine.handoff import payload_bytes, webhook_payload
from prospector.store import handoffs
from prospector.store.db import transaction
from prospector.store.events import record_event

log = logging.getLogger("prospector.handoffs")

EVENT = "handoff.created"
BATCH = 20  # per run: a slow receiver delays the next run, never the other jobs for long
ACTOR = "handoffs"
RETRY_STATUSES = frozenset({408, 429})  # 4xx that mean "later", not "never"


@dataclass(frozen=True)
class Request:
    """One POST to make; the body and the secret stay out of reprs (and so out of logs)."""

    url: str
    body: bytes = field(repr=False)
    event: str
    delivery: str  # the receiver's idempotency key: the same on every retry
    secret: str = field(default="", repr=False)
    timeout: float = 10.0


@dataclass(frozen=True)
class Posted:
    """What came back: the HTTP status if any answer came, else what went wrong."""

    status: int | None = None
    error: str = ""  # "" when delivered; the reason in words otherwise

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def permanent(self) -> bool:
        """An answer that trying again will not change (a 4xx other than 408/429, a 3xx)."""
        if self.status is None or self.delivered:
            return False
        return self.status < 500 and self.status not in RETRY_STATUSES

    def describe(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else ""
        return ": ".join(p for p in (status, self.error) if p) or "no answer"


class Poster(Protocol):
    """Makes one POST and never raises for a network or HTTP problem (it returns it)."""

    def __call__(self, request: Request) -> Posted: ...


@dataclass
class WebhookReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.delivered or self.retrying or self.failed)

    def __str__(self) -> str:
        parts = {"delivered": self.delivered, "to retry": self.retrying, "failed": self.failed}
        return ", ".join(f"{name} {n}" for name, n in parts.items() if n) or "nothing to do"


class HandoffJob:
    """The daemon's "handoffs" job: `deliver_due` at the time the scheduler gives."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        poster: Poster,
        *,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.poster = poster
        self.stopping = stopping

    def __call__(self, now: datetime) -> WebhookReport:
        return deliver_due(self.engine, self.settings, self.poster, now=now, stopping=self.stopping)


def deliver_due(
    engine: Engine,
    settings: Settings,
    poster: Poster,
    *,
    now: datetime,
    limit: int = BATCH,
    stopping: Callable[[], bool] = lambda: False,
) -> WebhookReport:
    """POST every due pending hand-off (up to `limit`) and record each outcome."""
    report = WebhookReport()
    if not settings.config.handoff.webhook_url:
        return report
    with engine.connect() as conn:
        due = handoffs.due_webhooks(conn, now, limit=limit)
    for handoff_id in due:
        if stopping():
            break
        try:
            outcome = _deliver(engine, settings, poster, handoff_id, now)
        except Exception as exc:  # one bad row is logged and counted; the batch goes on
            log.exception("hand-off %d: the webhook delivery failed: %s", handoff_id, exc)
            try:
                outcome = _record(engine, settings, handoff_id, Posted(error=_text(exc)), now)
            except Exception:
                log.exception("hand-off %d: could not record the failure", handoff_id)
                continue
        if outcome is not None:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver(
    engine: Engine, settings: Settings, poster: Poster, handoff_id: int, now: datetime
) -> str | None:
    hook = settings.config.handoff
    with engine.connect() as conn:
        body = payload_bytes(webhook_payload(conn, handoff_id))
    secret = hook.webhook_secret()
    if hook.webhook_secret_env and not secret:
        posted = Posted(error=f"${hook.webhook_secret_env} is empty: nothing was sent unsigned")
    else:
        posted = poster(
            Request(
                url=hook.webhook_url,
                body=body,
                event=EVENT,
                delivery=str(handoff_id),
                secret=secret,
                timeout=hook.webhook_timeout_seconds,
            )
        )
    return _record(engine, settings, handoff_id, posted, now)


def _record(
    engine: Engine, settings: Settings, handoff_id: int, posted: Posted, now: datetime
) -> str | None:
    """Write the attempt's outcome: "delivered", "retrying" or "failed" (a report field),
    None if the row is no longer pending (nothing to record)."""
    most = settings.config.handoff.webhook_max_attempts
    with transaction(engine) as session:
        row = handoffs.handoff(session, handoff_id)
        if row is None or row["webhook_state"] != "pending":
            return None
        attempts = int(row["webhook_attempts"]) + 1
        data: dict[str, Any] = {"handoff": handoff_id, "attempts": attempts}
        if posted.status is not None:
            data["status"] = posted.status
        if posted.delivered:
            handoffs.set_handoff(
                session,
                handoff_id,
                webhook_state="delivered",
                webhook_attempts=attempts,
                webhook_next_at=None,
                webhook_error="",
            )
            record_event(
                session,
                "handoff.webhook_delivered",
                at=now,
                contact_id=row["contact_id"],
                actor=ACTOR,
                data=data,
            )
            return "delivered"
        error = posted.describe()
        if posted.permanent or attempts >= most:
            handoffs.set_handoff(
                session,
                handoff_id,
                webhook_state="failed",
                webhook_attempts=attempts,
                webhook_next_at=None,
                webhook_error=error,
            )
            record_event(
                session,
                "handoff.webhook_failed",
                at=now,
                contact_id=row["contact_id"],
                actor=ACTOR,
                data={**data, "error": error},
            )
            log.error(
                "hand-off %d: webhook failed for good after %d attempt(s): %s",
                handoff_id,
                attempts,
                error,
            )
            return "failed"
        next_at = now + retry_delay(attempts)
        handoffs.set_handoff(
            session,
            handoff_id,
            webhook_attempts=attempts,
            webhook_next_at=next_at,
            webhook_error=error,
        )
    log.warning(
        "hand-off %d: webhook attempt %d of %d failed (%s); next try at %s",
        handoff_id,
        attempts,
        most,
        error,
        f"{next_at:%Y-%m-%d %H:%M:%S %Z}",
    )
    return "retrying"


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
