"""The one "who would be right?" follow-up after a wrong-person reply that names nobody.

It answers in the prospect's own thread (Re: their subject, In-Reply-To their message)
and goes out through the same exactly-once path as sequence steps: the row is written
here with its Message-ID and bytes, queued as a retry due now, and the dispatcher sends
it inside the send window, honouring suppressions, then records the outcome.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from prospector.config import Mailbox, Settings
from prospector.engine.catalog import mail_domain, message_context, outgoing_bytes
from prospector.errors import SequenceError
from prospector.mail.compose import new_message_id, reply_subject
from prospector.mail.render import environment, render
from prospector.store import inbound, outbox
from prospector.store.outbox import Db

TEMPLATE = "who_is_right"


@dataclass(frozen=True)
class Asked:
    """What was done, in words, and whether the question is on its way (else a human asks)."""

    done: str
    queued: bool


def queue_who_is_right(
    session: Db,
    settings: Settings,
    *,
    person: inbound.Known,
    mailbox_id: str,
    reply: Message,
    now: datetime,
) -> Asked:
    """Write the follow-up, due now; says what was done (or why not)."""
    mailbox = _mailbox(settings, mailbox_id)
    found = outbox.contact_and_account(session, person.id)
    if mailbox is None or found is None:
        return Asked(
            "wrong person: a human should ask who would be right (no mailbox or contact)", False
        )
    contact, account = found
    their_id = str(reply.get("Message-ID", "")).strip()
    thread = [*str(reply.get("References", "")).split(), their_id] if their_id else []
    try:
        context = message_context(contact, account, mailbox, settings.config.sender)
        rendered = render(environment(settings.templates_dir), TEMPLATE, context)
        subject = rendered.subject or reply_subject(str(reply.get("Subject", "")))
        message_id = new_message_id(mail_domain(mailbox.address), secrets.token_hex(16))
        data = outgoing_bytes(
            settings,
            mailbox=mailbox,
            to_name=" ".join(p for p in (contact.first_name, contact.last_name) if p),
            to_address=contact.email,
            rendered=rendered.__class__(subject=subject, body=rendered.body),
            message_id=message_id,
            date=now,
            in_reply_to=their_id or None,
            references=thread,
        )
    except (SequenceError, ValueError) as exc:
        return Asked(
            f"wrong person: could not write the follow-up ({exc}); a human should ask", False
        )
    outbox.queue_message(
        session,
        {
            "message_id": message_id,
            "contact_id": person.id,
            "account_id": person.account_id,
            "mailbox": mailbox.id,
            "to_address": contact.email,
            "subject": subject,
            "in_reply_to": their_id,
            "references": " ".join(thread),
            "body": rendered.body,
            "raw": data.decode("ascii"),
            "created_at": now,
        },
        due=now,
    )
    return Asked("wrong person: asked who would be right (queued in the same thread)", True)


def _mailbox(settings: Settings, mailbox_id: str) -> Mailbox | None:
    return next((m for m in settings.config.mailboxes if m.id == mailbox_id), None)
