"""The workspace's sequences and templates: load them and render their steps.

`prospector validate`, `prospector preview` and the dispatcher share these functions, so
a message that validates is rendered the same way when it is sent.

Rendering contexts treat an empty value as a missing one: a contact whose first_name
is "" gets no `contact.first_name` at all, and the strict template environment then
refuses to render "Hi {{ contact.first_name }}," instead of producing "Hi ,".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment
from pydantic import ValidationError

from prospector.config import Mailbox, Sender, Settings, problems_from
from prospector.domain.sequences import TEMPLATE_SUFFIX, Sequence, parse_sequence, thread_start
from prospector.errors import InvalidError, NotFoundError, Problem, SequenceError
from prospector.mail.compose import (
    build_message,
    compose_bytes,
    footer,
    reply_subject,
)
from prospector.mail.render import Rendered, render
from prospector.store import tables
from prospector.tomlsource import TomlSource, load_toml

SEQUENCE_SUFFIX = ".toml"
# Templates the engine sends outside any sequence (reply handling); never "unused".
REPLY_TEMPLATES: Mapping[str, str] = {
    "who_is_right": "asks who would be right after a 'wrong person' reply that names nobody",
}
HANDOFF_PURPOSE = "introduces an accepted SQL to their AE (inbox accept --via intro)"
SAMPLE_AE = {"name": "Dana Reyes", "first_name": "Dana", "email": "dana@example.com"}
SAMPLE_NEXT_STEP = "Could we set up a call next Tuesday?"


def reply_templates(settings: Settings) -> dict[str, tuple[str, dict[str, Any]]]:
    """Templates sent outside sequences: name -> (what it is for, the extra variables it sees)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {
        name: (purpose, {}) for name, purpose in REPLY_TEMPLATES.items()
    }
    extra = {"ae": SAMPLE_AE, "next_step": SAMPLE_NEXT_STEP}
    found[settings.config.handoff.intro_template] = (HANDOFF_PURPOSE, extra)
    return found


SAMPLE_DATE = datetime(2030, 1, 8, 7, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Catalog:
    """Every sequence that parsed, the source it came from, and what failed to parse."""

    sequences: dict[str, Sequence]
    sources: dict[str, TomlSource]
    problems: list[Problem]
    mentioned: frozenset[str] = frozenset()  # templates named by any file, even a broken one


# --- loading -------------------------------------------------------------------------


def read_catalog(settings: Settings) -> Catalog:
    """Parse every `*.toml` in the sequences folder; a broken file never hides the others."""
    folder = settings.sequences_dir
    if not folder.is_dir():
        problem = Problem(str(folder), "sequences folder not found (see workspace.sequences_dir)")
        return Catalog({}, {}, [problem])
    sequences: dict[str, Sequence] = {}
    sources: dict[str, TomlSource] = {}
    problems: list[Problem] = []
    mentioned: set[str] = set()
    for path in sorted(folder.glob(f"*{SEQUENCE_SUFFIX}")):
        try:
            source = load_toml(path)
            mentioned |= _mentioned_templates(source.data)
            sequence = parse_sequence(path.stem, source.data)
        except InvalidError as exc:
            problems.extend(exc.problems)
        except ValidationError as exc:
            problems.extend(problems_from(source, exc))
        else:
            sequences[sequence.name] = sequence
            sources[sequence.name] = source
    return Catalog(sequences, sources, problems, frozenset(mentioned))


def _mentioned_templates(data: Mapping[str, Any]) -> set[str]:
    """Template names in a file's raw steps, so a typo elsewhere does not make them "unused"."""
    steps = data.get("steps")
    if not isinstance(steps, list):
        return set()
    names = (step.get("template") for step in steps if isinstance(step, dict))
    return {name.removesuffix(TEMPLATE_SUFFIX) for name in names if isinstance(name, str)}


def load_sequences(settings: Settings) -> tuple[dict[str, Sequence], list[Problem]]:
    """Sequences by name, and every problem met while reading them."""
    catalog = read_catalog(settings)
    return catalog.sequences, catalog.problems


def find_sequence(settings: Settings, name: str) -> Sequence:
    """One sequence by name; a broken file raises its problems, an unknown name NotFoundError."""
    catalog = read_catalog(settings)
    if name in catalog.sequences:
        return catalog.sequences[name]
    path = settings.sequences_dir / f"{name}{SEQUENCE_SUFFIX}"
    own = [p for p in catalog.problems if Path(p.file) == path]
    if own:
        raise SequenceError(own)
    known = ", ".join(sorted(catalog.sequences)) or "none"
    raise NotFoundError(f"no sequence named {name!r} in {settings.sequences_dir} (known: {known})")


def pick_mailbox(settings: Settings, sequence: Sequence) -> Mailbox | None:
    """The sequence's first mailbox that exists in config, else the config's first mailbox."""
    configured = {mailbox.id: mailbox for mailbox in settings.config.mailboxes}
    for mailbox_id in sequence.mailboxes:
        if mailbox_id in configured:
            return configured[mailbox_id]
    return settings.config.mailboxes[0] if settings.config.mailboxes else None


# --- contexts ------------------------------------------------------------------------


class ContactFields(Protocol):
    """What a template may say about a person: a Contact, or a database row of one."""

    @property
    def first_name(self) -> str: ...
    @property
    def last_name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def seniority(self) -> str: ...


class AccountFields(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def domain(self) -> str: ...
    @property
    def industry(self) -> str: ...
    @property
    def employees(self) -> int | None: ...
    @property
    def country(self) -> str: ...


def message_context(
    contact: ContactFields,
    account: AccountFields,
    mailbox: Mailbox,
    sender: Sender,
    referrer: ContactFields | None = None,
) -> dict[str, Any]:
    """The variables a template sees; blank values are left out so StrictUndefined catches them.

    `customers` is left out when the config lists none, and `referrer` exists only when
    one is given, so a template that needs either fails validation instead of rendering
    a sentence with a hole in it.
    """
    context: dict[str, Any] = {
        "contact": _present(
            first_name=contact.first_name,
            last_name=contact.last_name,
            full_name=_full_name(contact),
            title=contact.title,
            email=contact.email,
            seniority="" if contact.seniority == "unknown" else contact.seniority,
        ),
        "account": _present(
            name=account.name,
            domain=account.domain,
            industry=account.industry,
            employees=account.employees,
            country=account.country,
        ),
        "sender": _present(
            name=mailbox.name,
            first_name=(mailbox.name.split() or [""])[0],
            title=mailbox.title,
            email=mailbox.address,
            company=sender.company,
            product=sender.product,
        ),
    }
    customers = [name.strip() for name in sender.customers if name.strip()]
    if customers:
        context["customers"] = customers
    if referrer is not None:
        context["referrer"] = _present(
            first_name=referrer.first_name, full_name=_full_name(referrer), title=referrer.title
        )
    return context


def sample_context(
    settings: Settings, mailbox: Mailbox, *, referral: bool = False
) -> dict[str, Any]:
    """A plausible, complete contact: if a template fails on it, it fails on real ones too."""
    contact = tables.Contact(
        account_id=0,
        created_at=SAMPLE_DATE,
        updated_at=SAMPLE_DATE,
        first_name="Jamie",
        last_name="Rivera",
        title="VP of Operations",
        email="jamie.rivera@brightline-analytics.com",
        seniority="vp",
    )
    account = tables.Account(
        key="brightline-analytics.com",
        created_at=SAMPLE_DATE,
        updated_at=SAMPLE_DATE,
        name="Brightline Analytics",
        domain="brightline-analytics.com",
        industry="software",
        employees=250,
        country="US",
    )
    referrer = None
    if referral:
        referrer = tables.Contact(
            account_id=0,
            created_at=SAMPLE_DATE,
            updated_at=SAMPLE_DATE,
            email="jordan.lee@brightline-analytics.com",
            first_name="Jordan",
            last_name="Lee",
            title="CTO",
        )
    return message_context(contact, account, mailbox, settings.config.sender, referrer)


def _present(**values: object) -> dict[str, object]:
    """Drop None and blank strings: absent, not empty, is what makes a template fail loudly."""
    kept: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        if value is not None and value != "":
            kept[key] = value
    return kept


def _full_name(contact: ContactFields) -> str:
    return " ".join(
        part.strip() for part in (contact.first_name, contact.last_name) if part.strip()
    )


# --- rendering -----------------------------------------------------------------------


def render_step(
    env: Environment, sequence: Sequence, index: int, context: Mapping[str, Any]
) -> Rendered:
    """Render step `index`; a follow-up takes "Re: <subject of its thread's first email>"."""
    rendered = render(env, sequence.steps[index].template, context)
    start = thread_start(sequence, index)
    if start == index:
        return rendered
    opener = render(env, sequence.steps[start].template, context)
    return Rendered(subject=reply_subject(opener.subject), body=rendered.body)


def outgoing_message(settings: Settings, **fields: Any) -> EmailMessage:
    """The message as preview and validation show it; ValueError on unsafe headers."""
    return build_message(**_with_config(settings, **fields))


def outgoing_bytes(settings: Settings, **fields: Any) -> bytes:
    """The exact bytes the dispatcher hands to SMTP; the same message as `outgoing_message`."""
    return compose_bytes(**_with_config(settings, **fields))


def _with_config(
    settings: Settings,
    *,
    mailbox: Mailbox,
    to_name: str,
    to_address: str,
    rendered: Rendered,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    cc: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Compose arguments: the step's content plus the config's footer and unsubscribe headers."""
    sender = settings.config.sender
    return {
        "from_name": mailbox.name,
        "from_address": mailbox.address,
        "to_name": to_name,
        "to_address": to_address,
        "subject": rendered.subject,
        "body": rendered.body,
        "message_id": message_id,
        "date": date,
        "in_reply_to": in_reply_to,
        "references": references,
        "footer": footer(sender.opt_out, sender.postal_address),
        "list_unsubscribe_mailto": f"{mailbox.address}?subject=unsubscribe",
        "list_unsubscribe_url": sender.unsubscribe_url or None,
        "cc": cc,
    }


def mail_domain(address: str) -> str:
    """The part after @, used for Message-IDs so they match the sending domain."""
    return address.rsplit("@", 1)[-1]
