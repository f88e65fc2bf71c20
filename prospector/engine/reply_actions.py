"""What a sorted reply sets in motion (PRODUCT.md §4), inside the transaction that stores it.

Every reply from a person stops their sequences; then the category decides: a bounce
suppresses (hard) or is counted (soft), an auto-reply pauses until the person is back and
turns named stand-ins into prospects, an unsubscribe suppresses forever, a referral makes
the people named new prospects in the referral sequence, interest makes a lead (an SQL
candidate for the inbox), "not now" nurtures, and anything unclear goes to a human.
Every change is an Event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import Message
from zoneinfo import ZoneInfo

from prospector.config import Settings
from prospector.domain.geo import timezone_for
from prospector.domain.replies import Classification, Person
from prospector.domain.replies.bounce_kind import worth_resending
from prospector.engine.inbox_queue import queue_reply
from prospector.engine.progress import stop_enrollments
from prospector.engine.who_is_right import queue_who_is_right
from prospector.store import handoffs, inbound, outbox
from prospector.store.events import record_event
from prospector.store.outbox import Db

ACTOR = "ingest"
POSITIVE = ("interested", "referral")
COLLEAGUE_REPLIED = "a colleague replied"  # why colleagues wait: the inbox resumes or stops them


@dataclass(frozen=True)
class Referred:
    """What enrolling the people a reply named did, in words; `to_a_role`: it named nobody
    with an address, so a person has to find them."""

    done: list[str]
    to_a_role: bool


@dataclass(frozen=True)
class Match:
    """Who a message is about, and how that was found (for the evidence shown to reps)."""

    contact: inbound.Known | None
    enrollment_id: int | None
    mailbox: str
    how: str  # in-reply-to | references | bounce-recipient | returned-original | sender | none
    outbound: int | None = None  # our message it answers or returns, when the thread says


def act(
    session: Db,
    settings: Settings,
    match: Match,
    verdict: Classification,
    *,
    message_row: int,
    now: datetime,
    reply: Message | None = None,
) -> str:
    """Apply the reply's consequences; returns what was done, in words, for `replies`."""
    replies = settings.config.replies
    if verdict.category == "bounce":
        return _bounce(session, settings, match, verdict, now)
    person = match.contact
    if person is None:
        return "no known prospect: left alone"
    if verdict.category == "other" and verdict.report:
        return "not a reply (a receipt or report): nothing to do"
    if verdict.category == "out_of_office":
        return _out_of_office(session, settings, match, verdict, now)
    stopped = _stop(session, person, f"replied: {verdict.category}", now)
    done = [f"stopped {stopped} sequence(s)"] if stopped else []
    if verdict.confidence < replies.review_below:
        _event(session, "reply.review", person, now, message_row, why="low confidence")
        why = f"the sorter is not sure ({verdict.category}, {verdict.confidence:.2f})"
        _queue(session, settings, person, message_row, "review", why, verdict, now)
        return "; ".join([*done, "needs review (the sorter is not sure)"])
    if verdict.category in POSITIVE and replies.pause_account_on_positive:
        # Before any referral is enrolled: the people named are not colleagues to pause.
        others = inbound.active_at_account(session, person.account_id, besides=person.id)
        inbound.set_enrollments(
            session, others, state="paused", reason=COLLEAGUE_REPLIED, updated_at=now
        )
        if others:
            done.append(f"paused {len(others)} colleague(s)")
    if verdict.category == "unsubscribe":
        outbox.suppress(session, person.email, "unsubscribed", "replied: unsubscribe", now)
        inbound.set_contact(session, person.id, do_not_contact=True, updated_at=now)
        _event(session, "contact.unsubscribed", person, now, message_row)
        done.append("suppressed for every sequence")
    elif verdict.category == "referral":
        referred = enroll_referrals(session, settings, match, verdict.referrals, now, message_row)
        done += referred.done
        if referred.to_a_role:
            why = "referral to a role, no address"
            _queue(session, settings, person, message_row, "referral", why, verdict, now)
    elif verdict.category == "interested" and handoffs.open_handoff(session, person.id):
        # A yes after the hand-off (a reply to the intro): the AE has them already.
        _event(session, "reply.after_handoff", person, now, message_row)
        done.append("already handed off: the AE has it")
    elif verdict.category == "interested":
        inbound.set_contact(session, person.id, stage="lead", updated_at=now)
        _event(session, "reply.sql_candidate", person, now, message_row)
        why = "a referral said yes" if person.referral_depth else "interested"
        _queue(session, settings, person, message_row, "sql", why, verdict, now)
        done.append("lead: an SQL candidate for the inbox")
    elif verdict.category == "not_now":
        until = _resume(verdict.resume_on, now, replies.nurture_days)
        inbound.set_contact(session, person.id, stage="nurture", nurture_until=until)
        _event(session, "contact.nurture", person, now, message_row, until=until.date())
        done.append(f"nurture until {until.date()}")
    elif verdict.category == "not_interested":
        _event(session, "reply.not_interested", person, now, message_row, reason=verdict.reason)
        done.append(f"not interested ({verdict.reason or 'no reason given'})")
    elif verdict.category == "wrong_person" and reply is not None:
        asked = queue_who_is_right(
            session, settings, person=person, mailbox_id=match.mailbox, reply=reply, now=now
        )
        if not asked.queued:
            why = "wrong person: ask who would be right"
            _queue(session, settings, person, message_row, "review", why, verdict, now)
        done.append(asked.done)
    else:  # a question (or a wrong person without the message): a person answers these
        _event(session, "reply.review", person, now, message_row, why=verdict.category)
        why = verdict.category.replace("_", " ")
        _queue(session, settings, person, message_row, "review", why, verdict, now)
        done.append(f"needs review ({why})")
    return "; ".join(done)


# --- categories ----------------------------------------------------------------------------


def _bounce(
    session: Db, settings: Settings, match: Match, verdict: Classification, now: datetime
) -> str:
    people = inbound.contacts_by_email(session, verdict.failed_recipients)
    if not people and match.contact is not None and not verdict.failed_recipients:
        # Only when the notice names nobody: a bounce for someone else (the AE in copy of
        # an intro) says nothing about the prospect the thread belongs to.
        people = {match.contact.email: match.contact}
    if not people:
        return "bounce for no known prospect: left alone"
    done = []
    limit = settings.config.replies.soft_bounces_to_suppress
    for person in people.values():
        soft = verdict.bounce_kind == "soft"
        if soft and _soft_bounces(session, person.id) + 1 < limit:
            _event(session, "bounce.soft", person, now, None)
            again = ""
            if worth_resending(verdict.evidence):
                again = _send_again_later(session, settings, match, person, now)
            done.append(f"{person.email}: soft bounce, counted{again}")
            continue
        why = "hard-bounce" if not soft else f"{limit} soft bounces"
        outbox.suppress(session, person.email, "hard-bounce", why, now)
        stopped = _stop(session, person, f"bounced ({why})", now)
        _event(session, "bounce.hard", person, now, None, why=why)
        done.append(f"{person.email}: suppressed ({why}), stopped {stopped}")
    return "; ".join(done)


def _send_again_later(
    session: Db, settings: Settings, match: Match, person: inbound.Known, now: datetime
) -> str:
    """A temporary failure (mailbox full, server busy): the very message goes again later,
    the same bytes through the dispatcher's retry path, until too many soft bounces."""
    if match.outbound is None or outbox.recipient(session, match.outbound) != person.email:
        return ""
    when = now + timedelta(hours=settings.config.replies.soft_bounce_retry_hours)
    if not outbox.send_again(session, match.outbound, due=when, why="soft bounce"):
        return ""
    return f"; the message goes again after {when:%Y-%m-%d %H:%M} UTC"


def _out_of_office(
    session: Db, settings: Settings, match: Match, verdict: Classification, now: datetime
) -> str:
    person = match.contact
    assert person is not None
    zone = _zone_of(session, person)
    back = verdict.returns_on
    if back is not None and back >= now.astimezone(ZoneInfo(zone)).date():
        resume = _local_midnight(back + timedelta(days=1), zone)
    else:
        resume = now + timedelta(days=settings.config.replies.out_of_office_days)
    ids = inbound.live_enrollments(session, person.id)
    outbox_ids = [i for i in ids if _is_waiting(session, i)]
    inbound.set_enrollments(session, outbox_ids, next_due_at=resume, updated_at=now)
    _event(session, "enrollment.paused", person, now, None, until=resume, why="out of office")
    done = [f"paused {len(outbox_ids)} sequence(s) until {resume.date()}"]
    stand_ins = [p for p in verdict.alternates if p.email]
    if stand_ins:
        done += enroll_referrals(session, settings, match, stand_ins, now, None).done
    return "; ".join(done)


def enroll_referrals(
    session: Db,
    settings: Settings,
    match: Match,
    people: tuple[Person, ...] | list[Person],
    now: datetime,
    message_row: int | None,
) -> Referred:
    referrer = match.contact
    assert referrer is not None
    named = [p for p in people if p.email]
    if not named:
        _event(session, "reply.review", referrer, now, message_row, why="referral to a role")
        return Referred(["referral to a role, no address: needs review"], to_a_role=True)
    done = []
    known = inbound.contacts_by_email(session, [p.email or "" for p in named])
    sequence = settings.config.replies.referral_sequence
    for person in named:
        email = (person.email or "").lower()
        if email == referrer.email:
            continue
        found = known.get(email)
        contact_id = found.id if found else _new_prospect(session, referrer, person, now)
        if _enroll(session, contact_id, referrer, sequence, match.mailbox, now):
            done.append(f"referral {email}: enrolled in {sequence}")
        else:
            done.append(f"referral {email}: already in {sequence}")
        record_event(
            session,
            "contact.referred",
            at=now,
            contact_id=contact_id,
            actor=ACTOR,
            data={"referred_by": referrer.id, "message": message_row},
        )
    return Referred(done, to_a_role=False)


# --- small helpers -------------------------------------------------------------------------


def _queue(
    session: Db,
    settings: Settings,
    person: inbound.Known,
    message_row: int,
    lane: str,
    why: str,
    verdict: Classification,
    now: datetime,
) -> None:
    queue_reply(
        session,
        settings,
        message_row=message_row,
        contact_id=person.id,
        lane=lane,
        why=why,
        reply_text=verdict.visible_text,
        now=now,
    )


def _stop(session: Db, person: inbound.Known, reason: str, now: datetime) -> int:
    ids = inbound.live_enrollments(session, person.id)
    return stop_enrollments(
        session, [(i, person.id) for i in ids], reason=reason, now=now, actor=ACTOR
    )


def _new_prospect(session: Db, referrer: inbound.Known, person: Person, now: datetime) -> int:
    """The person named, at the referrer's account, one step further down the chain."""
    name = (person.name or "").split()
    country, region = inbound.account_zone(session, referrer.account_id)
    return inbound.add_contact(
        session,
        {
            "account_id": referrer.account_id,
            "email": (person.email or "").lower(),
            "first_name": name[0] if name else "",
            "last_name": " ".join(name[1:]),
            "title": person.title or "",
            "country": country,
            "region": region,
            "timezone": _guess_zone(country, region),
            "referred_by_id": referrer.id,
            "referral_depth": referrer.referral_depth + 1,
            "source": "referral",
            "created_at": now,
            "updated_at": now,
        },
    )


def _enroll(
    session: Db,
    contact_id: int,
    referrer: inbound.Known,
    sequence: str,
    mailbox: str,
    now: datetime,
) -> bool:
    """Start the referred person on the referral sequence, from the referrer's mailbox."""
    return outbox.enroll_one(
        session,
        contact_id=contact_id,
        account_id=referrer.account_id,
        sequence=sequence,
        mailbox=mailbox,
        segment="referral",
        now=now,
    )


def _soft_bounces(session: Db, contact_id: int) -> int:
    return outbox.count_events(session, "bounce.soft", contact_id)


def _is_waiting(session: Db, enrollment_id: int) -> bool:
    """Active with a due time: a step on the wire right now (no due time) is left alone."""
    return outbox.has_due_time(session, enrollment_id)


def _zone_of(session: Db, person: inbound.Known) -> str:
    return outbox.contact_zone(session, person.id) or "UTC"


def _guess_zone(country: str, region: str) -> str:
    """From the account's place, as an import would; UTC when it says nothing."""
    try:
        return timezone_for(explicit=None, country=country, region=region, default="UTC")
    except ValueError:
        return "UTC"


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _resume(resume_on: date | None, now: datetime, default_days: int) -> datetime:
    if resume_on is not None and resume_on > now.date():
        return datetime.combine(resume_on, time(), tzinfo=UTC)
    return now + timedelta(days=default_days)


def _event(
    session: Db,
    kind: str,
    person: inbound.Known,
    now: datetime,
    message_row: int | None,
    **data: object,
) -> None:
    record_event(
        session,
        kind,
        at=now,
        contact_id=person.id,
        actor=ACTOR,
        data={"message": message_row, **data},
    )
