"""The review screen's windows: accept, reject, snooze, reclassify, referral, raw, help.

Each returns the rep's choice (or None on escape) to the queue screen, which decides; a
window never writes anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from prospector.engine import handoff
from prospector.engine.inbox import ItemView, ReviewQueue
from prospector.errors import ProspectorError

SNOOZE_DAYS = 7

KEYS = (
    ("1 2 3 4", "switch lane: SQL, review, referrals, snoozed"),
    ("↑ ↓  j k", "move in the list"),
    ("pgup pgdn", "scroll the item"),
    ("a", "accept: hand off to an AE (intro, call or transfer)"),
    ("r", "reject, with a reason"),
    ("s", "snooze until a day (and nurture)"),
    ("c", "reclassify the reply"),
    ("f", "referral: enroll a person the reply named"),
    ("o", "open the raw message"),
    ("F5", "reload the lane"),
    ("?", "this help"),
    ("q", "quit"),
    ("esc", "close a window without deciding"),
)


@dataclass(frozen=True)
class AcceptChoice:
    ae: str | None
    via: str
    users: int | None


@dataclass(frozen=True)
class SnoozeChoice:
    until: date
    nurture: bool


@dataclass(frozen=True)
class ReferralChoice:
    email: str
    name: str
    title: str


class Window(ModalScreen[Any]):
    """A centred box over the queue; escape closes it without deciding anything."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    Window { align: center middle; }
    Window > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    Window .problem { color: $error; height: auto; }
    Window .buttons { height: 1; margin-top: 1; }
    Window .buttons Button { margin-right: 2; }
    """

    def action_cancel(self) -> None:
        self.dismiss(None)

    def problem(self, message: str) -> None:
        self.query_one(".problem", Label).update(message)

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)


def _buttons(confirm: str) -> Horizontal:
    return Horizontal(
        Button(confirm, id="confirm", variant="primary", compact=True),
        Button("Cancel", id="cancel", compact=True),
        classes="buttons",
    )


class PickWindow(Window):
    """Pick one of a few words (a reject reason, a category): arrows, then enter."""

    def __init__(self, title: str, choices: tuple[str, ...] | list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Content(self.title_text)
            yield OptionList(*(Option(c, id=c) for c in self.choices), id="choices")
            yield Label("enter: choose · esc: cancel", classes="hint")

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class SnoozeWindow(Window):
    """The day it comes back (default a week on) and whether to nurture the person."""

    def __init__(self, title: str, today: date) -> None:
        super().__init__()
        self.title_text = title
        self.today = today

    def compose(self) -> ComposeResult:
        default = (self.today + timedelta(days=SNOOZE_DAYS)).isoformat()
        with Vertical() as box:
            box.border_title = Content(self.title_text)
            yield Label("Back on (YYYY-MM-DD):")
            yield Input(default, id="until", compact=True)
            yield Checkbox("nurture the person until then", id="nurture", compact=True)
            yield Label("", classes="problem", markup=False)
            yield _buttons("Snooze")

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _confirmed(self) -> None:
        text = self.query_one("#until", Input).value.strip()
        try:
            until = date.fromisoformat(text)
        except ValueError:
            self.problem(f"{text!r} is not a date (YYYY-MM-DD)")
            return
        if until <= self.today:
            self.problem(f"snooze until a day after today ({self.today})")
            return
        self.dismiss(SnoozeChoice(until, self.query_one("#nurture", Checkbox).value))


class ReferralWindow(Window):
    """A person the reply named: their address (required), name and title."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Content(self.title_text)
            yield Label("Email:")
            yield Input(id="email", placeholder="jane@company.com", compact=True)
            yield Label("Name:")
            yield Input(id="name", placeholder="Jane Smith", compact=True)
            yield Label("Title:")
            yield Input(id="title", placeholder="VP Operations", compact=True)
            yield Label("", classes="problem", markup=False)
            yield _buttons("Enroll")

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _confirmed(self) -> None:
        email = self.query_one("#email", Input).value.strip()
        if "@" not in email:
            self.problem("an email address is needed")
            self.query_one("#email", Input).focus()
            return
        name = self.query_one("#name", Input).value.strip()
        title = self.query_one("#title", Input).value.strip()
        self.dismiss(ReferralChoice(email, name, title))


class AcceptWindow(Window):
    """Hand off: the AE (least loaded first), how, potential users, and the intro's draft."""

    AUTO_FOCUS = "#confirm"
    DEFAULT_CSS = """
    AcceptWindow > Vertical { height: 100%; }
    AcceptWindow RadioSet { layout: horizontal; height: auto; width: 100%; border: none; }
    AcceptWindow RadioButton { width: auto; margin-right: 2; }
    AcceptWindow #draft { height: 1fr; min-height: 4; border: round $panel; }
    AcceptWindow .row { height: auto; }
    AcceptWindow .row Label { width: 17; }
    """

    def __init__(self, service: ReviewQueue, view: ItemView, now: datetime) -> None:
        super().__init__()
        self.service = service
        self.view = view
        self.now = now
        self.aes = [ae.name for ae in service.settings.config.aes]
        self.default_ae, self.load_problem = _least_loaded(service, now)

    def compose(self) -> ComposeResult:
        via = self.service.settings.config.handoff.via
        with Vertical() as box:
            person = self.view.person
            box.border_title = Content(f"Accept {person.name} ({person.company})")
            with Horizontal(classes="row"):
                yield Label("AE:")
                yield RadioSet(
                    *(
                        RadioButton(Content(name), value=name == self.default_ae, compact=True)
                        for name in self.aes
                    ),
                    id="ae",
                    compact=True,
                )
            with Horizontal(classes="row"):
                yield Label("via:")
                yield RadioSet(
                    *(RadioButton(v, value=v == via, compact=True) for v in handoff.VIAS),
                    id="via",
                    compact=True,
                )
            with Horizontal(classes="row"):
                yield Label("potential users:")
                yield Input(id="users", type="integer", placeholder="if known", compact=True)
            with VerticalScroll(id="draft"):
                yield Static(id="draft-text", markup=False)
            yield Label(self.load_problem, classes="problem", markup=False)
            yield _buttons("Accept")

    def on_mount(self) -> None:
        self._show_draft()

    @on(RadioSet.Changed)
    def _changed(self) -> None:
        self._show_draft()

    def chosen_ae(self) -> str | None:
        pressed = self.query_one("#ae", RadioSet).pressed_button
        return str(pressed.label) if pressed is not None else self.default_ae

    def chosen_via(self) -> str:
        pressed = self.query_one("#via", RadioSet).pressed_button
        return str(pressed.label) if pressed is not None else handoff.VIAS[0]

    def _show_draft(self) -> None:
        target = self.query_one("#draft", VerticalScroll)
        via = self.chosen_via()
        target.border_title = "intro email to be sent" if via == "intro" else "the AE's task"
        self.query_one("#draft-text", Static).update(self._draft_text(via))

    def _draft_text(self, via: str) -> str:
        if via != "intro":
            return handoff.task_text(via, self.view.person) + "\n(no email is sent)"
        try:
            found = self.service.draft(self.view.item.id, ae=self.chosen_ae(), now=self.now)
        except ProspectorError as exc:
            return f"no intro can be drafted: {exc}"
        return (
            f"From: {found.mailbox.name} <{found.mailbox.address}>\n"
            f"To: {found.to_name} <{found.to_address}>\n"
            f"Cc: {found.cc[0]} <{found.cc[1]}>\n"
            f"Subject: {found.subject}\n\n{found.body}"
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _confirmed(self) -> None:
        users_text = self.query_one("#users", Input).value.strip()
        try:
            users = int(users_text) if users_text else None
        except ValueError:
            users = -1
        if users is not None and users < 0:
            self.problem("potential users: a whole number, 0 or more (or nothing)")
            return
        self.dismiss(AcceptChoice(self.chosen_ae(), self.chosen_via(), users))


def _least_loaded(service: ReviewQueue, now: datetime) -> tuple[str | None, str]:
    """The AE accepting picks by default (fewest hand-offs this week), or why there is none."""
    try:
        return service.default_ae(now), ""
    except ProspectorError as exc:
        return None, str(exc)


class RawWindow(Window):
    """The reply exactly as it arrived, scrollable; esc, q or o closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,o", "cancel", "Close"),
    ]
    DEFAULT_CSS = """
    RawWindow > Vertical { height: 100%; }
    RawWindow TextArea { height: 1fr; border: none; }
    """

    def __init__(self, title: str, raw: bytes) -> None:
        super().__init__()
        self.title_text = title
        self.raw = raw

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Content(self.title_text)
            box.border_subtitle = "esc: close"
            text = self.raw.decode("utf-8", "replace")
            yield TextArea(text, read_only=True, id="raw", compact=True)


class HelpWindow(Window):
    """The keys, one a line; esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "cancel", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Keys"
            box.border_subtitle = "esc: close"
            yield Static(help_text(), markup=False)


def help_text() -> str:
    return "\n".join(f"{key:<11} {what}" for key, what in KEYS)
