"""The rep's review queue (PRODUCT.md §5–6): read it, decide, hand off.

Every decision is taken at the item's version the rep was shown: if another rep decided
it in the meantime, nothing changes and `ConflictError` says who did. The screen and the
scriptable `prospector inbox …` commands are both thin layers over this module.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email import message_from_bytes
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from prospector.config import AccountExecutive, Settings
from prospector.domain.qualification import Line, next_step_sentence
from prospector.domain.replies import Classification, Person
from prospector.engine import handoff
from prospector.engine.inbox_queue import qualify
from prospector.engine.progress import stop_enrollments
from prospector.engine.reply_actions import COLLEAGUE_REPLIED, Match, act, enroll_referrals
from prospector.errors import ConflictError, NotFoundError, ProspectorError
from prospector.store import handoffs, inbound, inbox, outbox
from prospector.store.db import transaction
from prospector.store.events import record_event
from prospector.store.outbox import Db

REJECT_REASONS = {
    "not_a_fit": "not_a_fit",
    "no_authority": None,  # the person stays a prospect: someone else there may be right
    "too_small": "not_a_fit",
    "not_interested": "dead",
    "duplicate": "duplicate",
}
ACCOUNT_REJECTIONS = ("not_a_fit", "too_small")  # the company itself is wrong: colleagues stop
RECLASSIFY_TO = (
    "interested",
    "not_now",
    "not_interested",
    "unsubscribe",
    "wrong_person",
    "question",
    "out_of_office",
    "other",
)


@dataclass(frozen=True)
class ThreadEntry:
    direction: str  # out | in
    at: datetime
    subject: str
    text: str  # what was written: ours whole, theirs without quotes and signature
    note: str  # the sorter's verdict and what prospector did (inbound), else the state


@dataclass(frozen=True)
class ItemView:
    """Everything the rep needs to decide in seconds."""

    item: inbox.Item
    person: inbox.Prospect
    category: str
    confidence: float | None
    evidence: tuple[str, ...]
    referrals: tuple[dict[str, Any], ...]
    checklist: tuple[Line, ...]
    thread: tuple[ThreadEntry, ...]
    reply_text: str
    handoff: dict[str, Any] | None


@dataclass(frozen=True)
class Accepted:
    handoff_id: int
    ae: str
    via: str
    intro_message: int | None
    webhook: bool


def rep_name(settings: Settings) -> str:
    """Who is deciding: the config's `inbox.rep`, else $PROSPECTOR_REP, else the login."""
    if settings.config.inbox.rep:
        return settings.config.inbox.rep
    try:
        return os.environ.get("PROSPECTOR_REP") or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without passwd entry)
        return "rep"


class ReviewQueue:
    """The queue over one database; `actor` is recorded on every decision."""

    def __init__(self, engine: Engine, settings: Settings, *, actor: str | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.actor = actor or rep_name(settings)

    # --- reading -----------------------------------------------------------------------

    def counts(self, now: datetime) -> dict[str, int]:
        with self.engine.connect() as conn:
            return inbox.counts(conn, now)

    def page(
        self,
        lane: str,
        *,
        now: datetime,
        limit: int = 50,
        after: tuple[Any, int] | None = None,
    ) -> list[inbox.QueueEntry]:
        if lane not in inbox.LANES:
            raise NotFoundError(f"no lane {lane!r} (lanes: {', '.join(inbox.LANES)})")
        with self.engine.connect() as conn:
            return inbox.page(conn, lane, now=now, limit=limit, after=after)

    def view(self, item_id: int) -> ItemView:
        with self.engine.connect() as conn:
            item = _item(conn, item_id)
            person = inbox.prospect(conn, item.contact_id)
            if person is None:
                raise NotFoundError(f"item {item_id}: its contact is gone")
            messages = inbox.thread(conn, item.contact_id)
            reply = inbox.message_entry(conn, item.message_id)
            verdict = json.loads(reply.evidence or "{}") if reply else {}
            reply_text = str(verdict.get("visible_text") or (reply.body if reply else ""))
            return ItemView(
                item=item,
                person=person,
                category=reply.category if reply else "",
                confidence=verdict.get("confidence"),
                evidence=tuple(verdict.get("evidence", ())),
                referrals=tuple(verdict.get("referrals", ())),
                checklist=qualify(conn, self.settings, person, reply_text),
                thread=tuple(_entry(m) for m in messages),
                reply_text=reply_text,
                handoff=handoffs.handoff_by_item(conn, item_id),
            )

    def raw(self, item_id: int) -> bytes:
        with self.engine.connect() as conn:
            found = inbox.raw_message(conn, _item(conn, item_id).message_id)
        if found is None:
            raise NotFoundError(f"item {item_id}: the message is gone")
        return found

    def draft(self, item_id: int, *, ae: str | None, now: datetime) -> handoff.Draft:
        """The intro email accepting with `--via intro` would send, without sending it."""
        with self.engine.connect() as conn:
            item = _item(conn, item_id)
            person = _person(conn, item)
            chosen = handoff.pick_ae(self.settings, conn, name=ae, now=now)
            return self._draft(conn, item, person, chosen)

    def default_ae(self, now: datetime) -> str:
        """The AE an accept picks when none is named (fewest open hand-offs this week)."""
        with self.engine.connect() as conn:
            return handoff.pick_ae(self.settings, conn, name=None, now=now).name

    def history(self, *, limit: int = 50, item_id: int | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            contact = _item(conn, item_id).contact_id if item_id is not None else None
            return inbox.history(conn, limit=limit, contact_id=contact)

    def handoffs(self, *, open_only: bool = False, ae: str | None = None) -> list[dict[str, Any]]:
        """The AEs' tasks: every hand-off, or the open ones, or one AE's."""
        with self.engine.connect() as conn:
            rows = handoffs.handoff_rows(conn)
        if open_only:
            rows = [r for r in rows if r["state"] == "open"]
        if ae:
            rows = [r for r in rows if str(r["ae"]).lower() == ae.lower()]
        return rows

    def finish(self, handoff_id: int, *, now: datetime) -> None:
        """The AE has taken it from here: the task is done (it no longer counts as load)."""
        with transaction(self.engine) as session:
            found = handoffs.handoff(session, handoff_id)
            if found is None:
                raise NotFoundError(f"no hand-off {handoff_id}")
            if found["state"] == "done":
                return
            handoffs.set_handoff(session, handoff_id, state="done")
            record_event(
                session,
                "handoff.done",
                at=now,
                contact_id=found["contact_id"],
                actor=self.actor,
                data={"handoff": handoff_id, "item": found["item_id"], "ae": found["ae"]},
            )

    # --- deciding -----------------------------------------------------------------------

    def accept(
        self,
        item_id: int,
        *,
        now: datetime,
        ae: str | None = None,
        via: str | None = None,
        users: int | None = None,
        version: int | None = None,
    ) -> Accepted:
        """Opportunity, account stopped, AE task, and the hand-off delivered (intro/webhook)."""
        via = via or self.settings.config.handoff.via
        if via not in handoff.VIAS:
            raise ProspectorError(f"--via must be one of {', '.join(handoff.VIAS)}, not {via!r}")
        with transaction(self.engine) as session:
            item = _item(session, item_id)
            person = _person(session, item)
            chosen = handoff.pick_ae(self.settings, session, name=ae, now=now)
            decision = {"ae": chosen.name, "via": via, "users": users}
            # First the decision (at the version shown, one person at a time): a later
            # refusal below rolls it back with everything else.
            self._decide(session, item, "accepted", now, decision, version=version)
            owner = handoffs.open_handoff(session, person.contact_id)
            if owner is not None:
                raise ConflictError(
                    f"{person.name} was already handed off to {owner[1]} (hand-off {owner[0]})"
                )
            draft = None
            if via == "intro":
                blocked = outbox.suppression_reason(session, person.email, person.contact_id)
                if blocked:
                    raise ProspectorError(
                        f"{person.email} must not be emailed ({blocked}): hand off by call"
                        " or transfer"
                    )
                draft = self._draft(session, item, person, chosen)
            if users is not None:
                inbox.set_potential_users(session, person.account_id, users, now)
            inbound.set_contact(session, person.contact_id, stage="opportunity", updated_at=now)
            stopped = self._stop_account(session, person, chosen.name, now)
            inbox.close_others(session, person.contact_id, besides=item.id, by=self.actor, now=now)
            webhook = bool(self.settings.config.handoff.webhook_url)
            handoff_id = handoffs.add_handoff(
                session,
                {
                    "item_id": item.id,
                    "contact_id": person.contact_id,
                    "account_id": person.account_id,
                    "ae": chosen.name,
                    "ae_email": chosen.email,
                    "via": via,
                    "task": handoff.task_text(via, person),
                    "state": "open",
                    "accepted_by": self.actor,
                    "accepted_at": now,
                    "webhook_state": "pending" if webhook else "",
                    "webhook_attempts": 0,
                    "webhook_next_at": now if webhook else None,
                    "webhook_error": "",
                    "created_at": now,
                },
            )
            intro = None
            if draft is not None:
                intro = handoff.queue_intro(session, self.settings, draft, person, now)
                handoffs.set_handoff(session, handoff_id, intro_message_id=intro)
            self._event(
                session,
                "handoff.created",
                item,
                now,
                handoff=handoff_id,
                ae=chosen.name,
                via=via,
                stopped=stopped,
                intro=intro,
            )
        return Accepted(handoff_id, chosen.name, via, intro, webhook)

    def reject(
        self, item_id: int, *, reason: str, now: datetime, version: int | None = None
    ) -> None:
        if reason not in REJECT_REASONS:
            raise ProspectorError(
                f"reason must be one of {', '.join(REJECT_REASONS)}, not {reason!r}"
            )
        with transaction(self.engine) as session:
            item = _item(session, item_id)
            self._decide(session, item, "rejected", now, {"reason": reason}, version=version)
            stage = REJECT_REASONS[reason]
            if stage is not None:
                inbound.set_contact(session, item.contact_id, stage=stage, updated_at=now)
            self._settle_colleagues(session, item, reason, now)

    def snooze(
        self,
        item_id: int,
        *,
        until: date,
        now: datetime,
        nurture: bool = False,
        version: int | None = None,
    ) -> None:
        """Back in the snoozed lane on `until`; `nurture` also nurtures the person till then."""
        if until <= now.date():
            raise ProspectorError(f"snooze until a day after today, not {until}")
        zone = ZoneInfo(self.settings.config.workspace.timezone)
        when = datetime.combine(until, time(), tzinfo=zone).astimezone(UTC)
        with transaction(self.engine) as session:
            item = _item(session, item_id)
            decision = {"until": until.isoformat(), "nurture": nurture}
            self._decide(session, item, "snoozed", now, decision, version=version, until=when)
            if nurture:
                inbound.set_contact(
                    session, item.contact_id, stage="nurture", nurture_until=when, updated_at=now
                )

    def reclassify(
        self, item_id: int, *, category: str, now: datetime, version: int | None = None
    ) -> str:
        """The rep's category replaces the sorter's, and its actions then apply."""
        if category not in RECLASSIFY_TO:
            raise ProspectorError(
                f"category must be one of {', '.join(RECLASSIFY_TO)} (a referral: use"
                f" `inbox referral`), not {category!r}"
            )
        with transaction(self.engine) as session:
            item = _item(session, item_id)
            decision = {"category": category}
            self._decide(session, item, "reclassified", now, decision, version=version)
            match = _rep_match(session, item)
            text = self._reply_text(session, item)
            verdict = Classification(
                category=category,
                confidence=1.0,
                evidence=(f"reclassified by {self.actor}",),
                visible_text=text,
            )
            raw = inbox.raw_message(session, item.message_id)
            reply = message_from_bytes(raw) if raw else None  # a wrong person is asked in it
            done = act(
                session,
                self.settings,
                match,
                verdict,
                message_row=item.message_id,
                now=now,
                reply=reply,
            )
            inbound.set_outcome(
                session,
                item.message_id,
                category=category,
                confidence=1.0,
                action=done,
                evidence=json.dumps(
                    {**verdict.as_json(), "reclassified_by": self.actor}, ensure_ascii=False
                ),
            )
            return done

    def refer(
        self,
        item_id: int,
        *,
        email: str,
        name: str = "",
        title: str = "",
        now: datetime,
        version: int | None = None,
    ) -> str:
        """Turn a person the reply named into a prospect in the referral sequence."""
        if "@" not in email:
            raise ProspectorError(f"{email!r} is not an email address")
        with transaction(self.engine) as session:
            item = _item(session, item_id)
            decision = {"referred": email.lower(), "name": name}
            self._decide(session, item, "closed", now, decision, version=version)
            match = _rep_match(session, item)
            named = [Person(name=name or None, email=email.lower(), title=title or None)]
            referred = enroll_referrals(session, self.settings, match, named, now, item.message_id)
            return "; ".join(referred.done)

    # --- helpers ------------------------------------------------------------------------

    def _decide(
        self,
        session: Db,
        item: inbox.Item,
        state: str,
        now: datetime,
        decision: dict[str, Any],
        *,
        version: int | None,
        until: datetime | None = None,
    ) -> None:
        seen = item.version if version is None else version
        text = json.dumps(decision, default=str)
        inbox.lock_person(session, item.contact_id)
        if not inbox.decide(
            session,
            item.id,
            version=seen,
            state=state,
            by=self.actor,
            now=now,
            decision=text,
            snoozed_until=until,
        ):
            raise ConflictError(_already(session, item.id, seen))
        self._event(session, f"inbox.{state}", item, now, **decision)

    def _event(self, session: Db, kind: str, item: inbox.Item, now: datetime, **data: Any) -> None:
        record_event(
            session,
            kind,
            at=now,
            contact_id=item.contact_id,
            actor=self.actor,
            data={"item": item.id, "message": item.message_id, **data},
        )

    def _stop_account(self, session: Db, person: inbox.Prospect, ae: str, now: datetime) -> int:
        live = inbox.live_at_account(session, person.account_id)
        reason = f"handed off to {ae}"
        return stop_enrollments(session, live, reason=reason, now=now, actor=self.actor)

    def _draft(
        self, session: Db, item: inbox.Item, person: inbox.Prospect, ae: AccountExecutive
    ) -> handoff.Draft:
        return handoff.draft_intro(
            session,
            self.settings,
            person=person,
            ae=ae,
            reply_row=item.message_id,
            next_step=self._next_step(session, item),
        )

    def _settle_colleagues(self, session: Db, item: inbox.Item, reason: str, now: datetime) -> None:
        """Colleagues paused by this person's yes: an account that is no fit stops; for
        any other reason their sequences go on (someone else there may be right)."""
        waiting = inbox.paused_at_account(session, item.account_id, COLLEAGUE_REPLIED)
        if not waiting:
            return
        if reason in ACCOUNT_REJECTIONS:
            why = f"the account was rejected ({reason})"
            stop_enrollments(session, waiting, reason=why, now=now, actor=self.actor)
            return
        inbound.set_enrollments(
            session, [e for e, _ in waiting], state="active", reason="", updated_at=now
        )
        for enrollment_id, contact_id in waiting:
            record_event(
                session,
                "enrollment.resumed",
                at=now,
                contact_id=contact_id,
                enrollment_id=enrollment_id,
                actor=self.actor,
                data={"why": f"the colleague's reply was rejected ({reason})"},
            )

    def _reply_text(self, session: Db, item: inbox.Item) -> str:
        message = inbox.message_entry(session, item.message_id)
        if message is None:
            return ""
        verdict = json.loads(message.evidence or "{}")
        return str(verdict.get("visible_text") or message.body)

    def _next_step(self, session: Db, item: inbox.Item) -> str:
        return next_step_sentence(self._reply_text(session, item)) or ""


def _item(session: Db, item_id: int) -> inbox.Item:
    found = inbox.item(session, item_id)
    if found is None:
        raise NotFoundError(f"no inbox item {item_id}")
    return found


def _person(session: Db, item: inbox.Item) -> inbox.Prospect:
    found = inbox.prospect(session, item.contact_id)
    if found is None:
        raise NotFoundError(f"item {item.id}: its contact is gone")
    return found


def _rep_match(session: Db, item: inbox.Item) -> Match:
    """The reply's person and mailbox, for actions a rep sets off (as the sorter's would)."""
    person = inbound.contact(session, item.contact_id)
    if person is None:
        raise NotFoundError(f"item {item.id}: its contact is gone")
    mailbox = inbox.reply_headers(session, item.message_id).get("mailbox", "")
    return Match(person, None, mailbox, "rep")


def _already(session: Db, item_id: int, seen: int) -> str:
    now = inbox.decided(session, item_id)
    if now is None:
        return f"item {item_id} is gone"
    if now.state in inbox.PENDING:
        return f"item {item_id} changed since you read it (version {seen}); look again"
    when = f" at {now.at:%Y-%m-%d %H:%M} UTC" if now.at else ""
    return f"item {item_id} was already {now.state} by {now.by or 'someone'}{when}"


def _entry(message: inbox.ThreadMessage) -> ThreadEntry:
    if message.direction == "in":
        note = message.category
        if message.action:
            note = f"{message.category}: {message.action}"
        return ThreadEntry("in", message.at, message.subject, message.body.strip(), note)
    return ThreadEntry("out", message.at, message.subject, message.body.strip(), message.state)
