"""The review screen (Textual): a list on the left, the item on the right, one-key actions.

Every read is one page of the lane or one item, never the whole queue, so the screen stays
quick with 100,000 replies waiting. Every decision carries the version the rep was shown:
a rep who loses a race to a colleague gets a notice and a fresh list, never a crash and
never an overwritten decision.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Footer,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from prospector.cli.inbox import MARKS
from prospector.cli.inbox_windows import (
    AcceptChoice,
    AcceptWindow,
    HelpWindow,
    PickWindow,
    RawWindow,
    ReferralChoice,
    ReferralWindow,
    SnoozeChoice,
    SnoozeWindow,
)
from prospector.engine.inbox import RECLASSIFY_TO, REJECT_REASONS, ItemView, ReviewQueue
from prospector.errors import ConflictError, ProspectorError
from prospector.store.inbox import LANES, QueueEntry, sort_key

Clock = Callable[[], datetime]

PAGE = 100  # entries read at a time
PREFETCH = 10  # the next page is read when the cursor comes this close to the end
LANE_LABELS = {"sql": "SQL", "review": "review", "referral": "referrals", "snoozed": "snoozed"}
STATUS_STYLES = {"green": "green", "red": "red", "unknown": "yellow"}
HIGHLIGHT = "bold black on yellow"


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- what the panes show -------------------------------------------------------------------


def lanes_text(counts: dict[str, int], current: str) -> Text:
    """The header: each lane with its key and count, the current one standing out."""
    text = Text()
    for number, lane in enumerate(LANES, start=1):
        if number > 1:
            text.append("  ")
        style = "bold reverse" if lane == current else ""
        text.append(f" {number} {LANE_LABELS[lane]} ({counts.get(lane, 0)}) ", style)
    return text


def entry_prompt(entry: QueueEntry) -> Text:
    """One entry of the list, two lines: who, then company and what they said."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(entry.name, "bold")
    text.append(f"\n{entry.company} · {entry.category or entry.why}", "dim")
    return text


def detail_text(view: ItemView) -> Text:
    """The item: who, the checklist, the sorter's verdict, the thread, any hand-off."""
    text = Text()
    _person(text, view)
    _checklist(text, view)
    _verdict(text, view)
    _thread(text, view)
    if view.handoff:
        h = view.handoff
        text.append(f"\nhand-off {h['id']}: {h['ae']} via {h['via']} — {h['task']}\n", "bold")
    sentence = next((line.highlight for line in view.checklist if line.highlight), "")
    if sentence:
        text.highlight_words([sentence], HIGHLIGHT)
    return text


def _person(text: Text, view: ItemView) -> None:
    person, item = view.person, view.item
    text.append(person.name, "bold")
    text.append(f" <{person.email}>\n")
    text.append(f"{person.title or 'no title'}, {person.company}\n")
    text.append(f"#{item.id} {item.lane}, {item.state}, v{item.version} — {item.why}\n", "dim")


def _checklist(text: Text, view: ItemView) -> None:
    text.append("\nChecklist\n", "bold underline")
    for line in view.checklist:
        style = STATUS_STYLES[line.status.value]
        text.append(f" {MARKS[line.status.value]} {line.label}", f"bold {style}")
        text.append(f": {line.reason}\n", style)
        if line.highlight:
            text.append("   “")
            text.append(line.highlight, HIGHLIGHT)
            text.append("”\n")


def _verdict(text: Text, view: ItemView) -> None:
    confidence = f" ({view.confidence:.2f})" if view.confidence is not None else ""
    text.append("\nReply: ", "bold underline")
    text.append(f"{view.category or 'not sorted'}{confidence}\n", "bold")
    for evidence in view.evidence:
        text.append(f" · {evidence}\n", "dim")
    for referral in view.referrals:
        who = " ".join(str(referral.get(k) or "") for k in ("name", "email", "title")).strip()
        text.append(f" referral: {who}\n")


def _thread(text: Text, view: ItemView) -> None:
    text.append("\nThread\n", "bold underline")
    for entry in view.thread:
        arrow = "→ we wrote" if entry.direction == "out" else "← they wrote"
        style = "cyan" if entry.direction == "out" else "magenta"
        text.append(f"{entry.at:%Y-%m-%d %H:%M} {arrow}", f"bold {style}")
        text.append(f" ({entry.note}): {entry.subject}\n", "dim")
        for line in entry.text.splitlines():
            text.append(f"  {line}\n")


# --- the queue -------------------------------------------------------------------------------


class QueueScreen(Screen[None]):
    """The lane's list and the selected item; the keys act on the selected item."""

    AUTO_FOCUS = "#queue"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "Accept"),
        Binding("r", "reject", "Reject"),
        Binding("s", "snooze", "Snooze"),
        Binding("c", "reclassify", "Reclass"),
        Binding("f", "refer", "Referral"),
        Binding("o", "raw", "Raw"),
        Binding("question_mark", "help", "Keys"),
        Binding("q", "quit", "Quit"),
        Binding("1", "lane('sql')", show=False),
        Binding("2", "lane('review')", show=False),
        Binding("3", "lane('referral')", show=False),
        Binding("4", "lane('snoozed')", show=False),
        # Moving shows the item in the same frame as the cursor (not one message later).
        Binding("down,j", "move(1)", show=False, priority=True),
        Binding("up,k", "move(-1)", show=False, priority=True),
        Binding("pagedown", "scroll_detail(1)", show=False, priority=True),
        Binding("pageup", "scroll_detail(-1)", show=False, priority=True),
        Binding("f5", "reload", show=False),
    ]
    DEFAULT_CSS = """
    #lanes { height: 1; background: $panel; }
    #body { height: 1fr; }
    #queue { width: 30; height: 100%; border: none; border-right: vkey $panel-lighten-2; }
    #detail { width: 1fr; height: 100%; padding: 0 1; }
    """

    def __init__(self, service: ReviewQueue, now: Clock) -> None:
        super().__init__()
        self.service = service
        self.now = now
        self.lane = LANES[0]
        self.counts: dict[str, int] = dict.fromkeys(LANES, 0)
        self.entries: list[QueueEntry] = []
        self.exhausted = True
        self.loading = False  # a next page is on its way
        self.view: ItemView | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="lanes")
        with Horizontal(id="body"):
            yield OptionList(id="queue", compact=True)
            with VerticalScroll(id="detail"):
                yield Static(id="detail-text")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.reload()

    # --- the list ---------------------------------------------------------------------------

    @property
    def queue(self) -> OptionList:
        return self.query_one("#queue", OptionList)

    def reload(self, *, keep: int = 0) -> None:
        """Counts and the lane's first entries afresh; the cursor at `keep` (or the last)."""
        now = self.now()
        self.counts = self.service.counts(now)
        self.query_one("#lanes", Static).update(lanes_text(self.counts, self.lane))
        wanted = max(PAGE, min(len(self.entries), keep + PREFETCH + 1))
        self.entries = self.service.page(self.lane, now=now, limit=wanted)
        self.exhausted = len(self.entries) < wanted
        queue = self.queue
        queue.clear_options()
        queue.add_options([_option(e) for e in self.entries])
        self.view = None
        if not self.entries:
            self._show_nothing()
            return
        index = min(keep, len(self.entries) - 1)
        queue.highlighted = index
        self._show(self.entries[index])

    def _load_more(self) -> None:
        """The next page, read from where the list ends (keyset: no offset to count)."""
        self.loading = False
        if self.exhausted or not self.entries:
            return
        found = self.service.page(
            self.lane, now=self.now(), limit=PAGE, after=sort_key(self.entries[-1])
        )
        self.exhausted = len(found) < PAGE
        known = {e.id for e in self.entries}
        fresh = [e for e in found if e.id not in known]
        self.entries += fresh
        self.queue.add_options([_option(e) for e in fresh])

    @on(OptionList.OptionHighlighted, "#queue")
    def _highlighted(self) -> None:
        self._follow()

    def _follow(self) -> None:
        """Show the entry under the cursor (unless shown), and read on near the end."""
        index = self.queue.highlighted
        if index is None or not 0 <= index < len(self.entries):
            return
        entry = self.entries[index]
        if self.view is None or self.view.item.id != entry.id:
            self._show(entry)
        if not self.exhausted and not self.loading and index >= len(self.entries) - PREFETCH:
            self.loading = True  # after this frame: the move shows at once, the page follows
            self.call_after_refresh(self._load_more)

    def _show(self, entry: QueueEntry) -> None:
        try:
            self.view = self.service.view(entry.id)
        except ProspectorError as exc:
            self.view = None
            self.query_one("#detail-text", Static).update(Text(str(exc), "red"))
            return
        self.query_one("#detail-text", Static).update(detail_text(self.view))
        self.query_one("#detail", VerticalScroll).scroll_home(animate=False)

    def _show_nothing(self) -> None:
        label = LANE_LABELS[self.lane]
        self.query_one("#detail-text", Static).update(Text(f"Nothing waiting in {label}.", "dim"))

    # --- moving -----------------------------------------------------------------------------

    def action_lane(self, lane: str) -> None:
        if lane != self.lane:
            self.lane = lane
            self.entries = []
            self.reload()

    def action_move(self, step: int) -> None:
        if step > 0:
            self.queue.action_cursor_down()
        else:
            self.queue.action_cursor_up()
        self._follow()

    def action_scroll_detail(self, step: int) -> None:
        detail = self.query_one("#detail", VerticalScroll)
        if step > 0:
            detail.scroll_page_down(animate=False)
        else:
            detail.scroll_page_up(animate=False)

    def action_reload(self) -> None:
        self.reload(keep=self.queue.highlighted or 0)

    def action_help(self) -> None:
        self.app.push_screen(HelpWindow())

    def action_quit(self) -> None:
        self.app.exit()

    def action_raw(self) -> None:
        view = self._selected()
        if view is None:
            return
        try:
            raw = self.service.raw(view.item.id)
        except ProspectorError as exc:
            self.notify(str(exc), title="Cannot open", severity="error", markup=False)
            return
        self.app.push_screen(RawWindow(f"raw message of #{view.item.id}", raw))

    # --- deciding ---------------------------------------------------------------------------

    def _selected(self) -> ItemView | None:
        if self.view is None:
            self.notify("Nothing selected.", severity="warning", markup=False)
        return self.view

    def action_accept(self) -> None:
        view = self._selected()
        if view is None:
            return
        window = AcceptWindow(self.service, view, self.now())
        self.app.push_screen(window, lambda choice: self._accept(view, choice))

    def _accept(self, view: ItemView, choice: AcceptChoice | None) -> None:
        if choice is None:
            return

        def run() -> str:
            done = self.service.accept(
                view.item.id,
                now=self.now(),
                ae=choice.ae,
                via=choice.via,
                users=choice.users,
                version=view.item.version,
            )
            return f"{view.person.name}: handed off to {done.ae} via {done.via}"

        self._decide(run)

    def action_reject(self) -> None:
        view = self._selected()
        if view is None:
            return
        window = PickWindow(f"Reject {view.person.name}: why?", list(REJECT_REASONS))
        self.app.push_screen(window, lambda reason: self._reject(view, reason))

    def _reject(self, view: ItemView, reason: str | None) -> None:
        if reason is None:
            return

        def run() -> str:
            version = view.item.version
            self.service.reject(view.item.id, reason=reason, now=self.now(), version=version)
            return f"{view.person.name}: rejected ({reason})"

        self._decide(run)

    def action_snooze(self) -> None:
        view = self._selected()
        if view is None:
            return
        window = SnoozeWindow(f"Snooze {view.person.name}", self.now().date())
        self.app.push_screen(window, lambda choice: self._snooze(view, choice))

    def _snooze(self, view: ItemView, choice: SnoozeChoice | None) -> None:
        if choice is None:
            return

        def run() -> str:
            self.service.snooze(
                view.item.id,
                until=choice.until,
                nurture=choice.nurture,
                now=self.now(),
                version=view.item.version,
            )
            return f"{view.person.name}: snoozed until {choice.until}"

        self._decide(run)

    def action_reclassify(self) -> None:
        view = self._selected()
        if view is None:
            return
        title = f"Reclassify {view.person.name} (now {view.category or 'not sorted'})"
        window = PickWindow(title, RECLASSIFY_TO)
        self.app.push_screen(window, lambda category: self._reclassify(view, category))

    def _reclassify(self, view: ItemView, category: str | None) -> None:
        if category is None:
            return

        def run() -> str:
            done = self.service.reclassify(
                view.item.id, category=category, now=self.now(), version=view.item.version
            )
            return f"{view.person.name} is now {category}: {done}"

        self._decide(run)

    def action_refer(self) -> None:
        view = self._selected()
        if view is None:
            return
        window = ReferralWindow(f"Referral from {view.person.name}")
        self.app.push_screen(window, lambda choice: self._refer(view, choice))

    def _refer(self, view: ItemView, choice: ReferralChoice | None) -> None:
        if choice is None:
            return

        def run() -> str:
            done = self.service.refer(
                view.item.id,
                email=choice.email,
                name=choice.name,
                title=choice.title,
                now=self.now(),
                version=view.item.version,
            )
            return f"{view.person.name}: {done}"

        self._decide(run)

    def _decide(self, run: Callable[[], str]) -> None:
        """Run a decision; a lost race or a refusal is told, then the list is read again."""
        keep = self.queue.highlighted or 0
        try:
            said = run()
        except ConflictError as exc:
            self.notify(
                str(exc), title="Conflict: nothing changed", severity="warning", markup=False
            )
        except ProspectorError as exc:
            self.notify(str(exc), title="Not done", severity="error", markup=False)
        except SQLAlchemyError as exc:  # e.g. the database busy: the rep can try again
            self.notify(str(exc), title="Not done", severity="error", markup=False)
        else:
            self.notify(said, title="Done", markup=False)
        self.reload(keep=keep)


def _option(entry: QueueEntry) -> Option:
    return Option(entry_prompt(entry), id=str(entry.id))


class InboxApp(App[None]):
    """The review screen over one `ReviewQueue` service; `now` is injectable for tests."""

    TITLE = "prospector inbox"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, service: ReviewQueue, *, now: Clock = _utc_now) -> None:
        super().__init__()
        self.service = service
        self.now = now

    def get_default_screen(self) -> QueueScreen:
        return QueueScreen(self.service, self.now)

    @property
    def queue_screen(self) -> QueueScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, QueueScreen)
        return screen


def run_app(service: ReviewQueue) -> None:
    InboxApp(service).run()
