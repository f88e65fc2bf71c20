"""Delivery failures: RFC 3464 reports, the many non-standard bounce formats, and hard or soft.

Hard means the address itself is gone (unknown user or domain, moved, refuses all mail):
the daemon suppresses it for good. Everything else (full mailbox, blocks, spam filters,
policy, timeouts) is soft: the address may work later, so it is retried a limited number
of times. flufl.bounce (Mailman's detectors) finds recipients in formats we do not parse;
RFC 3464 fields, X-Failed-Recipients and the notice text come first because they say more.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache

from flufl.bounce import BounceDetector, all_failures

from prospector.domain.replies.auto_reply import challenge_wording
from prospector.domain.replies.parse import ParsedMessage, Part

__all__ = ["BounceReport", "Report", "read_report", "scan_bounce"]

# flufl.bounce logs every detector at INFO and re-raises after logging; the daemon wants
# neither in its log for a message it already handles.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)

_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<![\d.-])([245][0-5]\d)(?:[ -]|$)")

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
# Reasons that mean the address itself does not exist or never will take mail.
_HARD_TEXT = re.compile(
    r"user(?:name)? unknown|unknown (?:user|recipient|mailbox|local[- ]?part|address|alias)"
    r"|no such (?:user|mailbox|recipient|address|account|person|local user|domain)"
    r"|(?:user|mailbox|recipient|address|account|addressee)(?: name)? (?:is )?(?:unknown|not found"
    r"|does not exist|doesn't exist|not exist|invalid|unavailable)|invalid (?:recipient|mailbox|"
    r"address|user)"
    r"|(?:user|mailbox|account|recipient|address) .{0,40}(?:does not|doesn't) exist|"
    r"not a valid (?:mailbox|recipient|user)|no mailbox here"
    r"|mailbox not found|user not found|recipient not found|recipientnotfound|unrouteable address"
    r"|not listed in|no longer (?:valid|available|active|with)|account (?:has been )?(?:closed|"
    r"deleted|removed)"
    r"|bad destination mailbox|recipient address rejected: (?:user unknown|unknown user|"
    r"undeliverable)|not our customer|unknown or illegal alias"
    r"|host (?:or domain name )?not found|host unknown|unknown host|domain (?:not found|"
    r"does not exist"
    r"|unknown)|no such domain|name service error|nxdomain|unrouteable domain|has moved|"
    r"does not accept (?:any )?mail|no mx|null mx|mailbox (?:has been )?(?:removed|deleted)"
    r"|is not a known user|recipient address rejected: (?:user unknown|access denied)"
    r"|account that you tried to reach does not exist|addressee unknown|undeliverable address"
    r"|no such person|user doesn't have|invalid address|address (?:is )?invalid|unknown address"
    r"|ist unbekannt|existiert nicht|inconnu|n'existe pas|desconocido|no existe|não existe"
    r"|onbekend|bestaat niet",
)
# Reasons that say the address is fine but this delivery failed.
_SOFT_TEXT = re.compile(
    r"mailbox (?:is )?full|over ?quota|quota (?:exceeded|exceed)|exceed(?:ed|"
    r"s)? (?:the )?(?:storage|quota)"
    r"|insufficient (?:storage|disk)|disk full|mailbox size limit|too many|rate limit|"
    r"try (?:again )?later"
    r"|temporar|greylist|graylist|deferred|delayed|timed? ?out|timeout|expired|retry|connection"
    r"|spam|blocked|blacklist|block ?list|denied|policy|rejected|refused|reputation|not permitted"
    r"|relay|authenticat|dmarc|spf|dkim|ptr|reverse dns|virus|too (?:big|large)|size|message length"
    r"|content|suspend|disabled|inactive|on hold|system (?:error|full)|mailer error|network"
    r"|routing loop|loop detected|not accepted|security|unauthorized|frozen|busy|overload"
    r"|connect|socket|permission to|failing for|\d+ (?:delivery )?attempts|line limit|too long",
)
_FULL_TEXT = re.compile(
    r"mailbox (?:is )?full|over ?quota|quota (?:exceeded|exceed)|exceeded (?:the )?storage|"
    r"insufficient storage",
)
_TEMPORARY_TEXT = re.compile(
    r"temporar|try (?:again )?later|retry timeout|timed? ?out|timeout|expired"
    r"|deferred|could not be delivered (?:for|within) \d|has not (?:yet )?been delivered"
    r"|will (?:continue|keep) (?:trying|to try)|greylist|graylist|too many (?:connections|"
    r"recipients)"
    r"|rate limit",
)
_WARNING = re.compile(
    r"delay|warning|will (?:continue|keep) (?:trying|to try)|not (?:yet )?been delivered"
    r"|will (?:retry|try again)|still trying",
)
_HARD_STATUS = {(1, 1), (1, 0), (1, 2), (1, 6), (1, 10), (1, 3), (4, 4)}


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
    if not texts and re.search(r"^(?:Final|Original)-Recipient:", parsed.text, re.M | re.I):
        texts = [parsed.text]  # a report sent as plain text
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
    text = "\n".join(chunks) or parsed.text
    # Returned originals pasted inline: keep the notice above them.
    cut = re.search(
        r"^\s*(?:-{3,}\s*)?(?:original message follows|this is a copy of the message|"
        r"below this line is a copy"
        r"|the original message (?:was|is)|------ ?original message|----- ?transcript of session"
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


_AFTER_DATA = re.compile(
    r"(?:in reply to|after) (?:the )?end of data|after (?:the )?data command|in reply to data",
)


def _states_a_reason(detail: str) -> bool:
    """A status code, or unknown-user, full-mailbox or temporary wording."""
    if _ENHANCED.search(detail) or _SMTP_CODE.search(detail):
        return True
    low = detail[:2000].lower()
    return bool(_HARD_TEXT.search(low) or _FULL_TEXT.search(low) or _TEMPORARY_TEXT.search(low))


@lru_cache(maxsize=64)  # several recipients often share one notice
def _kind_of(text: str, status: str) -> str | None:
    """hard or soft for one recipient: what the server said, then the status code.

    Hard means the address itself is gone. The diagnostic text decides first, because
    servers often send codes that say less than their words (`550 5.7.1 No such user`):
    a full mailbox is soft; unknown user or domain wording is hard, unless the server said
    it after accepting the recipient (at the end of DATA the address exists, so it is a
    content filter); block, spam, policy, size, timeout or connection wording is soft.
    Then the most specific code (the diagnostic's before the Status field): any 4.x.x is
    soft, an address-level one (RFC 3463 X.1.0-X.1.3, X.1.6, X.1.10, X.4.4 no route to
    the domain) is hard, another specific one (5.7.1 policy, 5.2.2 full, 5.3.4 size) is
    soft. A bare 5xx or "permanent" failure with no reason is hard.
    """
    text = text[:2000].lower()  # the wording patterns are lower-case, matched case-sensitively
    if _FULL_TEXT.search(text):
        return "soft"
    codes = [tuple(int(g) for g in m.groups()) for m in _ENHANCED.finditer(text + " " + status)]
    specific = [c for c in codes if (c[1], c[2]) != (0, 0)]
    if (codes and codes[0][0] == 4) or _TEMPORARY_TEXT.search(text):
        return "soft"  # the server will retry, or asks us to
    if _AFTER_DATA.search(text):
        return "soft"  # the recipient was accepted; the content was refused
    if _HARD_TEXT.search(text):
        return "hard"
    soft_words = _SOFT_TEXT.search(text)
    if specific and (specific[0][1], specific[0][2]) in _HARD_STATUS and not soft_words:
        return "hard"
    if soft_words or specific:
        return "soft"
    if codes:
        return "hard" if codes[0][0] == 5 else None
    smtp = _SMTP_CODE.search(text)
    if smtp:
        return "hard" if smtp.group(1).startswith("5") else "soft"
    if re.search(r"permanent|fatal", text, re.IGNORECASE):
        return "hard"
    return None


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


def _recipient_detail(notice: str, addr: str) -> str:
    """The notice lines about one recipient: its line and the few after it."""
    lines = notice.split("\n")
    for i, line in enumerate(lines):
        if addr in line.lower():
            detail = lines[i : i + 6]
            for j, following in enumerate(detail[1:], 1):
                if following.lstrip().startswith("<") and _LISTED_RECIPIENT.match(following):
                    return "\n".join(detail[:j])  # the next recipient's own lines
            return "\n".join(detail)
    return ""


def scan_bounce(parsed: ParsedMessage, report: Report) -> BounceReport | None:
    """A BounceReport when the message is a delivery failure, else None."""
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
    statuses: list[str] = []
    recipients: list[str] = []
    dsn = _dsn_recipients(parsed)
    if dsn:
        for addr, status, diagnostic in dsn:
            if addr not in recipients:
                recipients.append(addr)
            detail = diagnostic or _recipient_detail(notice, addr) or notice[:3000]
            kinds.append(_kind_of(detail, status))
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
            detail = _recipient_detail(notice, addr)
            if not _states_a_reason(detail):
                # The recipient's own lines carry no server reply (a summary of the message):
                # the reason is elsewhere in the notice.
                detail = notice[:3000]
            kind = _kind_of(detail, "")
            if (
                addr in permanent
                and not _ENHANCED.search(detail)
                and not _TEMPORARY_TEXT.search(detail.lower())
            ):
                kind = "hard"  # flufl.bounce's detectors know this format's permanent failures
            elif kind is None and addr in temporary:
                kind = "soft"
            elif kind is None:
                # No code and no reason: a failure notice is permanent, a delay warning not.
                kind = "soft" if _WARNING.search(notice[:3000].lower()) else "hard"
            kinds.append(kind)
        if not recipients:
            kinds.append(_kind_of(notice[:3000], ""))
    if report.actions and all(a.startswith("delayed") for a in report.actions if a):
        kinds = ["soft" for _ in kinds]
    kind = _combine(kinds)
    if kind:
        evidence.append(f"{kind}: " + (", ".join(dict.fromkeys(statuses)) or "diagnostic text"))
    return BounceReport(
        failed_recipients=tuple(dict.fromkeys(recipients)),
        kind=kind,
        statuses=tuple(dict.fromkeys(statuses)),
        evidence=tuple(evidence),
        confidence=min(0.99, 0.5 + score / 2),
    )
