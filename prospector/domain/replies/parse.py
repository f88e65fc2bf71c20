"""Raw message bytes to a parsed view the sorter reads: decoded headers and one best text body.

Inbound mail is hostile input: wrong or missing charsets, broken MIME, HTML only. Every
step here falls back instead of raising, because one unreadable reply must never stop the
daemon; the worst outcome is an empty body, which sorts as `other` for a human.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from functools import cached_property
from html.parser import HTMLParser

__all__ = [
    "Address",
    "ParsedMessage",
    "Part",
    "decode_bytes",
    "html_to_text",
    "parse",
    "parse_text",
]

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


# The stdlib view (for flufl.bounce) reads the head of a message only: the notice is at the
# top, and its detectors scan every line, so a long returned original only costs time.
_STDLIB_LIMIT = 8192


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
    root: Part = field(compare=False, repr=False)  # the MIME structure
    raw: bytes = field(default=b"", compare=False, repr=False)
    links: tuple[tuple[str, str], ...] = ()  # mailto links of an HTML body: (anchor text, address)

    @cached_property
    def message(self) -> Message:
        """The stdlib view of the same bytes, built only for a library that needs one."""
        try:
            return email.message_from_bytes(self.raw[:_STDLIB_LIMIT])
        except Exception:
            return email.message_from_string("")

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


_SIMPLE_ADDRESS = re.compile(
    r'\s*(?:"((?:[^"\\]|\\.)*)"|([^,<>"]*?))\s*<([^<>\s,]+@[^<>\s,]+)>\s*(?:,|$)'
    r"|\s*([^\s,<>\"]+@[^\s,<>\"]+)\s*(?:,|$)"
)


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """`Name <a@b>, "Last, First" <c@d>, e@f` without the stdlib parser; None if unusual."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(value):
        match = _SIMPLE_ADDRESS.match(value, pos)
        if not match or match.end() == pos:
            return None if value[pos:].strip(" ,") else pairs
        quoted, bare, addr, alone = match.groups()
        if addr:
            name = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
            pairs.append((name, addr))
        else:
            pairs.append(("", alone))
        pos = match.end()
    return pairs


def _addresses(values: tuple[str, ...]) -> tuple[Address, ...]:
    found: list[Address] = []
    pairs: list[tuple[str, str]] = []
    for value in values:
        simple = None if "(" in value or ":" in value else _simple_addresses(value)
        if simple is None:
            try:
                simple = email.utils.getaddresses([value])
            except Exception:
                simple = []
        pairs += simple
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


_TRANSFER_SAFE = frozenset(("", "7bit", "8bit", "binary"))
_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)\n?")
_STRAY = re.compile(rb"(?:[ \t][^\n]*\n)*")
_BLANK = re.compile(rb"[ \t]*\r?\n")
_LOOSE_PARAM = re.compile(rb"([A-Za-z0-9_*-]+=[^\n]*)\n?")
_PARAM = re.compile(
    r';\s*([!#$%&\'*+.^`|~0-9A-Za-z_-]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;\s]*)', re.ASCII
)


def _header_text(data: bytes) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        return decode_bytes(data, None)


def _split_head(data: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Header fields (lower-case name, unfolded raw value) and the body that follows.

    Lenient like the stdlib parser: an mbox `From ` line is skipped, and the first line that
    is neither a field nor a continuation starts the body.
    """
    fields: list[tuple[str, str]] = []
    pos = 0
    if data.startswith(b"From "):
        end = data.find(b"\n")
        pos = len(data) if end < 0 else end + 1
    stray = _STRAY.match(data, pos)  # continuation lines before any field are dropped
    pos = stray.end() if stray else pos
    match = _FIELD.match(data, pos)
    while match:
        value = match.group(2)
        if b"\n" in value:
            value = b" ".join(line.strip() for line in value.split(b"\n"))
        fields.append((match.group(1).decode("ascii").lower(), _header_text(value.strip())))
        pos = match.end()
        match = _FIELD.match(data, pos)
        if match is None and value.rstrip().endswith(b";"):
            # `Content-Type: multipart/alternative;` then `boundary="…"` unindented: some
            # mailers fold parameters without the leading space; read it as a continuation.
            param = _LOOSE_PARAM.match(data, pos)
            if param:
                name, joined = fields.pop()
                fields.append((name, joined + " " + _header_text(param.group(1).strip())))
                pos = param.end()
                match = _FIELD.match(data, pos)
    blank = _BLANK.match(data, pos)
    return fields, data[blank.end() if blank else pos :]


def _content_type(value: str) -> tuple[str, dict[str, str]]:
    """`text/plain; charset="x"` to ("text/plain", {"charset": "x"}); invalid gives text/plain."""
    main, _, rest = value.partition(";")
    ctype = main.strip().lower()
    if ctype.count("/") != 1 or " " in ctype:
        ctype = "text/plain"
    params: dict[str, str] = {}
    for name, raw in _PARAM.findall(";" + rest):
        key = name.lower()
        val = raw
        if val.startswith('"'):
            val = val[1:-1] if val.endswith('"') and len(val) > 1 else val[1:]
            val = re.sub(r"\\(.)", r"\1", val)
        if key.endswith("*"):  # RFC 2231: charset'lang'percent-encoded
            key = key.rstrip("*0123456789").rstrip("*")
            val = val.rsplit("'", 1)[-1]
        params.setdefault(key, val)
    return ctype, params


_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _decode_transfer(body: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        cleaned = _NOT_BASE64.sub(b"", body)
        if len(cleaned) % 4 == 1:
            cleaned = cleaned[:-1]
        try:
            return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return body
    if encoding == "quoted-printable":
        try:
            return binascii.a2b_qp(body)
        except (binascii.Error, ValueError):
            return body
    return body


class Part:
    """One MIME entity: its header fields, type, raw body and (lazily) its sub-parts.

    A small reader written for speed: the sorter needs the structure of a message (report
    parts, the best text part, the returned original to skip), not a mutable email object.
    """

    __slots__ = ("_children", "body", "content_type", "fields", "params")

    def __init__(self, data: bytes, default_type: str = "text/plain") -> None:
        self.fields, self.body = _split_head(data)
        value = self.header("content-type")
        if value:
            self.content_type, self.params = _content_type(value)
        else:
            self.content_type, self.params = default_type, {}
        self._children: tuple[Part, ...] | None = None

    def header(self, name: str) -> str:
        for key, value in self.fields:
            if key == name:
                return value
        return ""

    @property
    def charset(self) -> str | None:
        return self.params.get("charset") or None

    @property
    def is_attachment(self) -> bool:
        return "attachment" in self.header("content-disposition").lower()

    @property
    def parts(self) -> tuple[Part, ...]:
        """Sub-parts of a multipart, or the one enclosed message of a message/rfc822."""
        if self._children is None:
            self._children = self._split()
        return self._children

    def _split(self) -> tuple[Part, ...]:
        maintype = self.content_type.split("/")[0]
        if maintype == "message" and self.content_type in ("message/rfc822", "message/global"):
            return (Part(self.payload()),)
        if maintype != "multipart":
            return ()
        boundary = self.params.get("boundary", "").encode("utf-8", "replace")
        if not boundary:
            return ()
        default = "message/rfc822" if self.content_type == "multipart/digest" else "text/plain"
        body = self.body
        marker = b"--" + boundary
        children: list[Part] = []
        start = -1
        pos = body.find(marker)
        while pos >= 0:
            line_end = body.find(b"\n", pos)
            line_end = len(body) if line_end < 0 else line_end
            rest = body[pos + len(marker) : line_end].rstrip(b" \t\r")
            if (pos == 0 or body[pos - 1 : pos] == b"\n") and rest in (b"", b"--"):
                if start >= 0:  # the line break before a delimiter belongs to it
                    end = pos - (2 if body[pos - 2 : pos] == b"\r\n" else 1)
                    children.append(Part(body[start : max(start, end)], default))
                if rest == b"--":
                    start = -1
                    break
                start = line_end + 1
            pos = body.find(marker, pos + len(marker))
        if 0 <= start < len(body):  # no closing delimiter
            children.append(Part(body[start:], default))
        return tuple(children)

    @property
    def is_multipart(self) -> bool:
        return self.content_type.startswith("multipart/")

    def payload(self) -> bytes:
        """The body without its transfer encoding."""
        encoding = self.header("content-transfer-encoding").strip().lower()
        if encoding in _TRANSFER_SAFE:
            return self.body
        return _decode_transfer(self.body, encoding)

    def text(self) -> str:
        """The body as text, in its declared charset (or the HTML meta charset)."""
        payload = self.payload()
        charset = self.charset
        if not charset and self.content_type == "text/html":
            charset = _meta_charset(payload)
        return decode_bytes(payload, charset)

    def walk(self, into_messages: bool = True) -> Iterator[Part]:
        """This part and every part inside it, depth first (as `Message.walk`).

        `into_messages=False` stays out of enclosed messages (a bounce's returned original).
        """
        yield self
        if not into_messages and self.content_type.startswith("message/"):
            return
        for child in self.parts:
            yield from child.walk(into_messages)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _meta_charset(payload: bytes) -> str | None:
    match = _META_CHARSET.search(payload[:2048])
    return match.group(1).decode("ascii") if match else None


def _best_text(root: Part) -> tuple[str, bool, tuple[tuple[str, str], ...]]:
    """The first text/plain part that is not an attachment, else the first HTML part."""
    plain: str | None = None
    html: str | None = None
    for part in root.walk():
        if part.is_multipart:
            continue
        ctype = part.content_type
        if ctype not in ("text/plain", "text/html") or part.is_attachment:
            continue
        if ctype == "text/plain":
            plain = part.text()
            break
        if html is None:
            html = part.text()
    if plain is not None and plain.strip():
        return plain, False, ()
    if html is not None:
        text, links = html_to_text_and_links(html)
        return text, True, links
    return plain or "", False, ()


def parse(raw: bytes) -> ParsedMessage:
    """Parse a whole RFC 5322 message; malformed input gives a (possibly empty) view."""
    try:
        root = Part(raw)
    except Exception:
        root = Part(b"")
    headers: dict[str, list[str]] = {}
    for name, value in root.fields:
        headers.setdefault(name, []).append(_decode_header_value(value))
    frozen = {k: tuple(v) for k, v in headers.items()}
    try:
        text, is_html, links = _best_text(root)
    except Exception:
        text, is_html, links = "", False, ()
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
        content_type=root.content_type,
        text=text.replace("\r\n", "\n").replace("\r", "\n"),
        html=is_html,
        root=root,
        raw=raw,
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
        root=Part(b""),
    )
