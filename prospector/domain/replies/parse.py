"""Raw message bytes to a parsed view the sorter reads: decoded headers and one best text body.

Inbound mail is hostile input: wrong or missing charsets, broken MIME, HTML only. Every
step here falls back instead of raising, because one unreadable reply must never stop the
daemon; the worst outcome is an empty body, which sorts as `other` for a human.
"""

from __future__ import annotations

import codecs
import email
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from html.parser import HTMLParser

__all__ = ["Address", "ParsedMessage", "decode_bytes", "html_to_text", "parse", "parse_text"]

# Charset labels that mail clients send but Python does not know, or knows as a smaller
# superset than the sender meant (GB2312 mail is routinely GBK; Shift_JIS is cp932).
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "utf8": "utf-8",
    "iso-2022-jp": "iso2022_jp_ext",
}


@dataclass(frozen=True)
class Address:
    """One mailbox from an address header: display name (may be empty) and lower-case email."""

    name: str
    email: str


@dataclass(frozen=True)
class ParsedMessage:
    """What classification needs from a message, decoded once."""

    headers: dict[str, tuple[str, ...]]  # lower-case name -> decoded values, in order
    subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    content_type: str
    text: str  # best text body: text/plain, else HTML converted to text
    html: bool  # the text came from HTML
    message: Message = field(compare=False, repr=False)
    links: tuple[tuple[str, str], ...] = ()  # mailto links of an HTML body: (anchor text, address)

    def header(self, name: str) -> str:
        """The first value of a header, decoded, or ""."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    def has(self, name: str) -> bool:
        return name.lower() in self.headers


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text with the declared charset, falling back to UTF-8 then cp1252."""
    tried: list[str] = []
    for label in (charset, "utf-8", "cp1252"):
        if not label:
            continue
        name = label.strip().strip('"').lower()
        name = _CHARSET_ALIASES.get(name, name)
        if name in tried:
            continue
        tried.append(name)
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _decode_header_value(value: object) -> str:
    """An RFC 2047 header value to text; undecodable words are kept as sent."""
    raw = str(value)
    if "=?" not in raw:
        return " ".join(raw.split())
    try:
        parts = decode_header(raw)
        out: list[str] = []
        for chunk, charset in parts:
            if isinstance(chunk, bytes):
                out.append(decode_bytes(chunk, charset))
            else:
                out.append(chunk)
        text = "".join(out)
    except Exception:
        try:
            text = str(make_header(decode_header(raw)))
        except Exception:
            text = raw
    return " ".join(text.split())


def _addresses(values: tuple[str, ...]) -> tuple[Address, ...]:
    found: list[Address] = []
    try:
        pairs = email.utils.getaddresses(list(values))
    except Exception:
        return ()
    for name, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if "@" not in addr:
            continue
        found.append(Address(name=" ".join(name.split()), email=addr))
    return tuple(found)


class _TextExtractor(HTMLParser):
    """HTML to plain text with line breaks where blocks end and `> ` before quoted blocks.

    Blockquotes become `>` lines so that the plain-text quote rules apply to HTML mail too.
    """

    _BLOCK = frozenset(
        [
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "ul",
            "ol",
            "hr",
            "pre",
            "section",
            "article",
            "header",
            "footer",
        ]
    )
    _SKIP = frozenset(("script", "style", "head", "title"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0  # blockquote depth
        self.skip = 0
        self.links: list[tuple[str, str]] = []  # (anchor text, mailto address)
        self._mailto: str | None = None
        self._anchor: list[str] = []

    def _flush(self) -> None:
        line = "".join(self.current)
        self.current = []
        line = " ".join(line.replace("\xa0", " ").split())
        prefix = "> " * self.depth
        self.lines.append(prefix + line if line else prefix.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.lower().startswith("mailto:"):
                self._mailto = href[7:].split("?")[0].strip().lower()
                self._anchor = []
        elif tag == "blockquote":
            self._flush()
            self.depth += 1
        elif tag in self._BLOCK:
            self._flush()
            if tag == "hr":
                self.lines.append("________________________________")
        elif tag == "td":
            self.current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self._flush()
            if tag == "hr":
                self.lines.append("________________________________")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self._mailto:
            self.links.append((" ".join("".join(self._anchor).split()), self._mailto))
            self._mailto = None
        elif tag == "blockquote":
            self._flush()
            self.depth = max(0, self.depth - 1)
        elif tag in self._BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.current.append(data)
            if self._mailto is not None:
                self._anchor.append(data)


def html_to_text(html: str) -> str:
    """Readable text from HTML; never raises."""
    return html_to_text_and_links(html)[0]


def html_to_text_and_links(html: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Readable text from HTML and its mailto links (anchor text, address); never raises."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        pass
    parser._flush()
    text = "\n".join(parser.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip(), tuple(parser.links)


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or _meta_charset(payload)
    return decode_bytes(payload, charset)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _meta_charset(payload: bytes) -> str | None:
    match = _META_CHARSET.search(payload[:2048])
    return match.group(1).decode("ascii") if match else None


def _best_text(msg: Message) -> tuple[str, bool, tuple[tuple[str, str], ...]]:
    """The first text/plain part that is not an attachment, else the first HTML part."""
    plain: str | None = None
    html: str | None = None
    try:
        parts = list(msg.walk())
    except Exception:
        parts = [msg]
    for part in parts:
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = str(part.get("Content-Disposition", "")).lower()
        if "attachment" in disposition:
            continue
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part)
        elif ctype == "text/html" and html is None:
            html = _part_text(part)
        if plain is not None:
            break
    if plain is not None and plain.strip():
        return plain, False, ()
    if html is not None:
        text, links = html_to_text_and_links(html)
        return text, True, links
    return plain or "", False, ()


def parse(raw: bytes) -> ParsedMessage:
    """Parse a whole RFC 5322 message; malformed input gives a (possibly empty) view."""
    try:
        msg = email.message_from_bytes(raw)
    except Exception:
        msg = email.message_from_string("")
    headers: dict[str, list[str]] = {}
    try:
        items = msg.items()
    except Exception:
        items = []
    for name, value in items:
        headers.setdefault(name.lower(), []).append(_decode_header_value(value))
    frozen = {k: tuple(v) for k, v in headers.items()}
    try:
        text, is_html, links = _best_text(msg)
    except Exception:
        text, is_html, links = "", False, ()
    try:
        ctype = msg.get_content_type()
    except Exception:
        ctype = "text/plain"
    date: datetime | None = None
    if "date" in frozen:
        try:
            date = email.utils.parsedate_to_datetime(frozen["date"][0])
        except (TypeError, ValueError, IndexError):
            date = None
    senders = _addresses(frozen.get("from", ()))
    return ParsedMessage(
        headers=frozen,
        subject=frozen.get("subject", ("",))[0],
        sender=senders[0] if senders else None,
        to=_addresses(frozen.get("to", ())),
        cc=_addresses(frozen.get("cc", ())),
        date=date,
        content_type=ctype,
        text=text.replace("\r\n", "\n").replace("\r", "\n"),
        html=is_html,
        message=msg,
        links=links,
    )


def parse_text(body: str) -> ParsedMessage:
    """A view over a bare reply body (no headers), for callers that only have the text."""
    return ParsedMessage(
        headers={},
        subject="",
        sender=None,
        to=(),
        cc=(),
        date=None,
        content_type="text/plain",
        text=body.replace("\r\n", "\n").replace("\r", "\n"),
        html=False,
        message=email.message_from_string(""),
    )
