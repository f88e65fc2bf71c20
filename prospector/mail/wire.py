"""Checked header values and a plain-text body, encoded straight to SMTP wire bytes.

`email.message.EmailMessage` with the default policy parses every header it is given and
re-folds it on output: ~1.5 ms a message, most of a dispatch tick's budget. The values
here are already validated by `compose`, so the encoding is done directly with the email
package's own encoders (RFC 2047 words from `email.header`, quoted-printable from
`email.quoprimime`). A property test checks the result against EmailMessage's.
"""

from __future__ import annotations

from collections.abc import Sequence
from email import quoprimime
from email.header import Header
from email.utils import formataddr

CRLF = "\r\n"
_FOLD_AT = 78  # RFC 5322 recommends lines of at most 78 characters
_LONGEST_PLAIN_LINE = 998  # RFC 5322 hard limit; longer lines need quoted-printable


def address(header: str, name: str, addr_spec: str) -> str:
    """`Name <addr>`, the name quoted or RFC 2047 encoded as needed, folded if long."""
    if not name:
        return f"{header}: {addr_spec}"
    if name.isascii():
        line = f"{header}: {formataddr((name, addr_spec))}"
        if len(line) <= _FOLD_AT:
            return line
    encoded = Header(name, "utf-8", header_name=header).encode(linesep=CRLF)
    return f"{header}: {encoded} <{addr_spec}>"


def text(header: str, value: str) -> str:
    """Unstructured text (Subject): folded at spaces when ASCII, encoded words otherwise."""
    if value.isascii() and "=?" not in value:
        line = f"{header}: {value}"
        if len(line) <= _FOLD_AT:  # the usual short subject: nothing to fold or encode
            return line
        folded = Header(value, "us-ascii", header_name=header).encode(splitchars=" ", linesep=CRLF)
        return f"{header}: {folded}"
    return f"{header}: {Header(value, 'utf-8', header_name=header).encode(linesep=CRLF)}"


def id_list(header: str, ids: Sequence[str]) -> str:
    """Message-IDs separated by spaces, folded between IDs (never inside one)."""
    lines = [f"{header}:"]
    for msgid in ids:
        if len(lines[-1]) + 1 + len(msgid) > _FOLD_AT and lines[-1] != f"{header}:":
            lines.append("")
        lines[-1] += f" {msgid}"
    return CRLF.join(lines)


def uri_list(header: str, uris: Sequence[str]) -> str:
    """`<uri>, <uri>` folded only between URIs: a mail client must get each URI intact."""
    return f"{header}: " + f",{CRLF} ".join(f"<{uri}>" for uri in uris)


def body(content: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, encoded body with CRLF line ends).

    7bit when every line is ASCII and short enough, else quoted-printable: readable, and
    safe on any relay.
    """
    # Only CR and LF end lines on the wire; str.splitlines() would also break at \f, \v ….
    lines = content.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n").split("\n")
    if content.isascii() and all(len(line) <= _LONGEST_PLAIN_LINE for line in lines):
        return "7bit", (CRLF.join(lines) + CRLF).encode("ascii")
    # quoprimime encodes one character per byte: hand it the UTF-8 bytes as latin-1 text.
    octets = ("\n".join(lines) + "\n").encode("utf-8").decode("latin-1")
    encoded = quoprimime.body_encode(octets, maxlinelen=76, eol=CRLF)
    return "quoted-printable", encoded.encode("ascii")


def assemble(headers: Sequence[str], transfer_encoding: str, encoded_body: bytes) -> bytes:
    """Header lines, the MIME headers of a text/plain UTF-8 part, a blank line, the body."""
    head = [
        *headers,
        'Content-Type: text/plain; charset="utf-8"',
        f"Content-Transfer-Encoding: {transfer_encoding}",
        "MIME-Version: 1.0",
    ]
    return (CRLF.join(head) + CRLF + CRLF).encode("ascii") + encoded_body
