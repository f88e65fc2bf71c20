"""People named in a reply: addresses (also written "jane [at] acme [dot] com"), the names
next to them, Latin and CJK, and the job title said with them.

Used for the stand-ins of an out-of-office and for referrals. A role mailbox (sales@,
info@) is an address but never a person: the daemon must not enrol `finance@` as a prospect.
"""

# ruff: noqa: RUF001, RUF002  (CJK punctuation in phrase lists is meant, not a look-alike)

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Person",
    "cjk_names",
    "emails_in",
    "is_role_address",
    "latin_names",
    "name_for_email",
    "normalise_display_name",
    "title_near",
]


@dataclass(frozen=True)
class Person:
    """Someone the reply points to; any field may be unknown."""

    name: str | None
    email: str | None
    title: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"name": self.name, "email": self.email, "title": self.title}


_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_OBFUSCATED = re.compile(
    r"([A-Za-z0-9._%+-]+)\s*(?:\[at\]|\(at\)|\{at\}|\s+at\s+)\s*([A-Za-z0-9-]+)"
    r"((?:\s*(?:\[dot\]|\(dot\)|\{dot\})\s*[A-Za-z0-9-]+|\s+dot\s+[A-Za-z0-9-]+|\.[A-Za-z0-9-]+)+)",
    re.IGNORECASE,
)
_ROLE_LOCALS = frozenset(
    [
        "info",
        "sales",
        "support",
        "office",
        "admin",
        "administrator",
        "hello",
        "hi",
        "contact",
        "contacts",
        "team",
        "help",
        "helpdesk",
        "service",
        "services",
        "billing",
        "finance",
        "accounting",
        "accounts",
        "hr",
        "jobs",
        "careers",
        "recruiting",
        "marketing",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "enquiries",
        "enquiry",
        "inquiries",
        "inquiry",
        "reception",
        "mail",
        "post",
        "postmaster",
        "webmaster",
        "kontakt",
        "vertrieb",
        "empfang",
        "buero",
        "büro",
        "zentrale",
        "contato",
        "contacto",
        "ventas",
        "comercial",
        "bureau",
        "secretariat",
        "secretaria",
        "atendimento",
        "vendas",
        "verkoop",
        "receptie",
        "klantenservice",
        "press",
        "media",
        "legal",
        "privacy",
        "security",
        "abuse",
        "orders",
        "order",
        "booking",
        "bookings",
        "partners",
        "partnerships",
        "customerservice",
        "customer-service",
        "feedback",
        "general",
        "mailbox",
        "newsletter",
        "it",
        "ops",
        "operations",
        "purchasing",
        "procurement",
        "compras",
        "einkauf",
    ]
)
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+"
_PARTICLE = r"(?:van der|van den|van de|van|von|de la|de los|del|de|da|dos|das|du|le|la|di|ter|ten)"
_LATIN_NAME = re.compile(
    rf"\b({_NAME_WORD}(?:[ -]{_NAME_WORD}|\s{_PARTICLE}\s{_NAME_WORD}){{1,3}})\b"
)
_NOT_NAMES = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank",
        "regards",
        "best",
        "kind",
        "warm",
        "many",
        "cheers",
        "sincerely",
        "please",
        "sorry",
        "not",
        "yes",
        "no",
        "and",
        "but",
        "the",
        "our",
        "your",
        "his",
        "her",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "how",
        "is",
        "are",
        "was",
        "were",
        "will",
        "would",
        "could",
        "should",
        "can",
        "may",
        "might",
        "must",
        "sales",
        "development",
        "director",
        "head",
        "vp",
        "vice",
        "president",
        "manager",
        "chief",
        "officer",
        "lead",
        "founder",
        "owner",
        "business",
        "operations",
        "marketing",
        "finance",
        "support",
        "team",
        "department",
        "office",
        "board",
        "customer",
        "customers",
        "account",
        "accounts",
        "product",
        "engineering",
        "partner",
        "partners",
        "partnership",
        "partnerships",
        "global",
        "regional",
        "senior",
        "junior",
        "assistant",
        "executive",
        "general",
        "group",
        "inc",
        "ltd",
        "llc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "bv",
        "nv",
        "corp",
        "company",
        "labs",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "guten",
        "tag",
        "sehr",
        "geehrter",
        "geehrte",
        "herr",
        "frau",
        "herrn",
        "liebe",
        "lieber",
        "hallo",
        "vielen",
        "dank",
        "mit",
        "freundlichen",
        "grüßen",
        "grüße",
        "viele",
        "beste",
        "bitte",
        "sie",
        "ihr",
        "ihre",
        "ihnen",
        "wir",
        "uns",
        "leiter",
        "leiterin",
        "vertrieb",
        "bonjour",
        "madame",
        "monsieur",
        "merci",
        "cordialement",
        "bien",
        "hola",
        "buenos",
        "buenas",
        "gracias",
        "saludos",
        "estimado",
        "estimada",
        "señor",
        "señora",
        "olá",
        "oi",
        "bom",
        "dia",
        "boa",
        "tarde",
        "obrigado",
        "obrigada",
        "senhor",
        "senhora",
        "beste",
        "hoi",
        "geachte",
        "dag",
        "groeten",
        "met",
        "vriendelijke",
        "groet",
        "bedankt",
        "out",
        "urgent",
        "urgente",
        "dringend",
        "ceo",
        "cro",
        "cfo",
        "coo",
        "cmo",
        "cto",
        "sdr",
        "sdrs",
        "crm",
        "gdpr",
        "dsgvo",
        "uk",
        "us",
        "eu",
        "reply",
        "re",
        "fw",
        "fwd",
        "subject",
        "from",
        "sent",
        "to",
        "cc",
        "date",
        "email",
        "mail",
        "e-mail",
        "sent",
        "iphone",
        "outlook",
        "adding",
        "added",
        "copying",
        "copied",
        "try",
        "talk",
        "ask",
        "contact",
        "cc",
        "loop",
        "looping",
        "speak",
        "reach",
        "write",
    ]
)
_TITLE_WORDS = re.compile(
    r"\b(?:director|directora?|head|vp|vice[- ]president|svp|evp|manager|chief|officer|lead|cro|ceo"
    r"|cfo|coo|cmo|cto|cio|founder|co-founder|owner|president|partner|leiter(?:in)?|geschäftsführer(?:in)?"
    r"|vorstand|prokurist|bereichsleiter(?:in)?|abteilungsleiter(?:in)?|teamleiter(?:in)?"
    r"|directeur|directrice|responsable|gérant|gérante|jefe|jefa|gerente|diretor|diretora"
    r"|coordenador(?:a)?|coordinador(?:a)?|hoofd|manager|directeur|bestuurder|supervisor|rep"
    r"|representative|executive|administrator|coordinator|specialist|analyst|engineer)\b",
    re.IGNORECASE,
)
_TITLE_AFTER = re.compile(
    r"^\s*(?:\(([^()@]{2,80})\)|,\s*(?:(?:he|she|they)(?:'s| is| are)\s+)?(?:(?:our|my|the|their|"
    r"nuestro|nuestra"
    r"|notre|nosso|nossa|unser|unsere|unseren|onze|ons)\s+)?([^,.;:()\n@]{2,70}))",
    re.IGNORECASE,
)
_TITLE_NEXT_SENTENCE = re.compile(
    r"^[^.!?\n]{0,60}[.!?]\s+(?:he|she|zij|hij|sie|er|elle|il|ella|él|ele|ela)\s+(?:is|ist|est|es|é)"
    r"\s+(?:(?:our|onze|unser|unsere|notre|nuestro|nuestra|nosso|nossa)\s+)?([^,.;:()\n]{2,60})",
    re.IGNORECASE,
)
_TITLE_BEFORE = re.compile(
    r"(?:our|my|nuestro|nuestra|notre|nosso|nossa|unser(?:e|en)?|onze)\s+([^,.;:()\n]{2,60}?)\s*,?\s*$",
    re.IGNORECASE,
)
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_CJK_TITLE_SUFFIX = re.compile(
    r"(?:总监|總監|经理|經理|协理|協理|部长|部長|课长|課長|主管|负责人|負責人|总裁|總裁|主任|董事|総監|社长|社長|室長"
    r"|本部長|担当|專員|专员|副总|副總|总经理|總經理|組長|组长)$"
)
_CJK_BOUNDARY = re.compile(
    r".*(?:は|が|是|我们|我們|我司|由|联系|聯繫|聯絡|请|請|，|、|。|：|:|\s)"
)


def _strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).lower()


def is_role_address(address: str) -> bool:
    """True for shared mailboxes (sales@, info@, finance@): never a person to enrol."""
    local = address.split("@", 1)[0].lower()
    return local in _ROLE_LOCALS or (local.split(".")[0] in _ROLE_LOCALS and "." not in local[:-1])


def emails_in(text: str) -> list[tuple[int, str]]:
    """(position, lower-case address) of every address, plain or obfuscated, in order."""
    found: dict[str, int] = {}
    for m in _EMAIL.finditer(text):
        found.setdefault(m.group(0).strip(".'").lower(), m.start())
    for m in _OBFUSCATED.finditer(text):
        raw = m.group(0)
        if "@" in raw or not re.search(r"\[at\]|\(at\)|\{at\}|\bat\b", raw, re.IGNORECASE):
            continue
        domain = re.sub(r"\s*(?:\[dot\]|\(dot\)|\{dot\}|\s+dot\s+|\.)\s*", ".", m.group(3))
        address = f"{m.group(1)}@{m.group(2)}{domain}".lower()
        if re.fullmatch(r"[^@]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", address) and len(domain) > 2:
            found.setdefault(address, m.start())
    return sorted(((pos, addr) for addr, pos in found.items()), key=lambda x: x[0])


def normalise_display_name(name: str) -> str | None:
    """`"Okafor, Daniel"` to `Daniel Okafor`; empty or address-like names to None."""
    name = name.strip().strip("'\"")
    if not name or "@" in name:
        return None
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        if first and last and " " not in last:
            name = f"{first} {last}"
    return " ".join(name.split())


def _name_ok(candidate: str) -> bool:
    words = candidate.split()
    if len(words) < 2:
        return False
    return not any(w.lower().strip("'’") in _NOT_NAMES for w in words)


def latin_names(text: str) -> list[tuple[int, str]]:
    """(position, name) for runs of two to four capitalised words that look like a person."""
    found: list[tuple[int, str]] = []
    for m in _LATIN_NAME.finditer(text):
        words = m.group(1).split()
        # Trim stop words at either end ("Try Jane Whitcombe" -> "Jane Whitcombe").
        start = m.start(1)
        while words and words[0].lower() in _NOT_NAMES:
            start += len(words[0]) + 1
            words = words[1:]
        while words and words[-1].lower() in _NOT_NAMES:
            words = words[:-1]
        candidate = " ".join(words)
        if _name_ok(candidate):
            found.append((start, candidate))
    return found


# A person named after their department: "マーケティング部の鈴木が", "市场部的王经理".
_CJK_NAMED = re.compile(
    r"[\u30a0-\u30ff\u4e00-\u9fff]{1,12}(?:部|課|室|部门|部門)(?:の|的)"
    r"([\u4e00-\u9fff]{1,4}?)(?:が|に|まで|宛|さん|様|经理|經理|总监|總監|负责|負責)"
)


def cjk_names(text: str) -> list[tuple[int, str]]:
    """(position, name) for Japanese and Chinese names written after their department."""
    return [(m.start(1), m.group(1)) for m in _CJK_NAMED.finditer(text)]


def _local_tokens(address: str) -> set[str]:
    local = address.split("@", 1)[0]
    return {t for t in re.split(r"[._+-]", _strip_accents(local)) if t}


def _matches_address(name: str, address: str) -> bool:
    local = _strip_accents(address.split("@", 1)[0])
    tokens = _local_tokens(address)
    for word in _strip_accents(name).split():
        if len(word) >= 2 and (word in tokens or (len(word) >= 3 and word in local)):
            return True
    return False


def _cjk_name_before(text: str, position: int) -> str | None:
    """A CJK name just before an address: `木村（kimura@…）`, `鈴木のアドレス：…`, `张伟，邮箱 "
    "…`."""
    before = text[max(0, position - 40) : position]
    before = re.sub(
        r"[\s（(<：:，,、]*(?:邮箱|郵箱|信箱|メール(?:アドレス)?|アドレス|e-?mail|mail)?[\s（(<：:，,、]*$",
        "",
        before,
        flags=re.IGNORECASE,
    )
    before = re.sub(r"(?:の|的)(?:アドレス|メール|邮箱|郵箱|連絡先|联系方式)?$", "", before)
    match = re.search(rf"[{_CJK}]+$", before)
    if not match:
        return None
    run = match.group(0)
    run = re.split(r"の|的|同事|同僚|我们|我們|は|が|联系|聯繫|是", run)[-1]
    # Drop a title written before the name: 销售运营总监张伟 -> 张伟.
    for i in range(len(run) - 1, 0, -1):
        if _CJK_TITLE_SUFFIX.search(run[:i]):
            run = run[i:]
            break
    return run if 1 < len(run) <= 4 else None


def name_for_email(text: str, position: int, address: str) -> str | None:
    """The person's name written next to an address in the text, if any."""
    cjk = _cjk_name_before(text, position)
    if cjk:
        return cjk
    window_start = max(0, position - 120)
    window = text[window_start:position]
    candidates = latin_names(window)
    for _, name in reversed(candidates):
        if _matches_address(name, address):
            return name
    if candidates:
        pos, name = candidates[-1]
        between = window[pos + len(name) :]
        if len(between) <= 40 and not re.search(r"[.!?]\s", between):
            return name
    return None


def _clean_title(raw: str) -> str | None:
    title = raw.strip(" ,.;:-–")
    title = re.split(
        r"\s+(?:who|that|which|que|qui|der|die|das|for|para|pour|für|voor|and I|so|et|y|e|und|"
        r"en)\s+",
        title,
        maxsplit=1,
    )[0].strip(" ,.;:-–")
    if not title or "@" in title or not _TITLE_WORDS.search(title) or len(title.split()) > 8:
        return None
    return title


def title_near(text: str, name: str) -> str | None:
    """The job title said right after (or before) a name in the text, if any."""
    position = text.find(name)
    if position < 0:
        return None
    if re.search(rf"[{_CJK}]", name):
        return _cjk_title(text, position, name)
    after = text[position + len(name) :]
    m = _TITLE_AFTER.match(after)
    if m:
        title = _clean_title(m.group(1) or m.group(2) or "")
        if title:
            return title
    m = _TITLE_NEXT_SENTENCE.match(after)
    if m:
        title = _clean_title(m.group(1))
        if title:
            return title
    m = _TITLE_BEFORE.search(text[max(0, position - 80) : position])
    if m:
        return _clean_title(m.group(1))
    return None


def _cjk_title(text: str, position: int, name: str) -> str | None:
    before = text[max(0, position - 24) : position]
    boundary = _CJK_BOUNDARY.match(before)
    department = before[boundary.end() :] if boundary else before
    department = re.sub(r"(?:の|的)$", "", department)
    suffix = re.match(
        r"(?:总监|總監|经理|經理|协理|協理|部长|部長|课长|課長|主管|总裁|總裁|主任|副总|副總|总经理|總經理)",
        text[position + len(name) :],
    )
    title = department + (suffix.group(0) if suffix else "")
    return title or None
