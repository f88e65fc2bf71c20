"""Delivery failures: RFC 3464 reports, the many non-standard bounce formats, and hard or soft.

Hard means the address itself is gone (unknown user or domain, moved, refuses all mail):
the daemon suppresses it for good. Everything else (full mailbox, blocks, spam filters,
policy, timeouts) is soft: the address may work later, so it is retried a limited number
of times. Which is which is sisimai's reason taxonomy, read per recipient in
`bounce_kind.py` from what the server said, its codes and the SMTP command it answered.
flufl.bounce (Mailman's detectors) finds recipients in formats we do not parse; RFC 3464
fields, X-Failed-Recipients and the notice text come first because they say more.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache

from flufl.bounce import BounceDetector, all_failures

from prospector.domain.replies.auto_reply import challenge_wording
from prospector.domain.replies.bounce_kind import (
    classify_failure,
    stage_of,
    states_a_reason,
)
from prospector.domain.replies.parse import ParsedMessage, Part, decode_bytes

__all__ = ["BounceReport", "Report", "read_report", "scan_bounce"]

# flufl.bounce logs every detector at INFO and re-raises after logging; the daemon wants
# neither in its log for a message it already handles.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)

_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

_DAEMON_SENDER = re.compile(
    r"mailer[-_ ]?daemon|post_?master|mail delivery|maildelivery|mdaemon|"
    r"mail administrator|mailadmin|mail system|bounce|returned|nobody@|autoreply-noreply|"
    r"microsoftexchange|smtp gateway|daemon@|nicht zustellbar",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|not delivered|delivery (?:status notification|failure|has failed|"
    r"problem"
    r"|notification|report|error|failed)|returned mail|return(?:ed)? to sender|failure notice"
    r"|mail delivery (?:failed|failure|system|subsystem)|delivery status|non[- ]?deliver|"
    r"could not (?:be )?deliver|can(?:no|')t be delivered|unable to deliver|mail system error|"
    r"unzustellbar|nicht zugestellt|non remis|non distribuable|échec de (?:la )?remise|"
    r"no (?:se puede|pudo) entregar|não (?:foi )?entregue|onbestelbaar|niet afgeleverd|"
    r"配信不能|送信できません|退信|未送达|無法傳遞|mail failure|message status|bounce|"
    r"warning: could not"
    r"|delayed mail|delivery delay|message delayed|notification d'état|rejected|"
    r"permanent error|temporary error|nondeliverable",
    re.IGNORECASE,
)
_NOTICE_PHRASES = re.compile(
    r"this is the mail system at|i'm afraid i wasn't able to deliver|"
    r"i'm sorry to have to inform you"
    r"|could not be delivered|couldn't be delivered|was not delivered|delivery (?:to the following"
    r"|has failed|failed)|permanent(?:ly)? (?:fatal )?error|failed permanently|undeliverable"
    r"|the following (?:address(?:es)?|recipients?)(?: had| could| were| was| failed)"
    r"|unable to deliver|message (?:could not|cannot) be delivered|delivery status notification"
    r"|returned mail|this message was created automatically by mail delivery"
    r"|mail delivery (?:failed|system)|a message that you sent could not|your message (?:to|was)"
    r".{0,80}(?:rejected|not delivered|bounced|could not)|host .{0,80} said:"
    r"|user unknown|unknown user|no such user|mailbox (?:unavailable|full|not found)|quota"
    r"|not a valid (?:user|recipient|mailbox|address)"
    r"|550[ -]|554[ -]|553[ -]|552[ -]|5\.\d\.\d|4\.\d\.\d|diagnostic-code|remote-mta|"
    r"final-recipient"
    r"|delivery to .{0,60} failed|smtp error|retry timeout exceeded|delivery temporarily suspended"
    r"|has not yet been delivered|will (?:continue|keep) (?:trying|to try)|delay(?:ed)? notice"
    r"|(?:attempting|trying|attempt) to deliver|transcript of session|could not deliver|"
    r"not be delivered",
    # matched against lower-cased text
)

# A server saying the mailbox does not exist (what a program says, not a person's absence).
_ADDRESS_GONE = re.compile(
    r"not a valid (?:user|recipient|mailbox|address)|no such (?:user|mailbox|recipient)"
    r"|user(?:name)? unknown|unknown (?:user|recipient|mailbox)"
    r"|(?:mailbox|user|recipient|address) (?:does not|doesn't) exist"
    r"|(?:mailbox|user|recipient) not found"
)
_WARNING = re.compile(
    r"delay|warning|will (?:continue|keep) (?:trying|to try)|not (?:yet )?been delivered"
    r"|will (?:retry|try again)|still trying",
)


@dataclass(frozen=True)
class Report:
    """The kind of multipart/report a message is, if any (RFC 6522)."""

    kind: str  # delivery-status | feedback-report | disposition-notification | ""
    feedback_type: str = ""  # ARF Feedback-Type
    actions: tuple[str, ...] = ()  # DSN Action per recipient


@dataclass(frozen=True)
class BounceReport:
    """A delivery failure with the recipients it names and why the daemon believes it."""

    failed_recipients: tuple[str, ...]
    kind: str | None  # hard | soft | mixed | None
    statuses: tuple[str, ...]
    evidence: tuple[str, ...]
    confidence: float


@lru_cache(maxsize=16)  # a report's status part is read for its type, then its recipients
def _fields(text: str) -> tuple[dict[str, str], ...]:
    """RFC 822-style field blocks (`Name: value`, folded lines) separated by blank lines.

    Read-only: the cache hands the same dicts to every caller."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
            continue
        if line[:1] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep and name and " " not in name.strip():
            last = name.strip().lower()
            if last == "final-recipient" and last in current:
                blocks.append(current)  # the blank line between recipients is missing
                current = {}
            current[last] = value.strip()
    if current:
        blocks.append(current)
    return tuple(blocks)


_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")


def _part_raw(part: Part) -> str:
    """The text of a part (a report part's fields as sent)."""
    return part.text()


def read_report(parsed: ParsedMessage) -> Report:
    """The report type and its key fields, from the MIME structure."""
    root = parsed.root
    kind = ""
    if root.content_type == "multipart/report":
        kind = root.params.get("report-type", "").lower()
    feedback_type = ""
    actions: list[str] = []
    if not root.is_multipart:
        return Report(kind=kind)
    for part in root.walk(into_messages=False):
        ctype = part.content_type
        if ctype == "message/feedback-report":
            kind = kind or "feedback-report"
            for block in _fields(_part_raw(part)):
                feedback_type = feedback_type or block.get("feedback-type", "").lower()
        elif ctype in _STATUS_TYPES:
            kind = kind or "delivery-status"
            for block in _fields(_part_raw(part)):
                if "action" in block:
                    actions.append(block["action"].split()[0].lower() if block["action"] else "")
        elif ctype == "message/disposition-notification":
            kind = kind or "disposition-notification"
    return Report(kind=kind, feedback_type=feedback_type, actions=tuple(actions))


def _recipient(value: str) -> str:
    """`rfc822; user@host` to `user@host`."""
    _, _, addr = value.rpartition(";")
    match = _ADDRESS.search(addr or value)
    return match.group(0).strip(".").lower() if match else ""


def _dsn_recipients(parsed: ParsedMessage) -> list[tuple[str, str, str]]:
    """(address, status, diagnostic) for each failed or delayed recipient of a DSN."""
    found: list[tuple[str, str, str]] = []
    texts = [_part_raw(p) for p in parsed.root.walk(False) if p.content_type in _STATUS_TYPES]
    plain = parsed.text or _unsplit_body(parsed)
    if not texts and re.search(r"^(?:Final|Original)-Recipient:", plain, re.M | re.I):
        texts = [plain]  # a report sent as plain text, or a multipart whose boundary is wrong
    for text in texts:
        for block in _fields(text):
            addr = _recipient(block.get("final-recipient", "")) or _recipient(
                block.get("original-recipient", "")
            )
            if not addr:
                continue
            action = (block.get("action", "") or "").lower()
            status = block.get("status", "")
            if action.startswith(("delivered", "relayed", "expanded")):
                continue
            if not action and status.strip().startswith("2"):
                continue
            found.append((addr, status, block.get("diagnostic-code", "")))
    return found


def _unsplit_body(parsed: ParsedMessage) -> str:
    """The body of a multipart none of whose parts could be found (its boundary parameter
    names a delimiter the body does not use), read as one text; else ""."""
    root = parsed.root
    if not root.is_multipart or root.parts:
        return ""
    return decode_bytes(root.payload()[:65536], root.charset)


def _notice_text(parsed: ParsedMessage) -> str:
    """The human-readable notice: text parts outside the returned original message."""
    chunks: list[str] = []

    def walk(part: Part) -> None:
        ctype = part.content_type
        if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            return
        if part.is_multipart:
            for sub in part.parts:
                walk(sub)
            return
        if ctype.startswith("text/") or ctype in _STATUS_TYPES:
            chunks.append(_part_raw(part))

    try:
        walk(parsed.root)
    except Exception:
        return parsed.text
    text = "\n".join(chunks) or parsed.text or _unsplit_body(parsed)
    # Returned originals pasted inline: keep the notice above them.
    cut = re.search(
        r"^\s*(?:-{3,}\s*)?(?:original message follows|this is a copy of the message|"
        r"below this line is a copy"
        r"|the original message (?:was|is) (?!received)|------ ?original message"
        r"|----- ?transcript of session"
        r"|--- below this line|original message headers|unsent message below|"
        r"the text of your message"
        r"|---+ ?(?:start of )?(?:returned|original|forwarded) message|included is a copy)",
        text,
        re.IGNORECASE | re.MULTILINE,
    )
    if cut and cut.start() > 40:
        return (
            text[: cut.end() + 2000] if "transcript" in cut.group(0).lower() else text[: cut.end()]
        )
    return text


_RECIPIENT_LINE = re.compile(
    r"^\s*<?([^\s<>()\"']+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?\s*(?::|\.\.\.|$|\(|-|on\b|\bfailed|\bSMTP)",
    re.IGNORECASE,
)
_RECIPIENT_PHRASE = re.compile(
    r"(?:RCPT TO:?\s*<?|(?:delivery|message|"
    r"mail) to(?: the following recipients?)?(?: failed)?:?\s*<?"
    r"|(?:to|recipient|address|addressee|user)\s*[:<]\s*<?|could not be delivered to:?\s*<?"
    r"|following (?:recipients?|address(?:es)?)[^\n:]*:\s*<?|"
    r"original-recipient:\s*(?:rfc822;)?\s*<?"
    r"|unknown user:?\s*<?|for <)([^\s<>()\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})",
    re.IGNORECASE,
)


def _text_recipients(notice: str, exclude: set[str]) -> list[str]:
    found: list[str] = []
    for line in notice.split("\n")[:400]:
        for match in _RECIPIENT_PHRASE.finditer(line):
            found.append(match.group(1).strip(".").lower())
        line_match = _RECIPIENT_LINE.match(line)
        if line_match:
            found.append(line_match.group(1).strip(".").lower())
    out: list[str] = []
    for addr in found:
        if addr in exclude or addr in out or _DAEMON_SENDER.search(addr.split("@")[0]):
            continue
        out.append(addr)
    return out


# `<user@host>:` opening a line: how Postfix and qmail list each failed recipient before the
# server's answer. Where a notice lists its recipients this way they are exactly the failed
# ones, so flufl.bounce (a stdlib parse and a dozen detectors) is not needed to find them.
_LISTED_RECIPIENT = re.compile(r"^[ \t]*<([^\s<>()\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>:", re.M)


def _listed_recipients(notice: str, exclude: set[str]) -> list[str]:
    found = [m.group(1).strip(".").lower() for m in _LISTED_RECIPIENT.finditer(notice[:20000])]
    return [a for a in dict.fromkeys(found) if a not in exclude]


def _combine(kinds: list[str | None]) -> str | None:
    known = {k for k in kinds if k}
    if not known:
        return None
    if len(known) == 2:
        return "mixed"
    return known.pop()


_Triple = tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]
_QUANTIFIERS = "?*{+"
_META = set("\\.^$*+?{}[]|()")


def _literal_prefix(pattern: str) -> str:
    """The lower-cased literal text a pattern starts with ("" when it has none to rely on)."""
    prefix: list[str] = []
    for i, char in enumerate(pattern):
        if char == "^" and i == 0:
            continue
        if char in _META:
            if char in _QUANTIFIERS and prefix:
                prefix.pop()  # the last character was optional or repeated
            break
        prefix.append(char)
    text = "".join(prefix).lower()
    return text if len(text) >= 3 and text.isascii() else ""


@dataclass(frozen=True)
class _Heuristic:
    """flufl.bounce's SimpleMatch family: start line, address lines, end line, per pattern.

    Its own `process` tries every start pattern against every body line (most of the
    library's cost). A start line must contain its pattern's literal opening text, so a
    substring test of the lower-cased body skips the patterns that cannot start, and only
    the lines holding that text are tried: the same answer, line for line.
    """

    patterns: tuple[tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], str], ...]
    temporary: bool  # SimpleWarning reports its finds as temporary failures

    def run(self, lines: list[str], lowered: list[str], body: str) -> frozenset[bytes]:
        from flufl.bounce._detectors.simplematch import VALID, _quopri_decode

        addresses: set[bytes] = set()
        for start, end, address_re, prefix in self.patterns:
            if prefix and prefix not in body:
                continue
            first = next(
                (
                    i
                    for i, line in enumerate(lines)
                    if (not prefix or prefix in lowered[i]) and start.search(line)
                ),
                None,
            )
            if first is None:
                continue
            for line in lines[first:]:
                if found := address_re.search(line):
                    if address := found.group("addr"):
                        addresses.add(_quopri_decode(address))
                elif end.search(line):
                    break
            if addresses:
                break
        return frozenset(a for a in addresses if VALID.match(a))


def _detectors() -> list[tuple[type[BounceDetector], _Heuristic | None]]:
    """flufl.bounce's detectors in its own order; its heuristic ones with a faster runner.

    Empty when the library's layout is not the one this reads (then `all_failures` runs).
    """
    try:
        from flufl.bounce._detectors.simplematch import SimpleMatch
        from flufl.bounce._detectors.simplewarning import SimpleWarning
        from flufl.bounce._scan import _DETECTORS
    except ImportError:  # pragma: no cover - another flufl.bounce layout
        return []
    out: list[tuple[type[BounceDetector], _Heuristic | None]] = []
    for detector in _DETECTORS:
        fast = None
        if detector in (SimpleMatch, SimpleWarning):
            triples: list[_Triple] = list(getattr(detector, "PATTERNS", ()))
            fast = _Heuristic(
                tuple((s, e, a, _literal_prefix(s.pattern)) for s, e, a in triples),
                temporary=detector is SimpleWarning,
            )
        out.append((detector, fast))
    return out


_DETECTORS = _detectors()
# Detectors that return nothing unless the From address is their provider's (checked by the
# detector itself with the address parser; a substring test of the header skips them sooner).
_SENDER_NEEDLES = {"Yahoo": "yahoo", "Yale": "yale", "AOL": "aol", "Sina": "sina"}


def _body_lines(message: Message) -> list[str]:
    """What flufl.bounce's `body_line_iterator` yields: each string payload's lines."""
    lines: list[str] = []
    for part in message.walk():
        payload = part.get_payload()
        if isinstance(payload, str) and payload:
            pieces = payload.split("\n")
            lines += [piece + "\n" for piece in pieces[:-1]]
            if pieces[-1]:
                lines.append(pieces[-1])
    return lines


def _all_failures(message: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """`flufl.bounce.all_failures`, with its heuristic detectors run faster."""
    if not _DETECTORS:
        return all_failures(message)
    lines: list[str] | None = None
    lowered: list[str] = []
    body = ""
    sender = message.get("from", "")
    for detector, fast in _DETECTORS:
        needle = _SENDER_NEEDLES.get(detector.__name__)
        if needle and isinstance(sender, str) and needle not in sender.lower():
            continue  # the detector reads only its provider's mailer-daemon
        if fast is not None:
            if lines is None:
                lines = _body_lines(message)
                lowered = [line.lower() for line in lines]
                body = "".join(lowered)
            found = fast.run(lines, lowered, body)
            temporary, permanent = (found, frozenset()) if fast.temporary else (frozenset(), found)
        else:
            temporary, permanent = detector().process(message)
        if temporary or permanent:
            return frozenset(temporary), frozenset(permanent)
    return frozenset(), frozenset()


def _flufl(parsed: ParsedMessage) -> tuple[set[str], set[str]]:
    try:
        temporary, permanent = _all_failures(parsed.message)
    except Exception:
        return set(), set()

    def norm(values: frozenset[bytes] | frozenset[str]) -> set[str]:
        out: set[str] = set()
        for v in values:
            text = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            text = text.strip().strip("<>").lower()
            if "@" in text:
                out.add(text)
        return out

    return norm(temporary), norm(permanent)


# A sendmail transcript line about one target: `550 example.org (smtp)... 550 Host unknown`.
_TRANSCRIPT_ENTRY = re.compile(r"\d{3} \S+(?: \(\w+\))?\.\.\. ")


def _recipient_detail(notice: str, addr: str, others: list[str] | tuple[str, ...] = ()) -> str:
    """The notice lines about one recipient: its line and the few after it.

    They stop at the next recipient's own lines (a `<address>:` line, a line opening with
    another failed recipient's address, or a transcript line about another target).
    """
    low = notice.lower()
    pos = low.find(addr)
    if pos < 0:
        return ""
    start = low.rfind("\n", 0, pos) + 1
    text = notice if len(low) == len(notice) else low  # the same offsets either way
    detail = text[start:].split("\n", 6)[:6]
    starts = tuple(o for o in others if o != addr)
    starts += tuple(f"<{o}" for o in starts)
    for j, following in enumerate(detail[1:], 1):
        head = following.lstrip()[:200].lower()
        if (
            (head.startswith("<") and _LISTED_RECIPIENT.match(following))
            or (starts and head.startswith(starts))
            or (head[:1].isdigit() and _TRANSCRIPT_ENTRY.match(following) and addr not in head)
        ):
            return "\n".join(detail[:j])  # the next recipient's own lines
    return "\n".join(detail)


def _stage(notice: str, addr: str, own: str, count: int) -> str:
    """The SMTP command the recipient's failure answered: its own lines first, then the
    notice (a transcript reply naming it; the whole notice when it is the only one)."""
    stage = stage_of(own, addr) if own.strip() else ""
    if not stage and "<<<" in notice:
        stage = stage_of(notice, addr if count > 1 else "")
    if not stage and count == 1:
        stage = stage_of(notice[:3000])
    return stage


def _ses_notification(text: str) -> BounceReport | None:
    """An Amazon SES bounce notification (JSON, usually inside an SNS envelope), else None.

    Each bounced recipient's status and diagnostic decide hard or soft; SES's own
    `bounceType` (Permanent / Transient) only where they say nothing.
    """
    try:
        data = json.loads(text, strict=False)
        if isinstance(data, dict) and isinstance(data.get("Message"), str):
            data = json.loads(data["Message"], strict=False)  # the SNS envelope
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("notificationType") != "Bounce":
        return None
    bounce = data.get("bounce")
    if not isinstance(bounce, dict):
        return None
    fallback = "hard" if bounce.get("bounceType") == "Permanent" else "soft"
    recipients: list[str] = []
    kinds: list[str | None] = []
    reasons: list[str] = []
    statuses: list[str] = []
    for item in bounce.get("bouncedRecipients") or ():
        if not isinstance(item, dict) or "@" not in str(item.get("emailAddress", "")):
            continue
        recipients.append(_recipient(str(item["emailAddress"])))
        status = str(item.get("status") or "")
        kind, reason = classify_failure(str(item.get("diagnosticCode") or ""), status)
        kinds.append(kind or fallback)
        reasons.append(reason or f"SES bounceType {bounce.get('bounceType')}")
        if status:
            statuses.append(status)
    if not recipients:
        return None
    kind = _combine(kinds)
    return BounceReport(
        failed_recipients=tuple(dict.fromkeys(recipients)),
        kind=kind,
        statuses=tuple(dict.fromkeys(statuses)),
        evidence=(
            "Amazon SES bounce notification (notificationType: Bounce)",
            f"{kind}: {', '.join(dict.fromkeys(reasons))}",
        ),
        confidence=0.95,
    )


def scan_bounce(parsed: ParsedMessage, report: Report) -> BounceReport | None:
    """A BounceReport when the message is a delivery failure, else None."""
    if "notificationType" in parsed.text[:4000]:  # literal test before any JSON parse
        ses = _ses_notification(parsed.text.strip())
        if ses is not None:
            return ses
    evidence: list[str] = []
    score = 0.0
    sender = parsed.sender.email if parsed.sender else ""
    sender_text = parsed.header("from")
    return_path = parsed.header("return-path")
    if report.kind == "delivery-status":
        failing = [
            a for a in report.actions if not a.startswith(("delivered", "relayed", "expanded"))
        ]
        if report.actions and not failing:
            return None  # a delivery receipt
        score += 0.6
        evidence.append("multipart/report; report-type=delivery-status (RFC 3464)")
    elif report.kind in ("feedback-report", "disposition-notification"):
        return None
    if _DAEMON_SENDER.search(sender_text):
        score += 0.3
        evidence.append(f"sender {sender or sender_text!r} is a mail system")
    if return_path.strip() in ("<>", "") and parsed.has("return-path"):
        score += 0.2
        evidence.append("null Return-Path <>")
    subject = parsed.subject
    if _BOUNCE_SUBJECT.search(subject):
        score += 0.3
        evidence.append(f"subject {subject[:60]!r}")
    if parsed.has("x-failed-recipients"):
        score += 0.5
        evidence.append("X-Failed-Recipients header")
    if not score:
        # No report, mail-system sender, null Return-Path, bounce subject or failed-recipient
        # header: notice wording alone (at most 0.4) never makes a bounce.
        return None
    notice = _notice_text(parsed)
    # Lower-cased once: a case-sensitive search is several times faster than IGNORECASE.
    lowered = notice[:8000].lower()
    if not parsed.has("x-failed-recipients") and challenge_wording(notice, lowered):
        # A challenge-response filter holds the message until the sender acts: an automatic
        # reply (even when dressed as a delivery-status report), not a failure.
        return None
    found_phrases = _NOTICE_PHRASES.finditer(lowered)
    phrases = [m.group(0) for _, m in zip(range(2), found_phrases, strict=False)]
    if phrases:
        score += min(0.4, 0.2 * len(phrases))
        evidence.append(f"notice text {phrases[0].strip()[:40]!r}")
    gone = _ADDRESS_GONE.search(lowered[:3000]) if score < 0.5 else None
    if gone:
        # A program (the cues above) saying the address does not exist: a failure notice
        # even when its server marks it as an auto-reply and names no recipient.
        score += 0.3
        evidence.append(f"the notice says the address does not exist ({gone.group(0)!r})")
    auto_reply_words = re.search(
        r"out of (?:the )?office|vacation|on leave|abwesen|urlaub|auto(?:matic)?[- ]?reply|"
        r"autoreply"
        r"|autorespon|congés|absent|ausencia|férias|afwezig",
        subject,
        re.IGNORECASE,
    )
    if auto_reply_words and score < 0.9:
        return None
    machine = bool(
        _DAEMON_SENDER.search(sender_text)
        or (parsed.has("return-path") and return_path.strip() in ("<>", ""))
        or _BOUNCE_SUBJECT.search(subject)
    )
    if score < 0.5 and report.kind != "delivery-status":
        # Weak cues from a mail system: a failed recipient found makes it a bounce.
        if score < 0.3 or not machine:
            return None
        if _text_recipients(notice, {a.email for a in parsed.to} | {sender}):
            evidence.append("a failed recipient named in the notice")
        elif any(_flufl(parsed)):
            evidence.append("flufl.bounce detector found failed recipients")
        else:
            return None
        score += 0.3

    exclude = {a.email for a in parsed.to} | {sender}
    kinds: list[str | None] = []
    reasons: list[str] = []
    statuses: list[str] = []
    recipients: list[str] = []
    dsn = _dsn_recipients(parsed)
    if dsn:
        others = [a for a, _, _ in dsn]
        for addr, status, diagnostic in dsn:
            if addr not in recipients:
                recipients.append(addr)
            lines = _recipient_detail(notice, addr, others)
            detail = diagnostic or lines or notice[:3000]
            stage = _stage(notice, addr, f"{diagnostic}\n{lines}", len(dsn))
            kind, reason = classify_failure(detail, status, stage)
            kinds.append(kind)
            reasons.append(reason)
            if status:
                statuses.append(status.split()[0])
        evidence.append("recipients from the delivery-status fields")
    if not recipients and parsed.has("x-failed-recipients"):
        for value in parsed.headers["x-failed-recipients"]:
            recipients += [a.lower() for a in _ADDRESS.findall(value)]
        if recipients:
            evidence.append("recipients from X-Failed-Recipients")
    temporary, permanent = set[str](), set[str]()
    if not recipients:
        recipients = _listed_recipients(notice, exclude)
        if recipients:
            # flufl.bounce's detectors for these formats (Postfix, qmail, Yahoo) report every
            # listed address as a permanent failure: the same reading without running them.
            permanent = set(recipients)
            evidence.append("recipients from the notice's '<address>:' lines")
    if not recipients:
        temporary, permanent = _flufl(parsed)
        both = sorted(temporary | permanent)
        if both:
            recipients = both
            evidence.append("recipients from flufl.bounce")
    if not recipients:
        recipients = _text_recipients(notice, exclude)
        if recipients:
            evidence.append("recipients from the notice text")
    if not kinds:
        for addr in recipients:
            detail = _recipient_detail(notice, addr, recipients)
            if not states_a_reason(detail):
                # The recipient's own lines carry no server reply (a summary of the message):
                # the reason is elsewhere in the notice.
                detail = notice[:3000]
            stage = _stage(notice, addr, detail, len(recipients))
            kind, reason = classify_failure(detail, "", stage)
            if kind is None and addr in permanent:
                kind, reason = "hard", "permanent"  # flufl.bounce: this format's failures
            elif kind is None and addr in temporary:
                kind, reason = "soft", "delayed"
            elif kind is None:
                # No code and no reason: a failure notice is permanent, a delay warning not.
                warning = _WARNING.search(notice[:3000].lower())
                kind, reason = ("soft", "delayed") if warning else ("hard", "permanent")
            kinds.append(kind)
            reasons.append(reason)
        if not recipients:
            kind, reason = classify_failure(notice[:3000], "", _stage(notice, "", "", 1))
            kinds.append(kind)
            reasons.append(reason)
    if report.actions and all(a.startswith("delayed") for a in report.actions if a):
        kinds = ["soft" for _ in kinds]
        reasons = ["delayed" for _ in reasons]
    kind = _combine(kinds)
    if kind:
        why = ", ".join(dict.fromkeys(r for r in reasons if r)) or "diagnostic text"
        codes = ", ".join(dict.fromkeys(statuses))
        evidence.append(f"{kind}: {why}" + (f" ({codes})" if codes else ""))
    return BounceReport(
        failed_recipients=tuple(dict.fromkeys(recipients)),
        kind=kind,
        statuses=tuple(dict.fromkeys(statuses)),
        evidence=tuple(evidence),
        confidence=min(0.99, 0.5 + score / 2),
    )
