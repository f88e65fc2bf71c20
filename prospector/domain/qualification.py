"""Whether a reply is a sales-qualified lead (PRODUCT.md §5), as a checklist a rep reads.

Each line is green, red or unknown with the reason behind it, computed from data the
workspace already holds; "unknown" means a person must find out (the rep asks, or enters
what they know). The rep decides; the checklist only shows why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from prospector.domain.seniority import Seniority


class Status(str, Enum):  # noqa: UP042 - members print as their value in tables and JSON
    GREEN = "green"
    RED = "red"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Line:
    key: str  # icp | red_flag | authority | next_step | users | outbound
    label: str
    status: Status
    reason: str
    highlight: str = ""  # the words that decided it (the sentence asking for a next step)


@dataclass(frozen=True)
class Facts:
    """What the checklist reads: the account, the person, their words, and who owns them."""

    icp_score: int
    icp_reasons: tuple[str, ...]
    min_icp_score: int
    red_flag: str | None
    red_flag_reason: str | None
    seniority: Seniority
    title: str
    min_seniority: Seniority
    reply_text: str
    potential_users: int | None
    min_users: int
    owned_by: str | None  # why the lead is not ours to source (customer, owned, inbound)


def checklist(facts: Facts) -> tuple[Line, ...]:
    return (
        _icp(facts),
        _red_flag(facts),
        _authority(facts),
        _next_step(facts.reply_text),
        _users(facts),
        _outbound(facts),
    )


def greens(lines: tuple[Line, ...]) -> int:
    return sum(1 for line in lines if line.status is Status.GREEN)


def priority(lane: str, lines: tuple[Line, ...], icp_score: int) -> int:
    """Lower comes first: more green lines, then fewer red ones, then a better ICP fit.

    A lane is listed on its own, so the lane only matters for the snoozed view's order.
    """
    reds = sum(1 for line in lines if line.status is Status.RED)
    return -(greens(lines) * 1000) + reds * 100 - max(0, min(icp_score, 99))


# --- the lines ----------------------------------------------------------------------------


def _icp(facts: Facts) -> Line:
    reasons = "; ".join(r for r in facts.icp_reasons if r.startswith("+")) or "no criterion met"
    status = Status.GREEN if facts.icp_score >= facts.min_icp_score else Status.RED
    return Line("icp", "matches the ICP", status, f"score {facts.icp_score}: {reasons}")


def _red_flag(facts: Facts) -> Line:
    if facts.red_flag:
        why = facts.red_flag_reason or facts.red_flag
        return Line("red_flag", "no red flag", Status.RED, f"{facts.red_flag}: {why}")
    return Line("red_flag", "no red flag", Status.GREEN, "none of the red-flag rules hit")


def _authority(facts: Facts) -> Line:
    label = "decision power or influence"
    title = facts.title or "no title"
    if facts.seniority is Seniority.UNKNOWN:
        return Line("authority", label, Status.UNKNOWN, f"seniority unknown ({title})")
    if facts.seniority.rank >= facts.min_seniority.rank:
        return Line("authority", label, Status.GREEN, f"{facts.seniority.value} ({title})")
    return Line(
        "authority",
        label,
        Status.RED,
        f"{facts.seniority.value} ({title}), below {facts.min_seniority.value}",
    )


def _next_step(text: str) -> Line:
    sentence = next_step_sentence(text)
    if sentence is None:
        return Line("next_step", "wants a next step", Status.UNKNOWN, "no next step asked for")
    return Line(
        "next_step", "wants a next step", Status.GREEN, "they ask for one", highlight=sentence
    )


def _users(facts: Facts) -> Line:
    label = f"at least {facts.min_users} potential users"
    if facts.potential_users is None:
        return Line("users", label, Status.UNKNOWN, "not known: ask how many would use it")
    status = Status.GREEN if facts.potential_users >= facts.min_users else Status.RED
    return Line("users", label, status, f"{facts.potential_users} potential users")


def _outbound(facts: Facts) -> Line:
    label = "outbound-sourced"
    if facts.owned_by:
        return Line("outbound", label, Status.RED, facts.owned_by)
    return Line("outbound", label, Status.GREEN, "not a customer, not owned by anyone")


# --- the sentence asking for a next step --------------------------------------------------

# Words for a meeting, a call or a demo, and for fixing a time, in the nine languages the
# sorter reads. A sentence naming one (and not refusing) asks for a next step; "talk" or
# "chat" alone is weaker, so a sentence that books something is preferred.
_NEXT_STEP = re.compile(
    r"\b(?:call|meeting|meet|demo|zoom|teams|calendar|calendly|invite|"
    r"schedule|book|slot|availability|available|free (?:on|at|next)|next week|"
    r"monday|tuesday|wednesday|thursday|friday|\d{1,2}(?::\d\d)?\s?(?:am|pm)|"
    r"llamada|reuni[oó]n|demostraci[oó]n|"
    r"anruf|telefonat|termin|vorf[uü]hrung|"
    r"appel|rendez-vous|r[ée]union|d[ée]mo|cr[ée]neau|"
    r"chamada|reuni[aã]o|"
    r"afspraak|bellen|overleg)\b"
    r"|电话|通话|会议|开会|演示|约个时间|打ち合わせ|電話|ミーティング|面談|デモ|お時間",
    re.IGNORECASE,
)
_TALK = re.compile(
    r"\b(?:talk|chat|speak|hablar|conversar|gespr[aä]ch|[ée]changer|gesprek)\b|聊聊",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"\b(?:no|not|don't|do not|won't|kein|nicht|pas|nunca|não|geen|niet)\b|不|いいえ",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s*|\n+")  # CJK full stops too


def next_step_sentence(text: str) -> str | None:
    """The sentence of the reply that asks for a call, a meeting or a demo (else to talk)."""
    sentences = [s.strip() for s in _SENTENCES.split(text) if s.strip()]
    asking = [s for s in sentences if not _REFUSAL.search(s)]
    for pattern in (_NEXT_STEP, _TALK):
        for sentence in asking:
            if pattern.search(sentence):
                return sentence
    return None
