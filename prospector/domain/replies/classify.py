"""One inbound message to one category, with the evidence that decided it.

The order matters and follows what is cheapest to get wrong last: reports from mail
systems first (feedback loops, delivery receipts, bounces), then automatic replies, then
what a person wrote. A bounce quoted in a human reply, or a human reply quoting our opt-out
footer, is read from the right part because intent only ever sees the visible new text.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from prospector.domain.replies.auto_reply import detect_auto_reply, return_date, stand_ins
from prospector.domain.replies.bounces import read_report, scan_bounce
from prospector.domain.replies.intents import detect_language, read_intent
from prospector.domain.replies.parse import ParsedMessage, parse
from prospector.domain.replies.people import Person
from prospector.domain.replies.referrals import find_referrals, is_ours
from prospector.domain.replies.visible import extract

__all__ = [
    "CATEGORIES",
    "REVIEW_THRESHOLD",
    "Classification",
    "Person",
    "classify",
    "classify_parsed",
]

CATEGORIES = (
    "bounce",
    "out_of_office",
    "unsubscribe",
    "referral",
    "interested",
    "not_now",
    "not_interested",
    "wrong_person",
    "question",
    "other",
)
# Below this confidence the daemon sends the reply to a human instead of acting on it.
REVIEW_THRESHOLD = 0.6
JSON_VERSION = 1


@dataclass(frozen=True)
class Classification:
    """The sorter's verdict; `as_json` is the stable shape of `prospector classify --json`."""

    category: str
    confidence: float
    evidence: tuple[str, ...]
    failed_recipients: tuple[str, ...] = ()
    bounce_kind: str | None = None
    returns_on: date | None = None
    alternates: tuple[Person, ...] = ()
    referrals: tuple[Person, ...] = ()
    resume_on: date | None = None
    reason: str | None = None
    visible_text: str = ""
    language: str | None = None
    report: str | None = (
        None  # the mail-system report it was: delivery-status, feedback-report:abuse ...
    )

    @property
    def needs_review(self) -> bool:
        return self.confidence < REVIEW_THRESHOLD

    def as_json(self) -> dict[str, object]:
        """Plain JSON types only; documented in docs/classification.md."""
        return {
            "version": JSON_VERSION,
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "needs_review": self.needs_review,
            "evidence": list(self.evidence),
            "language": self.language,
            "report": self.report,
            "failed_recipients": list(self.failed_recipients),
            "bounce_kind": self.bounce_kind,
            "returns_on": self.returns_on.isoformat() if self.returns_on else None,
            "alternates": [{"name": p.name, "email": p.email} for p in self.alternates],
            "referrals": [p.as_json() for p in self.referrals],
            "resume_on": self.resume_on.isoformat() if self.resume_on else None,
            "reason": self.reason,
            "visible_text": self.visible_text,
        }


_UNSUBSCRIBE_SUBJECT = re.compile(
    r"unsubscribe|remove|stop|opt[- ]?out|abmelden|désinscription|desinscription|baja|descadastrar"
    r"|afmelden|uitschrijven|配信停止|退订|取消订阅|取消訂閱",
    re.IGNORECASE,
)


def _machine_sender(parsed: ParsedMessage) -> str:
    """Why the message was sent by a program and not a person, or ""."""
    auto = parsed.header("auto-submitted").lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    if parsed.has("return-path") and parsed.header("return-path").strip() in ("<>", ""):
        return "null Return-Path"
    sender = parsed.sender.email if parsed.sender else ""
    if re.match(r"(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)[@+.-]", sender):
        return f"sender {sender}"
    return ""


def _all_delivered(actions: tuple[str, ...]) -> bool:
    """A delivery-status report that is a receipt: every recipient delivered/relayed/expanded."""
    return all(a.startswith(("delivered", "relayed", "expanded")) for a in actions)


def _our_domains(parsed: ParsedMessage, given: Collection[str]) -> tuple[str, ...]:
    """The given domains, plus the hosts of the Message-IDs the reply answers (ours by "
    "definition)."""
    domains = [d.lower().lstrip("@") for d in given]
    for header in ("in-reply-to", "references"):
        for host in re.findall(r"@([A-Za-z0-9.-]+)>", " ".join(parsed.headers.get(header, ()))):
            parts = host.lower().split(".")
            # mail.northwind.io -> northwind.io: our addresses live on the parent domain.
            domains.append(".".join(parts[-2:]) if len(parts) > 2 else host.lower())
    return tuple(dict.fromkeys(domains))


def _sender_names(parsed: ParsedMessage) -> list[str]:
    names = []
    if parsed.sender and parsed.sender.name:
        names.append(parsed.sender.name)
    if parsed.sender:
        names.append(parsed.sender.email.split("@")[0].replace(".", " "))
    return names


def classify_parsed(parsed: ParsedMessage, *, our_domains: Collection[str] = ()) -> Classification:
    """Sort an already parsed message (see `classify`)."""
    report = read_report(parsed)
    report_label = report.kind or None
    if report.kind == "feedback-report":
        label = f"feedback-report:{report.feedback_type or 'unknown'}"
        if report.feedback_type in ("opt-out", "unsubscribe"):
            return Classification(
                "unsubscribe",
                0.95,
                (f"ARF feedback report, Feedback-Type: {report.feedback_type} (RFC 5965)",),
                report=label,
            )
        return Classification(
            "other",
            0.9,
            (f"ARF feedback report, Feedback-Type: {report.feedback_type or '?'}; not a bounce",),
            report=label,
        )
    if report.kind == "disposition-notification":
        return Classification(
            "other", 0.9, ("read receipt (message/disposition-notification)",), report=report.kind
        )
    bounce = scan_bounce(parsed, report)
    if bounce is not None:
        return Classification(
            "bounce",
            bounce.confidence,
            bounce.evidence,
            failed_recipients=bounce.failed_recipients,
            bounce_kind=bounce.kind,
            report=report_label,
        )
    if report.kind == "delivery-status" and _all_delivered(report.actions):
        return Classification(
            "other",
            0.9,
            ("delivery-status report with every recipient delivered/relayed: a receipt",),
            report="delivery-status:delivered",
        )
    subject = re.sub(r"^\s*(?:(?:re|aw|sv|fw|fwd)\s*:\s*)*", "", parsed.subject, flags=re.I)
    if _UNSUBSCRIBE_SUBJECT.fullmatch(subject.strip()):
        return Classification(
            "unsubscribe",
            0.95,
            (f"subject {parsed.subject!r} (List-Unsubscribe mailto or a person)",),
            report=report_label,
        )
    ours = _our_domains(parsed, our_domains)
    visible = extract(parsed.text, _sender_names(parsed))
    sent = parsed.date.date() if parsed.date else None
    machine = _machine_sender(parsed) or report.kind
    auto = detect_auto_reply(
        parsed, visible.with_signature or parsed.text[:4000], machine=bool(machine)
    )
    language = detect_language(visible.text or visible.with_signature)
    if auto is not None:
        body = visible.with_signature or parsed.text
        evidence = list(auto.evidence)
        returns, phrase = return_date(body, sent) if sent else (None, "")
        if returns:
            evidence.append(f"back on {returns.isoformat()} from {phrase!r}")
        exclude = {parsed.sender.email} if parsed.sender else set()
        exclude |= {a.email for a in (*parsed.to, *parsed.cc) if is_ours(a.email, ours)}
        alternates = () if auto.challenge else stand_ins(body, exclude)
        if alternates:
            evidence.append("stand-ins: " + ", ".join(p.name or p.email or "?" for p in alternates))
        return Classification(
            "out_of_office",
            auto.confidence,
            tuple(evidence),
            returns_on=returns,
            alternates=alternates,
            visible_text=visible.text,
            language=language,
        )
    if machine:
        return Classification(
            "other",
            0.7,
            (f"sent by a program ({machine}), neither a bounce nor an auto-reply",),
            visible_text=visible.text,
            language=language,
            report="machine-generated",
        )
    referrals, referral_evidence = find_referrals(parsed, visible.text, ours)
    intent = read_intent(visible.text, referrals, sent)
    evidence = list(visible.cuts[:3]) + list(intent.evidence)
    if intent.referrals:
        evidence += list(referral_evidence)
    return Classification(
        intent.category,
        intent.confidence,
        tuple(evidence),
        referrals=intent.referrals,
        resume_on=intent.resume_on,
        reason=intent.reason,
        visible_text=visible.text,
        language=language,
    )


def classify(raw: bytes, *, our_domains: Collection[str] = ()) -> Classification:
    """Sort one raw inbound message. Never raises: unreadable input is `other` for review.

    `our_domains` are the sending domains; addresses there are never referrals or stand-ins.
    """
    try:
        return classify_parsed(parse(raw), our_domains=our_domains)
    except Exception as error:  # one bad message must never stop the daemon
        return Classification("other", 0.0, (f"could not be read: {type(error).__name__}",))
