"""Show the exact message a contact would get at one step of a sequence, without sending it.

Same catalog, context, rendering and composition as sending, so what preview shows is
what goes out; only the Message-IDs are placeholders (real ones are fixed at send time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from prospector.config import Mailbox, Settings
from prospector.domain.sequences import Sequence, thread_start
from prospector.engine.catalog import (
    find_sequence,
    mail_domain,
    message_context,
    outgoing_message,
    pick_mailbox,
    render_step,
)
from prospector.errors import ConfigError, NotFoundError, Problem, SequenceError
from prospector.mail.compose import new_message_id
from prospector.mail.render import environment, template_file
from prospector.store import tables


def preview(
    db: Engine | Session,
    settings: Settings,
    sequence_name: str,
    email: str,
    step: int,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """The message for `email` at `step` (0-based here; users see step + 1)."""
    sequence = find_sequence(settings, sequence_name)
    if not 0 <= step < len(sequence.steps):
        raise NotFoundError(
            f"sequence {sequence.name!r} has {len(sequence.steps)} step(s); "
            f"there is no step {step + 1}"
        )
    if isinstance(db, Session):
        return _preview(db, settings, sequence, email, step, now)
    with Session(db) as session:
        return _preview(session, settings, sequence, email, step, now)


def _preview(
    session: Session,
    settings: Settings,
    sequence: Sequence,
    email: str,
    step: int,
    now: datetime | None,
) -> EmailMessage:
    contact, account = find_contact(session, email)
    referrer = (
        session.get(tables.Contact, contact.referred_by_id) if contact.referred_by_id else None
    )
    mailbox = _mailbox(settings, sequence)
    context = message_context(contact, account, mailbox, settings.config.sender, referrer)
    env = environment(settings.templates_dir)
    rendered = render_step(env, sequence, step, context)
    ids = [_preview_id(mailbox, sequence, index, contact) for index in range(step + 1)]
    thread = ids[thread_start(sequence, step) : step]
    try:
        return outgoing_message(
            settings,
            mailbox=mailbox,
            to_name=" ".join(p for p in (contact.first_name, contact.last_name) if p.strip()),
            to_address=contact.email,
            rendered=rendered,
            message_id=ids[step],
            date=now or datetime.now(UTC),
            in_reply_to=thread[-1] if thread else None,
            references=thread,
        )
    except ValueError as exc:
        file = template_file(env, sequence.steps[step].template)
        raise SequenceError([Problem(file, f"cannot compose the message: {exc}")]) from exc


def find_contact(session: Session, email: str) -> tuple[tables.Contact, tables.Account]:
    """A contact and its account by address, whatever its case; NotFoundError when unknown."""
    wanted = email.strip().lower()
    statement = select(tables.Contact).where(func.lower(col(tables.Contact.email)) == wanted)
    contact = session.exec(statement).first()
    if contact is None:
        raise NotFoundError(f"no contact with address {email!r}; import it first")
    account = session.get(tables.Account, contact.account_id)
    if account is None:  # the foreign key makes this unreachable unless the DB was edited
        raise NotFoundError(f"contact {email!r} has no account row")
    return contact, account


def _mailbox(settings: Settings, sequence: Sequence) -> Mailbox:
    mailbox = pick_mailbox(settings, sequence)
    if mailbox is None:
        raise ConfigError(
            [
                Problem(
                    str(settings.path),
                    "no mailbox configured: nothing could be sent",
                    key="mailboxes",
                )
            ]
        )
    return mailbox


def _preview_id(mailbox: Mailbox, sequence: Sequence, index: int, contact: tables.Contact) -> str:
    """Deterministic, visibly fake IDs: `<preview.SEQUENCE.STEP.CONTACT@domain>`."""
    token = f"preview.{sequence.name}.{index + 1}.{contact.id or 0}"
    return new_message_id(mail_domain(mailbox.address), token)
