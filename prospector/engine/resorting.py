"""Sorting again after the rules changed: new verdicts are recorded, nothing is re-done.

Actions already taken stay taken (a suppression, a referral enrolled). When a stored
reply now sorts into another category, that is recorded and the reply goes to a human,
who decides whether the new category's actions should apply.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from prospector.config import Settings
from prospector.engine.catalog import mail_domain
from prospector.engine.inbox_queue import queue_reply
from prospector.engine.ingest import Sorter, default_sorter
from prospector.store import inbound
from prospector.store.events import record_event


@dataclass
class ResortReport:
    checked: int = 0
    changed: list[tuple[int, str, str]] = field(default_factory=list)  # (id, was, now)

    def as_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "changed": [{"id": i, "was": a, "now": b} for i, a, b in self.changed],
        }


def resort(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    ids: Sequence[int] | None = None,
    sorter: Sorter = default_sorter,
) -> ResortReport:
    domains: Collection[str] = {mail_domain(m.address).lower() for m in settings.config.mailboxes}
    report = ResortReport()
    with engine.connect() as conn:
        stored = inbound.inbound_content(conn, ids)
        known = {r.id: r for r in inbound.replies_by_ids(conn, [i for i, _ in stored])}
    for message_row, raw in stored:
        verdict = sorter(raw, domains)
        report.checked += 1
        reply = known.get(message_row)
        if reply is not None and "reclassified_by" in json.loads(reply.evidence or "{}"):
            continue  # a rep set this one: the rules never overrule a person
        was = reply.category if reply else ""
        with engine.begin() as conn:
            values: dict[str, object] = {
                "category": verdict.category,
                "confidence": verdict.confidence,
                "evidence": json.dumps(verdict.as_json(), ensure_ascii=False, default=str),
                "body": verdict.visible_text,
            }
            if verdict.category != was:
                report.changed.append((message_row, was, verdict.category))
                values["action"] = f"re-sorted from {was} to {verdict.category}: needs review"
                record_event(
                    conn,
                    "reply.resorted",
                    at=now,
                    data={"message": message_row, "was": was, "now": verdict.category},
                )
                if reply is not None and reply.contact_id is not None:
                    queue_reply(
                        conn,
                        settings,
                        message_row=message_row,
                        contact_id=reply.contact_id,
                        lane="review",
                        why=f"re-sorted from {was} to {verdict.category}",
                        reply_text=verdict.visible_text,
                        now=now,
                    )
            inbound.set_outcome(conn, message_row, **values)
    return report
