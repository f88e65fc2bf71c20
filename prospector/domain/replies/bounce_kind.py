"""Hard or soft: why one recipient's delivery failed, and whether the address is gone.

The taxonomy is sisimai's (https://libsisimai.org/en/reason/): a bounce has a *reason*,
and the reason decides hard or soft, as sisimai's `hardbounce` field does
(`Sisimai::SMTP::Error.soft_or_hard`). Hard reasons say the address itself is gone:

- `userunknown`: the mailbox does not exist (RFC 3463 X.1.0, X.1.1, X.1.3, or the
  server's words: "user unknown", "no such user", "ist unbekannt" …);
- `hostunknown`: the domain does not exist or has no route (X.1.2, X.4.4, "host not
  found", NXDOMAIN);
- `hasmoved`: the mailbox moved with no forwarding address (X.1.6);
- `notaccept`: the host or domain takes no mail at all (RFC 7504 521/556, RFC 7505 null
  MX, X.1.10, X.3.2 on a 5xx reply); with a 4xx reply it is soft.

Every other reason is soft, the address exists or may work later: `mailboxfull`,
`filtered` (refused after the server accepted the recipient), `rejected` (our envelope
sender was refused), `suspend` (a disabled mailbox), `blocked`, `spamdetected`,
`policyviolation`, `norelaying`, `expired` and `networkerror` (delays, a queue that gave
up, DNS trouble), `systemerror`, `mailererror` (a local delivery program failed),
`mesgtoobig`, `exceedlimit`.

The reason is read in this order, words before codes, because servers often send codes
that say less than their words (`550 5.7.1 No such user here`):

1. a refused envelope sender (X.1.7, X.1.8, "sender address rejected", a reply to MAIL
   FROM) → `rejected`; full-mailbox wording → `mailboxfull`;
2. a 4.x.x code, or wording that the server will retry or the queue gave up (try later,
   expired, "for the last 432000 seconds", DNS "host not found, try again") → soft;
3. a refusal in reply to DATA → `filtered`: the recipient had been accepted (not where an
   address-level code says the reply was about the address: PIPELINING sends RCPT TO and
   DATA together, so a transcript's last command can be DATA for an RCPT TO reply);
4. unknown-user wording → hard, except with an X.2.x code ("the mailbox exists", RFC
   3463) not said in reply to RCPT TO → `filtered`, and except in a remote server's reply
   (a quoted 5xx code) where nothing says which command it answered and no X.1.x code
   names the address → `filtered`, as sisimai reads it: filters and gateways refuse after
   DATA in the same words, so only RCPT TO, an address code, or the mailbox store itself
   (a notice with no reply code, sendmail's `mail.local`, LMTP) proves the address gone;
   unknown host, "has moved", "does not accept mail", 521/556 → hard;
5. an address-level code (X.1.0-X.1.3, X.1.6, X.1.10, X.4.4) → hard, unless the words
   name a relay, block, spam, policy, rate or size reason; X.3.2 on a 5xx → hard;
6. other reason wording (disabled, blocked, policy, size, "Transaction failed", a pipe or
   `X-Unix` exit status, connection trouble) or another specific code (5.7.1, 5.3.4) →
   soft;
7. a bare 5xx refusal at RCPT TO ("Recipient address rejected.") → `userunknown`; a bare
   refusal elsewhere → `rejected` (soft);
8. a bare 5xx reply code whose command is unknown (`host … said: 550`) → `undefined`,
   soft: nothing is said about the address; a DSN's own X.0.0 status, a bare 5xx at a
   known command, or "permanent"/"fatal" with no reason → hard, as RFC 3463's class digit
   and flufl.bounce read the reporting MTA's verdict; nothing at all → None (the caller
   decides from the notice).

The RFC 3464 diagnostic type (`smtp;`, `X-Postfix;`) is not read as words, and a relay's
own code and summary before the remote reply it quotes (`5.1.0 - Unknown address error
550-'5.7.1 … Access denied'`) give way to that reply. The SMTP command a failure answered
(`stage_of`) comes from the notice: Postfix's "(in reply to RCPT TO command)", Exim's
"SMTP error … after end of data", qmail's "does not like recipient", Yahoo's `[RCPT_TO]`,
`SMTP:RCPT host …`,
a sendmail or Courier transcript (`>>> DATA` then `<<< 550 …`; a later `503 Need RCPT`
or "no valid recipients" means the error answered RCPT TO).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["classify_failure", "stage_of", "states_a_reason"]


class _Gated:
    """A pattern searched only where one of the words every match contains is present: a
    substring test costs far less than trying a long alternation at every position."""

    __slots__ = ("pattern", "words")

    def __init__(self, words: tuple[str, ...], pattern: str) -> None:
        self.words = words
        self.pattern = re.compile(pattern)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if any(w in text for w in self.words) else None


_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<![\d.-])([245][0-5]\d)(?:[ -]|$)")

# Our own envelope sender (MAIL FROM) was refused: nothing is known about the recipient.
_SENDER = _Gated(
    ("sender",),
    r"sender (?:address )?rejected|domain of sender address|sender verif(?:y|ication) failed"
    r"|sender (?:domain|address) (?:is )?(?:invalid|unknown|not found|rejected|refused"
    r"|does not exist|not allowed|must exist)|unverified sender|invalid sender|bad sender",
)
# The mailbox exists and is out of room (RFC 3463 X.2.2 "persistent transient").
_FULL = _Gated(
    ("full", "exceed", "quota", "storage", "disk", "limit"),
    r"mailbox (?:is )?full|mail ?box.{0,40}(?:full|exceed)|mailfolder is full|over ?quota"
    r"|quota (?:exceeded|exceed)|(?:disk|storage|diskspace|mailbox) quota|exceeded (?:the )?storage"
    r"|insufficient (?:storage|disk)|disk full|mailbox size limit",
)
# The failure is (or was) temporary: the server asks us to retry, or the queue gave up.
_TEMPORARY = re.compile(
    r"temporar|try (?:again )?later|retry timeout|timed? ?out|timeout|expired|deferred"
    r"|could not be delivered (?:for|within) \d|not (?:yet been|been|) ?delivered within"
    r"|not yet been delivered|gr[ea]ylist|too many (?:connections|recipients)|rate limit"
    r"|will (?:continue trying|continue to try|keep trying|retry|try again)"
    r"|after (?:multiple|several|\d+) (?:retries|delivery attempts|attempts)"
    r"|failed \d+ attempts|for the last \d+ (?:seconds|minutes|hours|days)"
    r"|in the queue too long|not found, try again|delay"
)
# Refused in reply to DATA: the recipient had been accepted, the content was not.
_AFTER_DATA = _Gated(
    ("data",),
    r"(?:in reply to|after) (?:the )?end of data|after (?:the )?data command|in reply to data",
)
# The mailbox does not exist.
_USER_UNKNOWN = re.compile(
    r"user(?:name)? unknown|unknown (?:user|recipient|mailbox|local[- ]?part|address|alias)"
    r"|no such (?:user|mail-?box|recipient|address|account|person|local user)"
    r"|(?:user|mail-?box|recipient|address|account|addressee)(?: name)? (?:is )?(?:unknown"
    r"|not found|does not exist|doesn't exist|not exist|invalid|unavailable)"
    r"|(?:user|mailbox|account|recipient|address) .{0,40}(?:does not|doesn't) exist"
    r"|invalid (?:recipient|mailbox|address|user|final delivery userid)|address (?:is )?invalid"
    r"|not a valid (?:mailbox|recipient|user)|no mailbox (?:here|found)|recipientnotfound"
    r"|non-?existent (?:user|mailbox|address|recipient|account)|unrouteable address"
    r"|not listed in|no longer (?:valid|available|active|with)|is not a known user"
    r"|account (?:has been )?(?:closed|deleted|removed)|mailbox (?:has been )?(?:removed|deleted)"
    r"|bad destination mailbox|recipient address rejected: (?:user unknown|unknown user"
    r"|undeliverable|access denied)|not our customer|unknown or illegal alias|addressee unknown"
    r"|undeliverable address|doesn't have an? .{0,40}account|user doesn't have"
    r"|ist unbekannt|existiert nicht|inconnu|n'existe pas|desconocido|no existe|não existe"
    r"|onbekend|bestaat niet|user not known|did not (?:exactly )?match (?:an?|any) .{0,40}address"
    r"|(?:does not|doesn't) have an? (?:final )?(?:e-?mail )?(?:delivery point|mailbox)"
)
# The domain does not exist.
_HOST_UNKNOWN = _Gated(
    ("host", "domain", "name or service", "mx"),
    r"host (?:or domain name )?not found|host \S+ not found|host unknown|unknown host"
    r"|domain (?:name )?(?:not found|does not exist|unknown)|unknown domain|no such domain"
    r"|nxdomain|unrouteable domain|name or service not known|no mx|null mx"
    r"|domain (?:is )?not reachable",
)
_HAS_MOVED = _Gated(("moved", "forwarding"), r"has moved|moved permanently|no forwarding address")
# The host or domain takes no mail at all (RFC 7504, RFC 7505).
_NOT_ACCEPT = _Gated(
    ("accept",),
    r"does not accept (?:any )?(?:e-?)?mail|accepts no mail|not accepting (?:any )?(?:network )?"
    r"(?:mail|messages)",
)
# The recipient refused with no reason given (read as unknown user at RCPT TO only).
_RECIPIENT_REFUSED = _Gated(
    ("rejected", "accepted"), r"(?:recipient|address) (?:address )?rejected|recipient not accepted"
)
_TOO_BIG = r"too (?:big|large)|message (?:size|length)|size (?:limit|exceed)|exceeds? .{0,30}size"
# A 5xx reply code quoted in the text (`550 `, `550-'`, `ERROR_CODE :550,`, `550:`).
_QUOTED_5XX = re.compile(r"(?<![\d.#-])5[0-5]\d(?![\d.])")
# The mailbox store's own delivery agent speaking (sendmail's mail.local, LMTP).
_LOCAL_AGENT = re.compile(r"mail\.local:|\blmtp\b|local delivery")
# Words that make an address-level code something else: the address may be fine.
_NOT_THE_ADDRESS = re.compile(
    r"relay|block|black ?list|spam|reputation|recipient preferences|policy|rate limit|too many"
    r"|" + _TOO_BIG
)
# Reasons that say the address is fine but this delivery failed.
_SOFT_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("suspend", re.compile(r"disabled|suspend|inactive|deactivated|discontinued|on hold|frozen")),
    ("norelaying", re.compile(r"relay")),
    (
        "blocked",
        re.compile(
            r"block|black ?list|reputation|not permitted|permission|unauthori[sz]ed|invalid ip"
            r"|berechtigung|autorisation|permiso|permissão|toestemming|権限|权限|權限"
            r"|ptr|reverse dns|security (?:polic|reason|check|error)|authenticat|dmarc|spf|dkim"
        ),
    ),
    ("spamdetected", re.compile(r"spam|virus|content")),
    ("policyviolation", re.compile(r"policy")),
    ("mesgtoobig", re.compile(_TOO_BIG + r"|line limit|too long")),
    (
        "mailererror",
        re.compile(
            r"pipe to \||mailer error|local delivery|exit (?:status|code)"
            r"|command died|died with status"
        ),
    ),
    (
        "systemerror",
        re.compile(
            r"service (?:is )?(?:currently )?(?:un|not )?available|transaction failed"
            r"|system (?:error|full)|routing loop|loop detected|busy|overload"
            r"|error while being processed|internal error"
        ),
    ),
    (
        "networkerror",
        re.compile(r"connect|socket|network|not reachable|unreachable|not responding|failing for"),
    ),
    ("exceedlimit", re.compile(r"too many|rate limit|limit")),
)
# A refusal that gives no reason.
_REFUSED = re.compile(r"rejected|refused|denied|not accepted")
_GROUP_REFUSED = "groups.google.com/support"
# Address-level RFC 3463 codes (subject, detail): X.1.0-X.1.3, X.1.6, X.1.10, X.4.4.
_HARD_STATUS = {(1, 0): "userunknown", (1, 1): "userunknown", (1, 2): "hostunknown",
                (1, 3): "userunknown", (1, 6): "hasmoved", (1, 10): "notaccept",
                (4, 4): "hostunknown"}  # fmt: skip
_SENDER_STATUS = {(1, 7), (1, 8)}


# `smtp; 5.1.0 - Unknown address error 550-'5.7.1 …'`: a relay's code and summary, then the
# remote server's reply.
_DIAGNOSTIC_TYPE = re.compile(r"[a-z][a-z0-9-]{1,30}")
_RELAY_SUMMARY = re.compile(r"[245]\.\d{1,3}\.\d{1,3} - [^'\"]{0,80}?(?=[245]\d\d[ -]['\"])")
# A reply code and the enhanced code the server sent with it (`550 5.7.1`, `550-'5.7.1`).
_REPLY_AND_CODE = re.compile(
    r"(?<![\d.])[245]\d\d[ -]['\"#]?([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])"
)


@lru_cache(maxsize=64)  # several recipients often share one notice
def classify_failure(text: str, status: str = "", stage: str = "") -> tuple[str | None, str]:
    """(hard | soft | None, reason) for one recipient's failure.

    `text` is what the server said about the recipient (its diagnostic or notice lines),
    `status` the RFC 3464 Status field, `stage` the SMTP command it answered (`stage_of`).
    """
    # Lower-cased (the patterns are lower-case, matched case-sensitively), one line: servers
    # and MTAs wrap long replies anywhere.
    text = " ".join(text[:2000].lower().split())
    dtype, sep, rest = text.partition(";")
    if sep and _DIAGNOSTIC_TYPE.fullmatch(dtype):  # RFC 3464 `smtp; 550 …`, `x-postfix; …`
        if dtype == "x-unix":
            return "soft", "mailererror"  # a local delivery program's exit status
        text = rest.strip()
    relayed = _RELAY_SUMMARY.match(text)
    if relayed:
        text = text[relayed.end() :]  # a relay's own code and summary before the remote reply
    codes = _codes(text) + [(int(a), int(b), int(c)) for a, b, c in _ENHANCED.findall(status)]
    specific = [c for c in codes if (c[1], c[2]) != (0, 0)]
    detail = (specific[0][1], specific[0][2]) if specific else None
    if stage == "MAIL" or detail in _SENDER_STATUS or _SENDER.search(text):
        return "soft", "rejected"
    if _GROUP_REFUSED in text:
        # A Google Group refusing a post (not a member, posting closed): the group is there.
        # Its notices, in every language, end with a link to the Groups help centre.
        return "soft", "rejected"
    if _FULL.search(text):
        return "soft", "mailboxfull"
    if (codes and codes[0][0] == 4) or _TEMPORARY.search(text):
        return "soft", "expired"  # the server will retry, or asks us to
    address_code = detail in _HARD_STATUS and not _NOT_THE_ADDRESS.search(text)
    if not address_code and (stage == "DATA" or _AFTER_DATA.search(text)):
        # The recipient was accepted; the content was refused. (An address-level code says
        # the reply was about the address: pipelining sends RCPT TO and DATA together.)
        return "soft", "filtered"
    if _USER_UNKNOWN.search(text):
        if detail and detail[0] == 2 and stage != "RCPT":
            return "soft", "filtered"  # X.2.x: the mailbox exists (RFC 3463)
        if (
            not stage
            and not (detail and detail[0] == 1)
            and _QUOTED_5XX.search(text)
            and not _LOCAL_AGENT.search(text)
        ):
            # A remote server's reply, the command it answered unknown: filters and
            # gateways refuse after DATA in the same words (sisimai's `filtered`).
            return "soft", "filtered"
        return "hard", "userunknown"
    for reason, gated in (
        ("hostunknown", _HOST_UNKNOWN),
        ("hasmoved", _HAS_MOVED),
        ("notaccept", _NOT_ACCEPT),
    ):
        if gated.search(text):
            return _permanent(text, codes), reason
    reply = _SMTP_CODE.search(text)
    if reply and reply.group(1) in ("521", "556"):
        return "hard", "notaccept"  # RFC 7504: the host / domain does not accept mail
    if address_code and detail:
        return "hard", _HARD_STATUS[detail]
    if detail == (3, 2) and specific[0][0] == 5:
        return "hard", "notaccept"
    for reason, pattern in _SOFT_REASONS:
        if pattern.search(text):
            return "soft", reason
    if specific:
        return "soft", f"status {'.'.join(map(str, specific[0]))}"
    if stage == "RCPT" and _RECIPIENT_REFUSED.search(text) and _permanent(text, codes) == "hard":
        return "hard", "userunknown"  # a 5xx refusal of the recipient at RCPT TO, no reason
    if _REFUSED.search(text):
        return "soft", "rejected"
    if codes:
        return ("hard", "permanent") if codes[0][0] == 5 else (None, "")
    if reply and not stage and reply.group(1).startswith("5"):
        return "soft", "undefined"  # a bare reply code, the command unknown: nothing said
    if reply:
        return ("hard", "permanent") if reply.group(1).startswith("5") else ("soft", "expired")
    if "permanent" in text or "fatal" in text:
        return "hard", "permanent"
    return None, ""


def _codes(text: str) -> list[tuple[int, int, int]]:
    """The enhanced status codes of a diagnostic, the remote server's first.

    A relay that wraps the remote reply in its own summary (`5.1.0 - Unknown address
    error 550-'5.7.1 … Access denied'`) puts its code first; the code that travels with
    the reply code is the server's own.
    """
    found = [(int(a), int(b), int(c)) for a, b, c in _ENHANCED.findall(text)]
    attached = _REPLY_AND_CODE.search(text)
    if attached:
        code = (int(attached.group(1)), int(attached.group(2)), int(attached.group(3)))
        found.remove(code)
        found.insert(0, code)
    return found


def _permanent(text: str, codes: list[tuple[int, int, int]]) -> str:
    """hard, unless the only reply code is a 4xx (the server may take mail later)."""
    if codes:
        return "hard" if codes[0][0] == 5 else "soft"
    reply = _SMTP_CODE.search(text)
    return "soft" if reply and reply.group(1).startswith("4") else "hard"


_STAGE = re.compile(
    r"in\s+reply\s+to\s+(?:the\s+)?(end\s+of\s+data|data|rcpt\s+to|mail\s+from|rcpt|mail)\b"
    r"|after\s+(end\s+of\s+data|data|rcpt\s+to|mail\s+from|rcpt|mail)(?:\s+command|\s*:)"
    r"|did\s+not\s+like\s+our\s+(rcpt\s+to|mail\s+from|data)"
    r"|does\s+not\s+like\s+(recipient|sender)"  # qmail
    r"|\[(rcpt_to|mail_from|end_of_data|data)\]"
    r"|\bsmtp:(rcpt|mail|data)\b"  # `SMTP:RCPT host 192.0.2.1: 553 …`
    r"|smtp\s+command[^\n]*\n\s*(data|rcpt\s+to|mail\s+from)\b"
)
# One of these is in every match of _STAGE: a cheap test before the search.
_STAGE_WORDS = ("reply", "after", "like", "_to]", "data]", "from]", "command", "smtp:")
_TRANSCRIPT_REPLY = re.compile(r"^\s*<<<\s*[45]\d\d\b")
# A pipelined DATA refused for want of recipients: the error before it answered RCPT TO.
_NO_RECIPIENTS = re.compile(r"^\s*<<<\s*5\d\d\b.{0,40}(?:need rcpt|no valid recipients)")


def _command(word: str) -> str:
    word = word.lower()
    if word.startswith(("rcpt", "recipient")):
        return "RCPT"
    if word.startswith(("mail", "sender")):
        return "MAIL"
    return "DATA"


@lru_cache(maxsize=32)  # each recipient of a notice reads the same notice
def stage_of(text: str, address: str = "") -> str:
    """The SMTP command ("MAIL", "RCPT", "DATA") the failure answered, "" when not stated.

    Where a session transcript holds several replies, the one naming `address` is read.
    """
    low = text[:6000].lower()
    if "<<<" in low:
        stage = _transcript_stage(low, address.lower())
        if stage:
            return stage
    match = _STAGE.search(low) if any(w in low for w in _STAGE_WORDS) else None
    if match:
        return _command(next(g for g in match.groups() if g))
    return ""


def _transcript_stage(low: str, address: str) -> str:
    """The last `>>>` command before the server's failure reply (sendmail, Courier)."""
    lines = low.split("\n")
    last = ""
    chosen = -1
    commands: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">>>"):
            last = stripped[3:].strip()
        elif _TRANSCRIPT_REPLY.match(line):
            commands.append(last)
            if chosen < 0 and (not address or address in line):
                chosen = len(commands) - 1
                rest = lines[i + 1 :]
                if last.startswith("data") and any(_NO_RECIPIENTS.match(r) for r in rest):
                    return "RCPT"
    if chosen < 0 and len(commands) == 1:
        chosen = 0
    if chosen < 0 or not commands[chosen]:
        return ""
    word = commands[chosen].split(":")[0].split("<")[0].strip()
    if word.startswith(("rcpt", "mail from", "data", ".")):
        return "DATA" if word == "." else _command(word)
    return ""


def states_a_reason(detail: str) -> bool:
    """A status code, or unknown-user, unknown-host, full-mailbox or temporary wording."""
    if _ENHANCED.search(detail) or _SMTP_CODE.search(detail):
        return True
    low = detail[:2000].lower()
    return any(p.search(low) for p in (_USER_UNKNOWN, _HOST_UNKNOWN, _FULL, _TEMPORARY))


# Soft reasons that pass with time: the same message may be sent again later. Blocks,
# spam and policy refusals, size limits and a refused sender would only fail again (and
# cost the mailbox its reputation), so those are counted but never re-sent.
TRANSIENT_REASONS = frozenset(
    {
        "mailboxfull",
        "expired",
        "delayed",
        "systemerror",
        "systemfull",
        "networkerror",
        "exceedlimit",
        "toomanyconn",
        "mailererror",
    }
)


def worth_resending(evidence: tuple[str, ...]) -> bool:
    """Whether a soft bounce's reasons (its `soft: …` evidence line) all pass with time."""
    for line in evidence:
        if line.startswith("soft: "):
            reasons = line.removeprefix("soft: ").split(" (", 1)[0].split(", ")
            return all(r.strip() in TRANSIENT_REASONS for r in reasons)
    return False
