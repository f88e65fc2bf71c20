"""A workspace with contacts enrolled, and a recording transport (a small fake of the engine's
own SMTP port; the real adapter is tested against a real server in tests/adapters)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from prospector.config import Mailbox, Settings, load_settings
from prospector.domain.delivery import SENT, Delivery
from prospector.engine.catalog import load_sequences
from prospector.engine.dispatch import Dispatcher, Transport
from prospector.engine.enrolling import enroll
from prospector.engine.importing import import_contacts
from prospector.errors import ProspectorError
from prospector.mail.render import environment
from prospector.store import outbox
from prospector.store.tables import ENROLLMENT, MESSAGE, Contact, Enrollment, Event, Message
from tests.conftest import NOW
from tests.workspaces import make_workspace

HEADER = (
    "email,first_name,last_name,title,company,website,industry,employees,revenue,country,"
    "timezone,business_model"
)
# Tuesday 2026-11-24 23:00 UTC is 18:00 in New York: inside the default window.
EVENING = datetime(2026, 11, 24, 23, 0, tzinfo=NOW.tzinfo)
NO_PACING = {
    "min_gap_seconds = 90": "min_gap_seconds = 0",
    "max_gap_seconds = 240": "max_gap_seconds = 0",
}


def person(local: str, company: str, zone: str = "America/New_York", first: str = "Pat") -> str:
    domain = f"{company.lower()}-soft.com"
    return f"{local}@{domain},{first},Doe,CEO,{company},{domain},saas,200,10000000,US,{zone},b2b"


@dataclass
class Sent:
    mailbox: str
    sender: str
    recipient: str
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """Answers each send with the next scripted Delivery for that recipient (default: sent)."""

    script: dict[str, list[Delivery]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # envelope addresses in copy
    opened: list[str] = field(default_factory=list)
    delay: float = 0.0
    failing: Delivery | None = None  # every send answers this while set (a server down)

    @asynccontextmanager
    async def connect(self, mailbox: Mailbox) -> AsyncIterator[Transport]:
        self.opened.append(mailbox.id)
        yield _Connection(self, mailbox)


@dataclass
class _Connection:
    recorder: Recorder
    mailbox: Mailbox

    async def send(
        self, *, sender: str, recipient: str, data: bytes, copies: tuple[str, ...] = ()
    ) -> Delivery:
        self.recorder.attempts.append(recipient)
        self.recorder.copies.extend(copies)
        if self.recorder.delay:
            await asyncio.sleep(self.recorder.delay)
        queue = self.recorder.script.get(recipient)
        delivery = self.recorder.failing or (queue.pop(0) if queue else SENT)
        if delivery.sent:
            self.recorder.sent.append(Sent(self.mailbox.id, sender, recipient, data))
        return delivery


def workspace(
    engine: Engine,
    tmp_path: Path,
    rows: Iterable[str],
    *,
    pacing: bool = False,
    replace: dict[str, str] | None = None,
    segment: str = "saas-leaders",
    sequence: str = "referral-ask",
) -> Settings:
    """init + config edits, the rows imported and enrolled at NOW."""
    edits = {**({} if pacing else NO_PACING), **(replace or {})}
    ws = make_workspace(tmp_path, replace=edits)
    settings = load_settings(ws / "config.toml")
    path = ws / "leads.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = import_contacts(engine, settings.config, path, now=NOW)
    assert report.rejected == 0, report
    enrolled = enroll(engine, settings, sequence, now=NOW, segment_name=segment)
    assert enrolled.enrolled > 0, enrolled
    return settings


def dispatcher(
    engine: Engine,
    settings: Settings,
    recorder: Recorder,
    *,
    seed: int = 7,
    token: Callable[[], str] | None = None,
) -> Dispatcher:
    sequences, problems = load_sequences(settings)
    assert not problems, problems
    counter = iter(range(1, 1_000_000))
    return Dispatcher(
        engine,
        settings,
        sequences,
        environment(settings.templates_dir),
        recorder.connect,
        rng=random.Random(seed),
        token=token or (lambda: f"t{next(counter)}"),
    )


def tick(d: Dispatcher, now: datetime) -> dict[str, object]:
    return asyncio.run(d.tick(now)).as_dict()


def enrollment_of(engine: Engine, email: str) -> Enrollment:
    with Session(engine) as session:
        query = select(Enrollment).join(Contact).where(Contact.email == email)
        return session.exec(query).one()


def messages(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        return list(session.exec(select(Message).order_by(col(Message.id))))


def event_kinds(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Event.kind).order_by(col(Event.id))))


@dataclass
class SentFolders:
    """A Sent folder per mailbox, as the provider (or an append) fills it."""

    folders: dict[str, list[bytes]] = field(default_factory=dict)
    down: bool = False

    @contextmanager
    def open(self, mailbox: Mailbox) -> Iterator[_Folder]:
        if self.down:
            raise ProspectorError("IMAP 127.0.0.1:1: connection refused")
        yield _Folder(self.folders.setdefault(mailbox.id, []))


@dataclass
class _Folder:
    messages: list[bytes]

    def contains(self, message_id: str) -> bool:
        return any(message_from_bytes(m)["Message-ID"] == message_id for m in self.messages)

    def append(self, raw: bytes, when: datetime) -> None:
        self.messages.append(raw)


def crash_after_smtp(engine: Engine) -> None:
    """What a SIGKILL between SMTP and the outcome commit leaves, after the next start:
    every outbound row back to "sending" then marked uncertain, every step only claimed."""
    with engine.begin() as conn:
        conn.execute(MESSAGE.update().values(state="sending", sent_at=None))
        conn.execute(ENROLLMENT.update().values(step=0, next_due_at=None))
        outbox.mark_uncertain(conn)
