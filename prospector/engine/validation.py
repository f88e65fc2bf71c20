"""`prospector validate`: every problem in config, sequences and templates, before any send.

Each sequence step is rendered against a sample contact, composed and linted as it
would be sent; problems are located by file, line and key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from jinja2 import Environment

from prospector.config import Mailbox, Sender, Settings
from prospector.domain.message_lint import lint_message
from prospector.domain.sequences import TEMPLATE_SUFFIX, Sequence, thread_start
from prospector.engine.catalog import (
    HANDOFF_PURPOSE,
    SAMPLE_DATE,
    SEQUENCE_SUFFIX,
    Catalog,
    outgoing_message,
    pick_mailbox,
    read_catalog,
    render_step,
    reply_templates,
    sample_context,
)
from prospector.errors import InvalidError, Problem, SequenceError
from prospector.mail.compose import (
    footer,
    new_message_id,
    reply_subject,
    signed_body,
)
from prospector.mail.render import Rendered, environment, render, template_file, template_names
from prospector.tomlsource import TomlSource, load_toml

_PLACEHOLDER_MAILBOX = Mailbox(id="sample", address="sam.sender@example.com", name="Sam Sender")
_SUBJECT_RULES = ("empty-subject", "long-subject")
_LineFinder = Callable[..., int | None]  # line("sender", "opt_out") -> line in config.toml


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
    problems += _webhook_problems(settings, line)
    if all(p.severity != "error" for p in problems):
        problems += _mailbox_compose_problems(settings, line)
    return problems


def _webhook_problems(settings: Settings, line: _LineFinder) -> list[Problem]:
    """A hand-off carries a prospect's name and address: it should travel signed and in TLS."""
    handoff, file = settings.config.handoff, str(settings.path)
    if not handoff.webhook_url:
        return []
    problems = []
    if handoff.webhook_url.startswith("http://"):
        message = "is plain http: hand-offs (names, addresses) would cross the network unencrypted"
        where = line("handoff", "webhook_url")
        problems.append(Problem(file, message, where, "handoff.webhook_url", "warning"))
    if not handoff.webhook_secret_env:
        message = "is empty: hand-offs go unsigned; the receiver cannot tell them from forgeries"
        where = line("handoff", "webhook_secret_env")
        problems.append(Problem(file, message, where, "handoff.webhook_secret_env", "warning"))
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
        date=SAMPLE_DATE,
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
        for name, (purpose, extra) in reply_templates(self.settings).items():
            if name not in self.names:
                if purpose == HANDOFF_PURPOSE and not self.settings.config.aes:
                    continue  # no AE to introduce: the intro is never sent
                message = f"template not found; it {purpose}, so those replies wait for a human"
                problems.append(Problem(template_file(self.env, name), message, severity="warning"))
                continue
            try:
                rendered = render(self.env, name, {**context, **extra})
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
        checked |= set(reply_templates(self.settings))
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


def concerns(problem: Problem, settings: Settings, sequence: Sequence) -> bool:
    """Whether `problem` is in the config, this sequence's file, or one of its templates."""
    files = [settings.path, settings.sequences_dir / f"{sequence.name}{SEQUENCE_SUFFIX}"]
    files += [settings.templates_dir / f"{t}{TEMPLATE_SUFFIX}" for t in sequence.templates]
    return any(_same_file(problem.file, path) for path in files)


def _same_file(reported: str, path: Path) -> bool:
    return Path(reported).resolve() == path.resolve()
