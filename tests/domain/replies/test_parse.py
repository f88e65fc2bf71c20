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
