"""Handing an accepted SQL to an account executive (PRODUCT.md §5).

Best to worst: transfer at once, schedule a call, or an intro email to the prospect with
the AE in copy. The intro goes out through the dispatcher's exactly-once path (the row
with its Message-ID and bytes is written here, due now); a configured webhook gets the
hand-off as signed JSON, retried with backoff by the daemon's hand-off job.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prospector.config import AccountExecutive, Mailbox, Settings
from prospector.engine.catalog import mail_domain, message_context, outgoing_bytes
from prospector.errors import NotFoundError, ProspectorError
from prospector.mail.compose import new_message_id, reply_subject
from prospector.mail.render import Rendered, environment, render
from prospector.store import handoffs, inbox, outbox
from prospector.store.outbox import Db

VIAS = ("intro", "call", "transfer")
TASKS = {
    "transfer": "Take over now: {name} ({company}) asked for a next step",
    "call": "Schedule a call with {name} ({company})",
    "intro": "Reply to the intro email and book a call with {name} ({company})",
}


@dataclass(frozen=True)
class Draft:
    """The intro email as it will be sent (shown to the rep before accepting)."""

    mailbox: Mailbox
    to_name: str
    to_address: str
    cc: tuple[str, str]
    subject: str
    body: str
    in_reply_to: str | None
    references: tuple[str, ...]


def pick_ae(
    settings: Settings, session: Db, *, name: str | None, now: datetime
) -> AccountExecutive:
    """The AE named, else the one with the fewest hand-offs this week still under capacity."""
    aes = settings.config.aes
    if not aes:
        raise ProspectorError("no account executives in the config: add an [[aes]] block")
    if name:
        wanted = name.strip().lower()
        for ae in aes:
            if wanted in (ae.name.lower(), ae.email.lower()):
                return ae
        known = ", ".join(ae.name for ae in aes)
        raise NotFoundError(f"no AE named {name!r} in the config (known: {known})")
    load = handoffs.handoffs_since(session, week_start(settings, now))
    free = [ae for ae in aes if load.get(ae.name, 0) < ae.capacity]
    if not free:
        raise ProspectorError(
            "every AE is at capacity this week: name one with --ae, or raise a capacity"
        )
    return min(free, key=lambda ae: (load.get(ae.name, 0), aes.index(ae)))


def week_start(settings: Settings, now: datetime) -> datetime:
    """Monday 00:00 of this week in the workspace's zone: capacity is counted per week."""
    zone = ZoneInfo(settings.config.workspace.timezone)
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(), tzinfo=zone)


def task_text(via: str, person: inbox.Prospect) -> str:
    return TASKS[via].format(name=person.name, company=person.company)


def draft_intro(
    session: Db,
    settings: Settings,
    *,
    person: inbox.Prospect,
    ae: AccountExecutive,
    reply_row: int,
    next_step: str,
) -> Draft:
    """Render the intro from its template, in the prospect's thread, from their mailbox."""
    if not ae.email:
        raise ProspectorError(f"AE {ae.name} has no email in the config: an intro needs one")
    found = outbox.contact_and_account(session, person.contact_id)
    reply = inbox.reply_headers(session, reply_row)
    mailbox = _mailbox(settings, reply.get("mailbox", ""))
    if found is None or mailbox is None:
        raise ProspectorError("the intro needs the prospect and a sending mailbox in config")
    contact, account = found
    context = message_context(contact, account, mailbox, settings.config.sender)
    context["ae"] = {
        "name": ae.name,
        "first_name": ae.name.split()[0],
        "email": ae.email,
    }
    context["next_step"] = next_step
    rendered = render(
        environment(settings.templates_dir), settings.config.handoff.intro_template, context
    )
    their_id = reply.get("message_id", "")
    references = tuple([*reply.get("references", "").split(), their_id] if their_id else ())
    return Draft(
        mailbox=mailbox,
        to_name=person.name if person.name != person.email else "",
        to_address=person.email,
        cc=(ae.name, ae.email),
        subject=rendered.subject or reply_subject(reply.get("subject", "")),
        body=rendered.body,
        in_reply_to=their_id or None,
        references=references,
    )


def queue_intro(
    session: Db, settings: Settings, draft: Draft, person: inbox.Prospect, now: datetime
) -> int:
    """Write the intro with its Message-ID and exact bytes, due now: the dispatcher sends it."""
    message_id = new_message_id(mail_domain(draft.mailbox.address), secrets.token_hex(16))
    try:
        data = _intro_bytes(settings, draft, message_id, now)
    except ValueError as exc:  # an unsafe header value: refused, never cleaned up silently
        raise ProspectorError(f"the intro email cannot be written: {exc}") from exc
    return outbox.queue_message(
        session,
        {
            "message_id": message_id,
            "contact_id": person.contact_id,
            "account_id": person.account_id,
            "mailbox": draft.mailbox.id,
            "to_address": draft.to_address,
            "cc": draft.cc[1],
            "subject": draft.subject,
            "in_reply_to": draft.in_reply_to or "",
            "references": " ".join(draft.references),
            "body": draft.body,
            "raw": data.decode("ascii"),
            "created_at": now,
        },
        due=now,
    )


def _intro_bytes(settings: Settings, draft: Draft, message_id: str, now: datetime) -> bytes:
    return outgoing_bytes(
        settings,
        mailbox=draft.mailbox,
        to_name=draft.to_name,
        to_address=draft.to_address,
        rendered=Rendered(subject=draft.subject, body=draft.body),
        message_id=message_id,
        date=now,
        in_reply_to=draft.in_reply_to,
        references=draft.references,
        cc=draft.cc,
    )


def webhook_payload(session: Db, handoff_id: int) -> dict[str, Any]:
    """What a CRM needs to create the opportunity; the shape is documented in the README."""
    rows = handoffs.handoff_rows(session, handoff_id=handoff_id)
    if not rows:
        raise NotFoundError(f"no hand-off {handoff_id}")
    row = rows[0]
    return {
        "event": "handoff.created",
        "version": 1,
        "handoff": {
            "id": row["id"],
            "item": row["item_id"],
            "accepted_at": row["accepted_at"].isoformat(),
            "accepted_by": row["accepted_by"],
            "via": row["via"],
            "task": row["task"],
            "ae": {"name": row["ae"], "email": row["ae_email"]},
        },
        "contact": {
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "email": row["email"],
            "title": row["title"],
            "seniority": row["seniority"],
        },
        "account": {
            "name": row["company"],
            "domain": row["domain"],
            "icp_score": row["icp_score"],
            "potential_users": row["potential_users"],
        },
    }


def payload_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


def _mailbox(settings: Settings, mailbox_id: str) -> Mailbox | None:
    boxes = settings.config.mailboxes
    return next((m for m in boxes if m.id == mailbox_id), boxes[0] if boxes else None)
