"""A review queue made the real way: contacts imported and enrolled, the first step sent
through the dispatcher, and the prospects' answers read by the ingest job (over a small
fake of the engine's own Inbox port), so every item, checklist and thread is what a rep
would see. Shared by the inbox tests."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, select
from textual.app import App

from prospector.adapters.sandbox_reply import reply_to
from prospector.config import Mailbox, Settings
from prospector.engine.inbox import ReviewQueue
from prospector.engine.ingest import FolderState, Ingester
from prospector.store import inbox
from prospector.store.tables import CONTACT, HANDOFF, INBOX_ITEM
from tests.engine.dispatch_kit import EVENING, Recorder, dispatcher, person, tick, workspace

READ_AT = EVENING + timedelta(hours=2)  # when the replies are read
NOW = EVENING + timedelta(hours=3)  # when the rep looks at the queue
SECOND_AE = (
    'capacity = 10                     # new hand-offs a week\n\n[[aes]]\nname = "Sam Lee"\n'
    'email = "sam.lee@northwind.example"\ncapacity = 10\n'
)


@dataclass(frozen=True)
class Reply:
    """A prospect (imported with this title) and what they answer to our first email."""

    local: str
    company: str
    first: str
    body: str
    users: int | None = None  # potential users, as a rep entered them before

    @property
    def email(self) -> str:
        return f"{self.local}@{self.company.lower()}-soft.com"

    def row(self) -> str:
        return person(self.local, self.company, first=self.first)


# Two SQL candidates (Di's company is too small an opportunity: a red line) and a question.
ANN = Reply("ann", "Alpha", "Ann", "Yes, happy to talk. Could we do a call Thursday at 3pm?")
DI = Reply("di", "Delta", "Di", "Sounds interesting. Can you send me a demo next week?", 5)
BOB = Reply("bob", "Beta", "Bob", "What does it cost per seat? Do you integrate with Salesforce?")
REPLIES = (ANN, DI, BOB)


@dataclass
class FakeMailbox:
    """One folder of the engine's Inbox port: UIDs and the bytes behind them."""

    messages: dict[int, bytes] = field(default_factory=dict)

    def open_folder(self, folder: str) -> FolderState:
        return FolderState(7, max(self.messages, default=0) + 1, len(self.messages))

    def uids_after(self, folder: str, last_uid: int) -> list[int]:
        return sorted(u for u in self.messages if u > last_uid)

    def headers(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
        return {u: self.messages[u].split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" for u in uids}

    def fetch(self, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
        return {u: self.messages[u] for u in uids}


@dataclass
class Queue:
    engine: Engine
    settings: Settings
    service: ReviewQueue

    def item_of(self, email: str) -> int:
        """The newest item of the person with this address."""
        query = (
            select(INBOX_ITEM.c.id)
            .join(CONTACT, CONTACT.c.id == INBOX_ITEM.c.contact_id)
            .where(CONTACT.c.email == email)
            .order_by(INBOX_ITEM.c.id.desc())
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalars().first() or 0)

    def state_of(self, email: str) -> str:
        query = select(INBOX_ITEM.c.state).where(INBOX_ITEM.c.id == self.item_of(email))
        with self.engine.connect() as conn:
            return str(conn.execute(query).scalar_one())

    def handoffs(self) -> list[tuple[int, str, str]]:
        """(item, AE, via) of every hand-off."""
        query = select(HANDOFF.c.item_id, HANDOFF.c.ae, HANDOFF.c.via).order_by(HANDOFF.c.id)
        with self.engine.connect() as conn:
            return [(int(i), str(a), str(v)) for i, a, v in conn.execute(query)]


def make_queue(
    engine: Engine,
    tmp_path: Path,
    replies: Sequence[Reply] = REPLIES,
    *,
    actor: str = "rita",
) -> Queue:
    """Send to each person, read their answers: the queue a rep finds the next morning.

    The config has two AEs (Dana Reyes first, then Sam Lee)."""
    rows = [reply.row() for reply in replies]
    settings = workspace(engine, tmp_path, rows, replace={SECOND_AE.split("\n")[0]: SECOND_AE})
    _enter_users(engine, replies)
    recorder = Recorder()
    tick(dispatcher(engine, settings, recorder), EVENING)
    mailbox = FakeMailbox()
    for uid, reply in enumerate(replies, start=1):
        original = next(s.data for s in recorder.sent if s.recipient == reply.email)
        mailbox.messages[uid] = reply_to(original, body=reply.body)

    @contextmanager
    def open_inbox(_mailbox: Mailbox) -> Iterator[FakeMailbox]:
        yield mailbox

    report = Ingester(engine, settings, open_inbox)(READ_AT)
    assert report.processed == len(replies), report
    return Queue(engine, settings, ReviewQueue(engine, settings, actor=actor))


def _enter_users(engine: Engine, replies: Sequence[Reply]) -> None:
    """Potential users a rep already knew, entered as accepting with --users does."""
    with engine.begin() as conn:
        for reply in replies:
            if reply.users is not None:
                query = select(CONTACT.c.account_id).where(CONTACT.c.email == reply.email)
                account = conn.execute(query).scalar_one()
                inbox.set_potential_users(conn, account, reply.users, EVENING)


def screen_text(app: App[object]) -> str:
    """What the terminal shows now, as plain text (the top screen over the ones beneath)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def notices(app: App[object]) -> str:
    """The notifications on screen now (title and message), each on one line."""
    toasts = app.screen.query("Toast")
    return "\n".join(" ".join(str(toast.render()).split()) for toast in toasts)
