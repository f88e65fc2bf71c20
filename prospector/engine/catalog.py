"""The workspace's sequences and templates: load them, render their steps, check them all.

`prospector validate`, `prospector preview` and the dispatcher share these functions, so
a message that validates is rendered the same way when it is sent.

Rendering contexts treat an empty value as a missing one: a contact whose first_name
is "" gets no `contact.first_name` at all, and the strict template environment then
refuses to render "Hi {{ contact.first_name }}," instead of producing "Hi ,".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment
from pydantic import ValidationError

from prospector.config import Mailbox, Sender, Settings, problems_from
from prospector.domain.message_lint import lint_message
from prospector.domain.sequences import TEMPLATE_SUFFIX, Sequence, parse_sequence, thread_start
from prospector.errors import InvalidError, NotFoundError, Problem, SequenceError
from prospector.mail.compose import (
    build_message,
    footer,
    new_message_id,
    reply_subject,
    signed_body,
)
from prospector.mail.render import Rendered, environment, render, template_file, template_names
from prospector.store import tables
from prospector.tomlsource import TomlSource, load_toml

SEQUENCE_SUFFIX = ".toml"
# Templates the engine sends outside any sequence (reply handling); never "unused".
REPLY_TEMPLATES: Mapping[str, str] = {
    "who_is_right": "asks who would be right after a 'wrong person' reply that names nobody",
}
_SAMPLE_DATE = datetime(2030, 1, 8, 7, 30, tzinfo=UTC)
_PLACEHOLDER_MAILBOX = Mailbox(id="sample", address="sam.sender@example.com", name="Sam Sender")
_SUBJECT_RULES = ("empty-subject", "long-subject")
_LineFinder = Callable[..., int | None]  # line("sender", "opt_out") -> line in config.toml


@dataclass(frozen=True)
class Catalog:
    """Every sequence that parsed, the source it came from, and what failed to parse."""

    sequences: dict[str, Sequence]
    sources: dict[str, TomlSource]
    problems: list[Problem]
    mentioned: frozenset[str] = frozenset()  # templates named by any file, even a broken one


@dataclass(frozen=True)
class Validation:
    """The result of `validate_workspace`, with the counts the summary line reports."""

    sequences: int
    templates: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


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


def message_context(
    contact: tables.Contact,
    account: tables.Account,
    mailbox: Mailbox,
    sender: Sender,
    referrer: tables.Contact | None = None,
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
        created_at=_SAMPLE_DATE,
        updated_at=_SAMPLE_DATE,
        first_name="Jamie",
        last_name="Rivera",
        title="VP of Operations",
        email="jamie.rivera@brightline-analytics.com",
        seniority="vp",
    )
    account = tables.Account(
        key="brightline-analytics.com",
        created_at=_SAMPLE_DATE,
        updated_at=_SAMPLE_DATE,
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
            created_at=_SAMPLE_DATE,
            updated_at=_SAMPLE_DATE,
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


def _full_name(contact: tables.Contact) -> str:
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


def outgoing_message(
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
) -> EmailMessage:
    """Compose with the config's footer and unsubscribe headers; ValueError on unsafe headers."""
    sender = settings.config.sender
    return build_message(
        from_name=mailbox.name,
        from_address=mailbox.address,
        to_name=to_name,
        to_address=to_address,
        subject=rendered.subject,
        body=rendered.body,
        message_id=message_id,
        date=date,
        in_reply_to=in_reply_to,
        references=references,
        footer=footer(sender.opt_out, sender.postal_address),
        list_unsubscribe_mailto=f"{mailbox.address}?subject=unsubscribe",
        list_unsubscribe_url=sender.unsubscribe_url or None,
    )


def mail_domain(address: str) -> str:
    """The part after @, used for Message-IDs so they match the sending domain."""
    return address.rsplit("@", 1)[-1]


# --- validation ----------------------------------------------------------------------


def validate_workspace(settings: Settings) -> list[Problem]:
    """Every problem in config, sequences and templates: errors block sending, warnings advise."""
    return check_workspace(settings).problems


def check_workspace(settings: Settings) -> Validation:
    """`validate_workspace`, plus how many sequences and templates were looked at."""
    catalog = read_catalog(settings)
    config_problems = _config_problems(settings)
    checker = _Checker(
        settings,
        environment(settings.templates_dir),
        template_names(settings.templates_dir),
        config_ok=not any(p.severity == "error" for p in config_problems),
    )
    problems = [*config_problems, *catalog.problems, *checker.templates_dir()]
    for name, sequence in sorted(catalog.sequences.items()):
        problems += checker.sequence(sequence, catalog.sources[name])
    problems += checker.reply_templates()
    problems += checker.unused_templates(catalog)
    return Validation(len(catalog.sequences), len(checker.names), _unique(problems))


def _config_problems(settings: Settings) -> list[Problem]:
    """What is wrong in config.toml itself: reported once there, not once per template."""
    config, file = settings.config, str(settings.path)
    line = _config_lines(settings)
    problems = []
    if not config.mailboxes:
        message = "no mailbox configured: nothing could be sent"
        problems.append(Problem(file, message, line("mailboxes"), "mailboxes"))
    for key in ("opt_out", "postal_address"):
        if not getattr(config.sender, key).strip():
            message = f"sender.{key} is empty: every message must carry it (the law requires it)"
            problems.append(Problem(file, message, line("sender", key), f"sender.{key}", "warning"))
    url = config.sender.unsubscribe_url
    if url and not url.lower().startswith("https://"):
        message = "must start with https:// (one-click unsubscribe, RFC 8058)"
        key = "sender.unsubscribe_url"
        problems.append(Problem(file, message, line("sender", "unsubscribe_url"), key))
    if all(p.severity != "error" for p in problems):
        problems += _mailbox_compose_problems(settings, line)
    return problems


def _mailbox_compose_problems(settings: Settings, line: _LineFinder) -> list[Problem]:
    """Each mailbox must be able to send at all: its From line and headers must compose."""
    problems = []
    for i, mailbox in enumerate(settings.config.mailboxes):
        try:
            _compose_sample(settings, mailbox, Rendered("Test", "Test"))
        except ValueError as exc:
            message = f"mailbox {mailbox.id!r} cannot send: {exc}"
            key = f"mailboxes[{i}]"
            problems.append(Problem(str(settings.path), message, line("mailboxes", str(i)), key))
    return problems


def _config_lines(settings: Settings) -> _LineFinder:
    """A line finder over the config file; without a readable file every line is unknown."""
    try:
        source: TomlSource | None = load_toml(settings.path)
    except InvalidError:
        source = None

    def line(*loc: str) -> int | None:
        return source.line_of(loc) if source else None

    return line


def _compose_sample(settings: Settings, mailbox: Mailbox, rendered: Rendered) -> EmailMessage:
    return outgoing_message(
        settings,
        mailbox=mailbox,
        to_name="Jamie Rivera",
        to_address="jamie.rivera@brightline-analytics.com",
        rendered=rendered,
        message_id=new_message_id("brightline-analytics.com", "validate"),
        date=_SAMPLE_DATE,
    )


@dataclass(frozen=True)
class _Checker:
    """Checks templates as each sequence uses them: rendered, composed, then linted."""

    settings: Settings
    env: Environment
    names: list[str]
    config_ok: bool  # when config cannot compose, templates are not blamed for it

    def templates_dir(self) -> list[Problem]:
        folder = self.settings.templates_dir
        return [] if folder.is_dir() else [Problem(str(folder), "templates folder not found")]

    def sequence(self, sequence: Sequence, source: TomlSource) -> list[Problem]:
        """References first (segment, mailboxes, templates), then every step rendered."""
        return self._references(sequence, source) + self._steps(sequence)

    def _references(self, sequence: Sequence, source: TomlSource) -> list[Problem]:
        file, config = str(source.path), self.settings.config
        problems = []
        if sequence.segment is not None and sequence.segment not in config.segments:
            known = ", ".join(sorted(config.segments)) or "none defined"
            message = f"segment {sequence.segment!r} is not in the config (known: {known})"
            problems.append(Problem(file, message, source.line_of(("segment",)), "segment"))
        configured = {mailbox.id for mailbox in config.mailboxes}
        for i, mailbox_id in enumerate(sequence.mailboxes):
            if mailbox_id not in configured:
                line = source.line_of(("mailboxes", i))
                message = f"mailbox {mailbox_id!r} is not in the config"
                problems.append(Problem(file, message, line, f"mailboxes[{i}]"))
        for i, step in enumerate(sequence.steps):
            if step.template not in self.names:
                line = source.line_of(("steps", i, "template"))
                message = f"template {step.template!r} not found in {self.settings.templates_dir}"
                problems.append(Problem(file, message, line, f"steps[{i}].template"))
        return problems

    def _steps(self, sequence: Sequence) -> list[Problem]:
        mailbox = pick_mailbox(self.settings, sequence) or _PLACEHOLDER_MAILBOX
        context = sample_context(self.settings, mailbox, referral=sequence.referral)
        problems: list[Problem] = []
        for index, step in enumerate(sequence.steps):
            opener = sequence.steps[thread_start(sequence, index)].template
            if step.template not in self.names or opener not in self.names:
                continue  # already reported against the sequence file
            try:
                rendered = render_step(self.env, sequence, index, context)
            except SequenceError as exc:
                problems += exc.problems
                continue
            # A follow-up's subject is "Re: " + the opener's, already checked at the opener.
            opens_thread = thread_start(sequence, index) == index
            problems += self._message(step.template, mailbox, rendered, subject=opens_thread)
        return problems

    def _message(
        self, template: str, mailbox: Mailbox, rendered: Rendered, *, subject: bool
    ) -> list[Problem]:
        """Compose exactly as sending would (header checks), then lint the result."""
        file = template_file(self.env, template)
        sender = self.settings.config.sender
        if self.config_ok:
            try:
                _compose_sample(self.settings, mailbox, rendered)
            except ValueError as exc:
                return [Problem(file, f"cannot compose the message: {exc}")]
        body = signed_body(rendered.body, footer(sender.opt_out, sender.postal_address))
        warnings = lint_message(
            rendered.subject, body, opt_out=sender.opt_out, postal_address=sender.postal_address
        )
        problems = []
        for warning in warnings:
            is_subject = warning.startswith(_SUBJECT_RULES)
            if _config_owned(warning, sender) or (is_subject and not subject):
                continue
            problems.append(Problem(file, warning, 1 if is_subject else None, severity="warning"))
        return problems

    def reply_templates(self) -> list[Problem]:
        """Templates the engine sends as replies: warn when missing, check them like steps."""
        problems = []
        mailbox = (self.settings.config.mailboxes or (_PLACEHOLDER_MAILBOX,))[0]
        context = sample_context(self.settings, mailbox)
        for name, purpose in REPLY_TEMPLATES.items():
            if name not in self.names:
                message = f"template not found; it {purpose}, so those replies wait for a human"
                problems.append(Problem(template_file(self.env, name), message, severity="warning"))
                continue
            try:
                rendered = render(self.env, name, context)
            except SequenceError as exc:
                problems += exc.problems
                continue
            # Sent in the prospect's thread: its subject is "Re: <theirs>" unless it sets one.
            subject = rendered.subject or reply_subject("Right person at Brightline Analytics?")
            rendered = Rendered(subject, rendered.body)
            problems += self._message(name, mailbox, rendered, subject=True)
        return problems

    def unused_templates(self, catalog: Catalog) -> list[Problem]:
        """Templates no valid sequence renders: each must still render (it may be used tomorrow).

        Only those no file names at all are "unused"; one named by a sequence that failed
        to parse is merely unchecked until that file is fixed, so it is rendered here.
        """
        checked = {t for sequence in catalog.sequences.values() for t in sequence.templates}
        checked |= set(REPLY_TEMPLATES)
        mailbox = (self.settings.config.mailboxes or (_PLACEHOLDER_MAILBOX,))[0]
        context = sample_context(self.settings, mailbox, referral=True)
        problems = []
        for name in self.names:
            if name in checked:
                continue
            if name not in catalog.mentioned:
                message = "unused: no sequence uses this template"
                problems.append(Problem(template_file(self.env, name), message, severity="warning"))
            try:
                render(self.env, name, context)
            except SequenceError as exc:
                problems += exc.problems
        return problems


def _config_owned(warning: str, sender: Sender) -> bool:
    """Lint's "empty in the config" findings belong to config.toml, not to every template."""
    return (warning.startswith("missing-opt-out") and not sender.opt_out.strip()) or (
        warning.startswith("missing-postal-address") and not sender.postal_address.strip()
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    """A template shared by two sequences reports its problems once."""
    return list(dict.fromkeys(problems))
