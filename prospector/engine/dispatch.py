"""One dispatch tick: due steps become messages, sent exactly once, inside every rule.

For each step: the rules are asked (`domain.sendability.decide`); the step is claimed and
its message row, with a Message-ID and its exact bytes, committed; only then is SMTP
called; the outcome is committed after. A crash between the two commits leaves the row
"sending", which the next start marks "uncertain" for reconciliation: never resent blindly.

One bad item never stops the tick: a step that cannot be rendered, or whose sequence or
mailbox is gone, is held with its reason for a human, and the tick goes on.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from jinja2 import Environment
from sqlalchemy import Connection, Engine

from prospector.config import Mailbox, Settings
from prospector.domain.caps import mailbox_day
from prospector.domain.delivery import Delivery, Scope, Verdict
from prospector.domain.pacing import next_send_after
from prospector.domain.retrying import mailbox_pause, retry_delay
from prospector.domain.sendability import Facts, Stop, Wait, decide
from prospector.domain.sequences import Sequence, thread_start
from prospector.engine.catalog import mail_domain, message_context, outgoing_bytes, render_step
from prospector.engine.progress import advance_enrollment, stop_enrollments
from prospector.engine.reconcile import SentFolders
from prospector.errors import ProspectorError, SequenceError
from prospector.mail.compose import new_message_id
from prospector.store import outbox
from prospector.store.events import record_event

PAUSED_WALKS = ("paused", "held")  # enrollments whose waiting messages wait with them
log = logging.getLogger("prospector.dispatch")

DUE_BATCH = 5000  # due steps looked at per tick; the rest wait for the next tick
DETAILS_BATCH = 100  # due steps whose details are read at once, as the tick gets to them


class Transport(Protocol):
    """Hands wire bytes to a mail server; every failure comes back as a Delivery."""

    async def send(
        self, *, sender: str, recipient: str, data: bytes, copies: tuple[str, ...] = ()
    ) -> Delivery: ...


TransportFactory = Callable[[Mailbox], AbstractAsyncContextManager[Transport]]


@dataclass
class TickReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    bounced: int = 0
    held: int = 0
    stopped: int = 0
    waiting: Counter[str] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(str(self))

    def __str__(self) -> str:
        """One log line; empty when the tick had nothing to report."""
        counts = [f"{name} {n}" for name, n in self.as_dict().items() if n and name != "waiting"]
        waits = [f"{n} {why}" for why, n in sorted(self.waiting.items())]
        return "; ".join(
            filter(None, (", ".join(counts), ", ".join(waits) and "waiting: " + ", ".join(waits)))
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "bounced": self.bounced,
            "held": self.held,
            "stopped": self.stopped,
            "waiting": dict(self.waiting),
        }


@dataclass
class _MailboxTick:
    """One mailbox during one tick: its config, state, counts and (lazily) its connection."""

    mailbox: Mailbox
    status: outbox.MailboxStatus
    day_start: datetime
    day_end: datetime
    sent_today: int
    per_account: Counter[int]  # messages to each account in this mailbox's day
    transport: Transport | None = None
    blocked: bool = False


class Dispatcher:
    """Holds what stays the same between ticks; `tick(now)` does the work."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        sequences: Mapping[str, Sequence],
        templates: Environment,
        transports: TransportFactory,
        *,
        rng: random.Random | None = None,
        token: Callable[[], str] = lambda: secrets.token_hex(16),
        stopping: Callable[[], bool] = lambda: False,
        unusable: frozenset[str] | set[str] = frozenset(),
        sent_folders: SentFolders | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.sequences = sequences
        self.templates = templates
        self.transports = transports
        self.rng = rng or random.Random()
        self.token = token
        self.stopping = stopping
        self.unusable = unusable  # sequences with errors: their steps wait until fixed
        self.sent_folders = sent_folders  # for mailboxes whose sent_copy is "append"
        self.mailboxes = {m.id: m for m in settings.config.mailboxes}
        self._conn: Connection | None = None

    async def tick(self, now: datetime) -> TickReport:
        """Send what may be sent at `now`; retries first, then due steps, oldest first."""
        report = TickReport()
        with self.engine.connect() as conn:
            self._conn = conn  # one connection per tick: no pool round trip per message
            try:
                await self._tick(now, report)
                conn.commit()  # the last outcome
            finally:
                self._conn = None
        return report

    async def _tick(self, now: datetime, report: TickReport) -> None:
        with self._read() as session:
            retries = outbox.due_retries(session, now, limit=DUE_BATCH)
            due = outbox.due_ids(session, now, limit=DUE_BATCH)
            in_progress = outbox.accounts_in_progress(session)
        ticks: dict[str, _MailboxTick] = {}
        async with AsyncExitStack() as connections:
            for retry in retries:
                if self.stopping():
                    return
                box = self._mailbox_tick(retry.mailbox, now, ticks)
                if box is None:
                    continue  # a retry of a mailbox removed from config waits for it
                await self._retry(retry, box, now, connections, report)
            for start in range(0, len(due), DETAILS_BATCH):
                with self._read() as session:
                    steps = outbox.due_steps(session, due[start : start + DETAILS_BATCH])
                for step in steps:
                    if self.stopping():
                        return
                    await self._step(step, now, ticks, in_progress, connections, report)

    # Units of work on the tick's one connection. A claim commits (with whatever came
    # before it) before SMTP is called: that is the exactly-once rule. An outcome is written
    # without its own commit and goes out with the next claim, or at the end of the tick;
    # a crash in between leaves the row "sending", which start-up marks uncertain and the
    # reconciler settles, exactly as a crash between SMTP and a separate commit would.

    @contextmanager
    def _unit(self) -> Iterator[Connection]:
        """Writes that must be durable now: committed (with anything pending) on success."""
        conn = self._connection()
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    @contextmanager
    def _deferred(self) -> Iterator[Connection]:
        """An outcome: written now, committed with the next unit or at the end of the tick."""
        conn = self._connection()
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        yield self._connection()

    def _connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the dispatcher's units of work only run inside tick()")
        return self._conn

    # --- per item ------------------------------------------------------------------------

    async def _step(
        self,
        due: outbox.DueStep,
        now: datetime,
        ticks: dict[str, _MailboxTick],
        in_progress: dict[str, set[int]],
        connections: AsyncExitStack,
        report: TickReport,
    ) -> None:
        if due.sequence in self.unusable:
            report.waiting["sequence has errors (prospector validate)"] += 1
            return
        sequence = self.sequences.get(due.sequence)
        if sequence is None or due.step >= len(sequence.steps):
            why = f"sequence {due.sequence!r} is missing, invalid or has no step {due.step + 1}"
            self._hold(due, now, why, report)
            return
        box = self._mailbox_tick(due.mailbox, now, ticks)
        if box is None:
            self._hold(due, now, f"mailbox {due.mailbox!r} is not in the config", report)
            return
        if box.blocked:
            report.waiting["mailbox busy or blocked"] += 1
            return
        accounts = in_progress.setdefault(due.sequence, set())
        facts = Facts(
            now=now,
            zone=self._zone(due.zone),
            country=due.country,
            window=sequence.window or self.settings.config.sending.window,
            suppressed=None,  # read again inside the claim, at the moment of sending
            caps=self.settings.config.sending.caps(box.mailbox),
            sent_today_by_mailbox=box.sent_today,
            sent_today_to_account=box.per_account[due.account_id],
            accounts_in_progress=len(accounts),
            account_in_progress=due.account_id in accounts,
            mailbox_day_end=box.day_end,
            mailbox_ready_at=box.status.next_send_at,
            mailbox_paused_until=box.status.paused_until,
        )
        decision = decide(facts)
        if isinstance(decision, Wait):
            self._wait(due, decision, box, report, now)
            return
        built = self._build(due, sequence, box.mailbox, now)
        if isinstance(built, str):
            self._hold(due, now, built, report)
            return
        claimed = self._claim(due, built, facts, now)
        if isinstance(claimed, Stop):
            report.stopped += 1
            return
        if isinstance(claimed, _Held):
            log.warning("enrollment %s held: %s", due.enrollment_id, claimed.reason)
            report.held += 1
            return
        if claimed is None:
            return  # someone else changed it in between: nothing to do
        message_row = claimed
        accounts.add(due.account_id)
        box.sent_today += 1
        box.per_account[due.account_id] += 1
        delivery = await self._send(box, connections, due.email, built[1])
        self._settle(message_row, delivery, box, now, report, due=due, sequence=sequence)
        if delivery.sent:
            self._copy_to_sent(box.mailbox, built[1], now)

    async def _retry(
        self,
        retry: outbox.PendingRetry,
        box: _MailboxTick,
        now: datetime,
        connections: AsyncExitStack,
        report: TickReport,
    ) -> None:
        if box.blocked:
            return
        with self._read() as session:
            walk = (
                outbox.enrollment_state(session, retry.enrollment_id)
                if retry.enrollment_id is not None
                else None
            )
            facts = Facts(
                now=now,
                zone=self._zone(retry.zone),
                country=retry.country,
                window=self._window_of(session, retry.enrollment_id),
                suppressed=outbox.suppression_reason(session, retry.email, retry.contact_id),
                caps=self.settings.config.sending.caps(box.mailbox),
                sent_today_by_mailbox=box.sent_today,
                sent_today_to_account=0,
                accounts_in_progress=0,
                account_in_progress=True,
                mailbox_day_end=box.day_end,
                mailbox_ready_at=box.status.next_send_at,
                mailbox_paused_until=box.status.paused_until,
                counts_against_caps=False,
            )
        if walk in PAUSED_WALKS:
            report.waiting[f"enrollment {walk}"] += 1
            return  # it may go on later; the message waits with it
        decision = decide(facts)
        if walk == "stopped":  # a reply or a hand-off stopped it since: never send more
            decision = Stop("the enrollment was stopped since")
        if isinstance(decision, Stop):
            with self._unit() as session:
                outbox.set_message(session, retry.id, state=outbox.FAILED, error=decision.reason)
                if retry.enrollment_id is not None and walk != "stopped":
                    outbox.set_enrollment(
                        session,
                        retry.enrollment_id,
                        state="stopped",
                        reason=decision.reason,
                        updated_at=now,
                    )
                record_event(
                    session,
                    "message.failed",
                    at=now,
                    contact_id=retry.contact_id,
                    enrollment_id=retry.enrollment_id,
                    data={"reason": decision.reason},
                )
            report.stopped += 1
            return
        if isinstance(decision, Wait):
            box.blocked = box.blocked or decision.mailbox_blocked
            report.waiting[decision.reason] += 1
            return
        with self._unit() as session:
            if not outbox.claim_retry(session, retry.id, now):
                return
        copies = tuple(a for a in retry.cc.split(",") if a)
        delivery = await self._send(
            box, connections, retry.email, retry.raw.encode("ascii"), copies=copies
        )
        attempt = _Attempt(retry.id, retry.attempts + 1, retry.contact_id, retry.enrollment_id)
        self._settle(attempt, delivery, box, now, report, due=None, sequence=None)
        if delivery.sent:
            self._copy_to_sent(box.mailbox, retry.raw.encode("ascii"), now)

    # --- building and claiming -----------------------------------------------------------

    def _build(
        self, due: outbox.DueStep, sequence: Sequence, mailbox: Mailbox, now: datetime
    ) -> tuple[dict[str, Any], bytes] | str:
        """The message row's values and its bytes, or why it cannot be built (held for a human)."""
        start = thread_start(sequence, due.step)
        with self._read() as session:
            found = outbox.contact_and_account(session, due.contact_id)
            if found is None:
                return "contact or account row is gone"
            contact, account = found
            referrer = (
                outbox.contact_by_id(session, contact.referred_by_id)
                if contact.referred_by_id
                else None
            )
            earlier = outbox.thread_ids(session, due.enrollment_id) if start < due.step else {}
        try:
            context = message_context(
                contact, account, mailbox, self.settings.config.sender, referrer
            )
            rendered = render_step(self.templates, sequence, due.step, context)
            thread = [earlier[i] for i in range(start, due.step) if i in earlier]
            message_id = new_message_id(mail_domain(mailbox.address), self.token())
            data = outgoing_bytes(
                self.settings,
                mailbox=mailbox,
                to_name=" ".join(p for p in (contact.first_name, contact.last_name) if p.strip()),
                to_address=contact.email,
                rendered=rendered,
                message_id=message_id,
                date=now,
                in_reply_to=thread[-1] if thread else None,
                references=thread,
            )
        except (SequenceError, ValueError) as exc:
            return f"cannot build step {due.step + 1} of {sequence.name!r}: {exc}"
        values = {
            "message_id": message_id,
            "contact_id": due.contact_id,
            "account_id": due.account_id,
            "enrollment_id": due.enrollment_id,
            "step": due.step,
            "mailbox": mailbox.id,
            "to_address": contact.email,
            "subject": rendered.subject,
            "in_reply_to": thread[-1] if thread else "",
            "references": " ".join(thread),
            "body": rendered.body,
            "raw": data.decode("ascii"),
            "created_at": now,
        }
        return values, data

    def _claim(
        self,
        due: outbox.DueStep,
        built: tuple[dict[str, Any], bytes],
        facts: Facts,
        now: datetime,
    ) -> _Attempt | Stop | _Held | None:
        """Commit the claim and the message row before any byte goes to SMTP.

        The claim itself refuses a suppressed or flagged address (the same statement reads
        the suppression list and the contact's flags), so an unsubscribe recorded a moment
        ago is honoured; the rules then decide once more, with that fact.
        """
        with self._unit() as session:
            if not outbox.claim_step(session, due, now):
                blocked = outbox.suppression_reason(session, due.email, due.contact_id)
                if blocked is None:
                    return None  # no longer due: paused, stopped or taken meanwhile
                # Only this fact changed since the rules said "send": they decide again.
                decision = decide(replace(facts, suppressed=blocked))
                if isinstance(decision, Stop):
                    stop = [(due.enrollment_id, due.contact_id)]
                    stop_enrollments(
                        session, stop, reason=decision.reason, now=now, actor="prospector"
                    )
                    return decision
                return None
            row_id = outbox.insert_outbound(session, built[0])
            if row_id is None:  # never a second message for one step (unique per step)
                existing = outbox.step_message(session, due.enrollment_id)
                reason = f"step {due.step + 1} already has message {existing}"
                outbox.set_enrollment(
                    session, due.enrollment_id, state="held", reason=reason, updated_at=now
                )
                return _Held(reason)
        return _Attempt(row_id, 1, due.contact_id, due.enrollment_id)

    async def _send(
        self,
        box: _MailboxTick,
        connections: AsyncExitStack,
        recipient: str,
        data: bytes,
        *,
        copies: tuple[str, ...] = (),
    ) -> Delivery:
        if box.transport is None:
            box.transport = await connections.enter_async_context(self.transports(box.mailbox))
        return await box.transport.send(
            sender=box.mailbox.address, recipient=recipient, data=data, copies=copies
        )

    def _copy_to_sent(self, mailbox: Mailbox, data: bytes, now: datetime) -> None:
        """The rep sees what went out in their mail client; a failed copy is only logged."""
        if mailbox.sent_copy != "append" or self.sent_folders is None:
            return
        self._connection().commit()  # never hold the database while talking to IMAP
        try:
            with self.sent_folders(mailbox) as folder:
                folder.append(data, now)
        except (ProspectorError, OSError) as exc:
            log.warning("could not copy a sent message to %s's Sent folder: %s", mailbox.id, exc)

    # --- outcomes ------------------------------------------------------------------------

    def _settle(
        self,
        attempt: _Attempt,
        delivery: Delivery,
        box: _MailboxTick,
        now: datetime,
        report: TickReport,
        *,
        due: outbox.DueStep | None,
        sequence: Sequence | None,
    ) -> None:
        sending = self.settings.config.sending
        status = box.status
        with self._deferred() as session:
            if delivery.verdict is Verdict.SENT:
                outbox.mark_sent(session, attempt.id, now)
                self._advance(session, attempt, now, due, sequence)
                record_event(
                    session,
                    "message.sent",
                    at=now,
                    contact_id=attempt.contact_id,
                    enrollment_id=attempt.enrollment_id,
                    data={"mailbox": box.mailbox.id},
                )
                status = replace(status, failures=0, paused_until=None, paused_reason="")
                report.sent += 1
            elif delivery.scope is Scope.MAILBOX:
                # Not the message's fault: its attempt is given back, the mailbox rests.
                outbox.set_message(
                    session,
                    attempt.id,
                    state=outbox.RETRY,
                    attempts=attempt.attempts - 1,
                    next_attempt_at=now,
                    error=_describe(delivery),
                )
                failures = status.failures + 1
                pause = mailbox_pause(
                    failures,
                    threshold=1
                    if delivery.verdict is Verdict.PERMANENT
                    else sending.mailbox_failures_to_pause,
                )
                status = replace(status, failures=failures)
                if pause is not None:
                    status = replace(
                        status, paused_until=now + pause, paused_reason=_describe(delivery)
                    )
                    record_event(
                        session,
                        "mailbox.paused",
                        at=now,
                        data={
                            "mailbox": box.mailbox.id,
                            "until": now + pause,
                            "reason": _describe(delivery),
                        },
                    )
                box.blocked = True
                report.retrying += 1
            elif delivery.verdict is Verdict.TEMPORARY:
                if attempt.attempts >= sending.max_attempts:
                    self._fail(session, attempt, now, delivery, state="held", report=report)
                else:
                    outbox.set_message(
                        session,
                        attempt.id,
                        state=outbox.RETRY,
                        next_attempt_at=now + retry_delay(attempt.attempts),
                        error=_describe(delivery),
                        # the copies have it (greylisting refuses the prospect only): the
                        # retry goes to the prospect alone, so the AE gets it once
                        **({"cc": ""} if delivery.copies_sent else {}),
                    )
                    record_event(
                        session,
                        "message.retry",
                        at=now,
                        contact_id=attempt.contact_id,
                        enrollment_id=attempt.enrollment_id,
                        data={"error": _describe(delivery)},
                    )
                    report.retrying += 1
            elif delivery.scope is Scope.RECIPIENT:
                self._fail(session, attempt, now, delivery, state="stopped", report=report)
                address = outbox.recipient(session, attempt.id)
                if address is not None:
                    outbox.suppress(session, address, "hard-bounce", _describe(delivery), now)
                report.bounced += 1
            else:
                self._fail(session, attempt, now, delivery, state="held", report=report)
            if status.next_send_at is None or status.next_send_at <= now:
                status = replace(status, next_send_at=self._ready_after(now))
            if status != box.status:
                outbox.save_mailbox_status(session, status, now)
                box.status = status
        if status.next_send_at is not None and status.next_send_at > now:
            box.blocked = True  # pacing: this mailbox is done for this tick

    def _advance(
        self,
        session: outbox.Db,
        attempt: _Attempt,
        now: datetime,
        due: outbox.DueStep | None,
        sequence: Sequence | None,
    ) -> None:
        if attempt.enrollment_id is None:
            return
        if due is not None:
            step, zone = due.step, due.zone
        else:  # a retry: where the enrollment stands is read back
            position = outbox.position(session, attempt.enrollment_id, attempt.id)
            if position is None:
                return
            name, step, zone = position
            sequence = self.sequences.get(name)
        advance_enrollment(
            session,
            enrollment_id=attempt.enrollment_id,
            contact_id=attempt.contact_id,
            step=step,
            zone=self._zone(zone),
            sequence=sequence,
            now=now,
        )

    def _fail(
        self,
        session: outbox.Db,
        attempt: _Attempt,
        now: datetime,
        delivery: Delivery,
        *,
        state: str,
        report: TickReport,
    ) -> None:
        reason = _describe(delivery)
        outbox.set_message(session, attempt.id, state=outbox.FAILED, error=reason)
        if attempt.enrollment_id is not None:
            outbox.set_enrollment(
                session, attempt.enrollment_id, state=state, reason=reason, updated_at=now
            )
        record_event(
            session,
            "message.failed",
            at=now,
            contact_id=attempt.contact_id,
            enrollment_id=attempt.enrollment_id,
            data={"error": reason, "enrollment": state},
        )
        report.failed += 1

    def _hold(self, due: outbox.DueStep, now: datetime, reason: str, report: TickReport) -> None:
        log.warning("enrollment %s held: %s", due.enrollment_id, reason)
        with self._unit() as session:
            outbox.set_enrollment(
                session, due.enrollment_id, state="held", reason=reason, updated_at=now
            )
            record_event(
                session,
                "enrollment.held",
                at=now,
                contact_id=due.contact_id,
                enrollment_id=due.enrollment_id,
                data={"reason": reason},
            )
        report.held += 1

    def _wait(
        self,
        due: outbox.DueStep,
        decision: Wait,
        box: _MailboxTick,
        report: TickReport,
        now: datetime,
    ) -> None:
        """Move the step to when it can next go, so the due query does not see it again."""
        report.waiting[decision.reason.split(":")[0]] += 1
        box.blocked = box.blocked or decision.mailbox_blocked
        if decision.until is None or decision.mailbox_blocked:
            return  # mailbox-wide waits end for every prospect at once: keep the order
        with self._unit() as session:
            outbox.defer_step(session, due, decision.until, now=now)

    # --- small helpers -------------------------------------------------------------------

    def _mailbox_tick(
        self, mailbox_id: str, now: datetime, ticks: dict[str, _MailboxTick]
    ) -> _MailboxTick | None:
        if mailbox_id in ticks:
            return ticks[mailbox_id]
        mailbox = self.mailboxes.get(mailbox_id)
        if mailbox is None:
            return None
        start, end = mailbox_day(
            now, zone=mailbox.timezone or self.settings.config.workspace.timezone
        )
        with self._read() as session:
            status = outbox.mailbox_status(session, mailbox_id)
            sent_today = outbox.sent_by_mailbox(session, mailbox_id, start, end)
            per_account = outbox.sent_per_account(session, start, end)
        ticks[mailbox_id] = _MailboxTick(mailbox, status, start, end, sent_today, per_account)
        return ticks[mailbox_id]

    def _zone(self, zone: str) -> str:
        return zone or self.settings.config.workspace.timezone

    def _window_of(self, session: outbox.Db, enrollment_id: int | None) -> Any:
        name = outbox.sequence_of(session, enrollment_id) if enrollment_id else None
        sequence = self.sequences.get(name) if name else None
        return (sequence.window if sequence else None) or self.settings.config.sending.window

    def _ready_after(self, now: datetime) -> datetime | None:
        sending = self.settings.config.sending
        return next_send_after(
            now,
            rng=self.rng,
            min_seconds=sending.min_gap_seconds,
            max_seconds=sending.max_gap_seconds,
        )


@dataclass(frozen=True)
class _Held:
    reason: str


@dataclass(frozen=True)
class _Attempt:
    id: int
    attempts: int
    contact_id: int | None
    enrollment_id: int | None


def _describe(delivery: Delivery) -> str:
    code = f"{delivery.code} " if delivery.code is not None else ""
    return f"{delivery.verdict} ({delivery.scope}): {code}{delivery.detail}".strip()
