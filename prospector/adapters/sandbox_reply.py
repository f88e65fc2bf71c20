"""A prospect's answer to a sent message, to try the reply side against the sandbox."""

from __future__ import annotations

import email
import re
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

_RE = re.compile(r"re\s*:", re.IGNORECASE)


def reply_to(original: bytes, *, body: str, sender: str | None = None, quote: bool = True) -> bytes:
    """A plain-text reply to `original` as a prospect's mail client would write it.

    From is `sender`, else the original's first recipient; To is the original's Reply-To,
    else its From; the subject gets one "Re: "; In-Reply-To and References put it in the
    original's thread. With `quote`, the original's plain text follows under an
    attribution line, quoted with "> " as most clients do. Returns wire bytes (CRLF).
    """
    message = email.message_from_bytes(original, policy=policy.default)
    author = sender or _first_address(message, "To")
    recipient = _first_address(message, "Reply-To", "From")
    subject = str(message.get("Subject", "")).strip()

    reply = EmailMessage()
    reply["From"] = author
    reply["To"] = recipient
    reply["Subject"] = subject if _RE.match(subject) else f"Re: {subject}".rstrip()
    reply["Date"] = format_datetime(datetime.now().astimezone())
    reply["Message-ID"] = make_msgid(domain=_domain(author))
    parent = str(message.get("Message-ID", "")).strip()
    if parent:
        references = str(message.get("References", "")).split()
        reply["In-Reply-To"] = parent
        reply["References"] = " ".join([*references, parent])
    text = body.rstrip("\n") + "\n"
    if quote:
        text += _quoted(message)
    reply.set_content(text)
    return reply.as_bytes(policy=policy.SMTP)


def _first_address(message: EmailMessage, *names: str) -> str:
    for name in names:
        value = message.get(name)
        if value is not None:
            pairs = [pair for pair in getaddresses([str(value)]) if pair[1]]
            if pairs:
                display, address = pairs[0]
                return str(Address(display_name=display, addr_spec=address))
    raise ValueError(f"the original message has no {' or '.join(names)} address to reply to")


def _domain(address: str) -> str:
    """The Message-ID's domain; given explicitly, because the default asks DNS for the FQDN."""
    addr_spec = getaddresses([address])[0][1]
    return addr_spec.rpartition("@")[2] or "prospector-sandbox.invalid"


def _quoted(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    lines = [f"> {line}" if line else ">" for line in content.rstrip("\n").splitlines()]
    when = str(message.get("Date", "")).strip()
    who = str(message.get("From", "")).strip() or "you"
    attribution = f"On {when}, {who} wrote:" if when else f"{who} wrote:"
    return "\n" + attribution + "\n" + "\n".join(lines) + "\n"
