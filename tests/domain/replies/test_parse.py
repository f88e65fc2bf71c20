from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from prospector.domain.replies.parse import decode_bytes, html_to_text, parse


def test_quoted_printable_legacy_charset_is_decoded() -> None:
    raw = (
        b"From: a@b.example\nSubject: =?iso-8859-1?Q?Gr=FC=DFe?=\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: quoted-printable\n\nF=FCr Sie\n"
    )
    parsed = parse(raw)
    assert parsed.subject == "Grüße"
    assert parsed.text.strip() == "Für Sie"


def test_gb2312_is_read_as_its_superset() -> None:
    # A character outside GB2312 but inside GBK, as mail labelled gb2312 often carries.
    data = "镕".encode("gbk")
    assert decode_bytes(data, "gb2312") == "镕"


def test_unknown_charset_falls_back() -> None:
    assert decode_bytes("héllo".encode(), "x-no-such-charset") == "héllo"


def test_html_only_mail_becomes_text_with_quotes_marked() -> None:
    html = (
        "<div>Yes, that's me.</div><blockquote><p>Who owns it?</p></blockquote><style>p{}</style>"
    )
    text = html_to_text(html)
    assert text.splitlines()[0] == "Yes, that's me."
    assert "> Who owns it?" in text
    assert "p{}" not in text


def test_plain_part_is_preferred_and_mailto_links_kept() -> None:
    raw = (
        b'Content-Type: multipart/alternative; boundary="b"\n\n--b\n'
        b"Content-Type: text/html\n\n<p>Talk to <a href='mailto:jo@x.example'>Jo Park</a></p>\n"
        b"--b--\n"
    )
    parsed = parse(raw)
    assert parsed.html
    assert parsed.links == (("Jo Park", "jo@x.example"),)


@given(st.binary(max_size=400))
def test_parse_never_raises(raw: bytes) -> None:
    parse(raw)


def test_multipart_is_split_without_the_stdlib_parser() -> None:
    raw = (
        b"From MAILER-DAEMON Tue Dec 26 18:03:42 2000\n"
        b"From: a@b.example\nSubject: Hi\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed;\n boundary="=_x y"\n\npreamble\n'
        b"--=_x y\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gdGhlcmU=\r\n"
        b"--=_x y\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n"
        b"--=_x y--\nepilogue\n"
    )
    parsed = parse(raw)
    assert parsed.subject == "Hi"
    assert parsed.text == "Hello there"
    kinds = [p.content_type for p in parsed.root.walk()]
    assert kinds == ["multipart/mixed", "text/plain", "message/rfc822", "text/plain"]
    assert [p.content_type for p in parsed.root.walk(into_messages=False)] == kinds[:3]
    # The stdlib view is still there for libraries that need one (flufl.bounce).
    assert parsed.message.get_content_type() == "multipart/mixed"


def test_header_block_is_lenient() -> None:
    # A stray indented line before the first field and a body without a blank line.
    parsed = parse(b"   \nFrom: Jo <jo@x.example>\nSubject: =?utf-8?q?caf=C3=A9?=\nno colon here\n")
    assert parsed.sender is not None and parsed.sender.email == "jo@x.example"
    assert parsed.subject == "café"
    assert parsed.text == "no colon here\n"


def test_address_lists_with_quoted_commas() -> None:
    parsed = parse(b'To: "Lee, Sam" <sam@n.example>, jo@x.example, Al (ops) <al@y.example>\n\n')
    assert [(a.name, a.email) for a in parsed.to] == [
        ("Lee, Sam", "sam@n.example"),
        ("", "jo@x.example"),
        ("Al (ops)", "al@y.example"),
    ]
