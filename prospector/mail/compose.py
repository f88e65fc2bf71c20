"""Build the exact message that goes out: plain text, threaded, with opt-out and address.

Pure: every input, including the Message-ID and the date, is an argument, so the same
inputs give the same bytes (preview shows what sending will send). Header values are
checked before use: a CR or LF in a subject or name would let a contact's data write
extra headers (header injection), so it is refused, never cleaned up silently.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

from prospector.mail import wire

SIGNATURE_SEPARATOR = "\n-- \n"
_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOMAIN = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
# dot-atom local part @ dot-atom domain, ASCII only: exactly what Address() would accept
# unchanged for these characters; anything else goes through the email package's parser.
_PLAIN_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_MSGID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_LONGEST_PLAIN_LINE = 998  # RFC 5322 hard limit; longer lines need quoted-printable
_UNFOLDED = frozenset({"list-unsubscribe", "list-unsubscribe-post"})


class MailPolicy(EmailPolicy):
    """`policy.default`, except List-Unsubscribe is folded only between its URIs.

    The stock policy turns a long URI into RFC 2047 encoded words, which mail clients
    then cannot follow; one-click unsubscribe needs the URI byte for byte.
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() in _UNFOLDED:
            return self._fold_between_uris(name, str(value))
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in _UNFOLDED:
            return self._fold_between_uris(name, str(value)).encode("ascii")
        return super().fold_binary(name, value)

    def _fold_between_uris(self, name: str, value: str) -> str:
        parts = [part.strip() for part in value.split(",")]
        return f"{name}: " + f",{self.linesep} ".join(parts) + self.linesep


POLICY = MailPolicy()
WIRE_POLICY = POLICY.clone(linesep="\r\n")


def new_message_id(domain: str, token: str) -> str:
    """`<token@domain>`; the caller supplies the randomness, so this stays pure and testable."""
    if not _ATOM.match(token) or not _DOMAIN.match(domain):
        raise ValueError(f"cannot build a Message-ID from token {token!r} and domain {domain!r}")
    return f"<{token}@{domain}>"


def random_token(rng: random.Random) -> str:
    """128 random bits as hex: unique enough that two Message-IDs never collide."""
    return f"{rng.getrandbits(128):032x}"


def reply_subject(first_subject: str) -> str:
    """ "Re: " + the first subject, however many "Re:" prefixes it already carries."""
    base = first_subject.strip()
    while base[:3].lower() == "re:":
        base = base[3:].lstrip()
    return f"Re: {base}" if base else "Re:"


def footer(opt_out: str, postal_address: str) -> str:
    """The legally required lines: how to opt out, and where the sender is."""
    return "\n".join(part.strip() for part in (opt_out, postal_address) if part.strip())


def signed_body(body: str, footer_text: str) -> str:
    """The note, then the standard "-- " signature separator, then the footer."""
    return body.rstrip() + "\n" + SIGNATURE_SEPARATOR + footer_text.strip() + "\n"


def compose_bytes(
    *,
    from_name: str,
    from_address: str,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    footer: str,
    list_unsubscribe_mailto: str | None,
    list_unsubscribe_url: str | None,
    cc: tuple[str, str] | None = None,
) -> bytes:
    """One text/plain UTF-8 message as SMTP wire bytes; ValueError if any value is unsafe.

    `cc` is one (name, address) in copy: the AE an intro email hands the prospect to.
    """
    refs = tuple(references)
    for msgid in (message_id, *((in_reply_to,) if in_reply_to else ()), *refs):
        _check_message_id(msgid)
    headers = [
        wire.address("From", *_address("From", from_name, from_address)),
        wire.address("To", *_address("To", to_name, to_address)),
        *([wire.address("Cc", *_address("Cc", *cc))] if cc else []),
        wire.text("Subject", _header_text("Subject", subject)),
        f"Date: {_date(date)}",
        f"Message-ID: {message_id}",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    if refs:
        headers.append(wire.id_list("References", refs))
    uris = _unsubscribe_uris(list_unsubscribe_mailto, list_unsubscribe_url)
    if uris:
        headers.append(wire.uri_list("List-Unsubscribe", uris))
    if list_unsubscribe_url:
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    transfer_encoding, encoded = wire.body(signed_body(body, footer))
    return wire.assemble(headers, transfer_encoding, encoded)


def build_message(**fields: Any) -> EmailMessage:
    """The same message as an EmailMessage (for preview and checks), parsed from its bytes
    so that what is shown is exactly what is sent. Takes `compose_bytes`'s arguments."""
    wire_form = compose_bytes(**fields)
    parsed = message_from_bytes(wire_form.replace(b"\r\n", b"\n"), policy=POLICY)
    assert isinstance(parsed, EmailMessage)
    return parsed


def wire_bytes(msg: EmailMessage) -> bytes:
    """The bytes to hand to SMTP (CRLF), folded by our policy rather than the stock SMTP one."""
    return msg.as_bytes(policy=WIRE_POLICY)


def _header_text(header: str, value: str) -> str:
    """Refuse line breaks (header injection), other control characters and lookalike encodings."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{header} contains a line break (header injection refused): {value!r}")
    plain = value.isascii() and value.isprintable()  # printable ASCII has no control character
    for char in () if plain else value:
        if unicodedata.category(char) in {"Cc", "Zl", "Zp"}:
            raise ValueError(f"{header} contains a control character {char!r}: {value!r}")
    if _ENCODED_WORD.search(value):
        raise ValueError(f"{header} contains an RFC 2047 encoded word: {value!r}")
    return value.strip()


@functools.lru_cache(maxsize=4096)
def _address(header: str, name: str, address: str) -> tuple[str, str]:
    """(display name, addr-spec), checked by the email package's own address parser."""
    display = _header_text(f"{header} name", name)
    addr_spec = _header_text(f"{header} address", address)
    if _PLAIN_ADDRESS.match(addr_spec):  # the common case, already valid: skip the parser
        return display, addr_spec
    try:
        parsed = Address(display_name=display, addr_spec=addr_spec)
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError(f"{header} address {address!r} is not valid: {exc}") from exc
    if not parsed.addr_spec.isascii():
        raise ValueError(f"{header} address {address!r} needs SMTPUTF8, which is not supported")
    return parsed.display_name, parsed.addr_spec


def _date(date: datetime) -> str:
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the Date header needs a timezone-aware datetime")
    return format_datetime(date)


def _check_message_id(value: str) -> None:
    _header_text("Message-ID", value)
    if not _MSGID.match(value):
        raise ValueError(f"{value!r} is not a Message-ID of the form <token@domain>")


def _unsubscribe_uris(mailto: str | None, url: str | None) -> list[str]:
    """RFC 2369 List-Unsubscribe targets; an https URL also enables RFC 8058 one-click."""
    uris = []
    if mailto:
        target = _header_text("List-Unsubscribe mailto", mailto)
        uris.append(target if target.lower().startswith("mailto:") else f"mailto:{target}")
    if url:
        target = _header_text("List-Unsubscribe URL", url)
        if not target.lower().startswith("https://"):
            raise ValueError(f"the unsubscribe URL must start with https:// (RFC 8058): {url!r}")
        uris.append(target)
    for uri in uris:
        if not uri.isascii() or any(c in uri for c in " <>,"):
            raise ValueError(f"unsubscribe URI {uri!r} must be ASCII without spaces, <, > or ,")
    return uris
