"""Composed messages: exact headers, threading, unsubscribe, footer, and no header injection."""

from __future__ import annotations

import email
import random
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import compat32
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prospector.mail.compose import (
    POLICY,
    build_message,
    footer,
    new_message_id,
    random_token,
    reply_subject,
    wire_bytes,
)

DATE = datetime(2026, 11, 24, 7, 30, tzinfo=timezone(timedelta(hours=-5)))
FOOTER = footer('Reply "unsubscribe" to opt out.', "Northwind Inc., 500 Market St")


def message(**overrides: Any) -> EmailMessage:
    args: dict[str, Any] = {
        "from_name": "Alex Morgan",
        "from_address": "alex@northwind-demo.com",
        "to_name": "Jamie Rivera",
        "to_address": "jamie@brightline-analytics.com",
        "subject": "Right person at Brightline?",
        "body": "Hi Jamie,\n\nWho is right?\n\nAlex\n",
        "message_id": "<m1@northwind-demo.com>",
        "date": DATE,
        "footer": FOOTER,
        "list_unsubscribe_mailto": "alex@northwind-demo.com?subject=unsubscribe",
        "list_unsubscribe_url": None,
    }
    args.update(overrides)
    return build_message(**args)


def parsed(msg: EmailMessage) -> EmailMessage:
    back = email.message_from_bytes(wire_bytes(msg), policy=POLICY)
    assert isinstance(back, EmailMessage)
    return back


def test_headers_of_a_first_email() -> None:
    msg = parsed(message())
    assert msg["From"] == "Alex Morgan <alex@northwind-demo.com>"
    assert msg["To"] == "Jamie Rivera <jamie@brightline-analytics.com>"
    assert msg["Subject"] == "Right person at Brightline?"
    assert msg["Date"] == "Tue, 24 Nov 2026 07:30:00 -0500"
    assert msg["Message-ID"] == "<m1@northwind-demo.com>"
    assert msg["In-Reply-To"] is None and msg["References"] is None
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert not msg.is_multipart()


def test_body_ends_with_signature_separator_and_footer() -> None:
    body = message().get_content()
    assert body == (
        "Hi Jamie,\n\nWho is right?\n\nAlex\n\n-- \n"
        'Reply "unsubscribe" to opt out.\nNorthwind Inc., 500 Market St\n'
    )


def test_ascii_is_sent_7bit_and_other_text_quoted_printable() -> None:
    assert message()["Content-Transfer-Encoding"] == "7bit"
    accented = message(body="Hola José, ¿quién?")
    assert accented["Content-Transfer-Encoding"] == "quoted-printable"
    assert parsed(accented).get_content().startswith("Hola José, ¿quién?")


def test_follow_ups_carry_threading_headers() -> None:
    msg = parsed(
        message(
            subject=reply_subject("Right person at Brightline?"),
            in_reply_to="<m2@northwind-demo.com>",
            references=("<m1@northwind-demo.com>", "<m2@northwind-demo.com>"),
        )
    )
    assert msg["Subject"] == "Re: Right person at Brightline?"
    assert msg["In-Reply-To"] == "<m2@northwind-demo.com>"
    assert msg["References"] == "<m1@northwind-demo.com> <m2@northwind-demo.com>"


def test_list_unsubscribe_mailto_only() -> None:
    msg = parsed(message())
    assert msg["List-Unsubscribe"] == "<mailto:alex@northwind-demo.com?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] is None


def test_one_click_unsubscribe_keeps_a_long_url_intact() -> None:
    url = "https://northwind-demo.com/unsubscribe/" + "a1b2c3" * 15
    raw = wire_bytes(message(list_unsubscribe_url=url)).decode("ascii")
    assert f"<{url}>" in raw  # never split into RFC 2047 encoded words
    msg = parsed(message(list_unsubscribe_url=url))
    assert msg["List-Unsubscribe"] == (
        f"<mailto:alex@northwind-demo.com?subject=unsubscribe>, <{url}>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_one_click_needs_https() -> None:
    with pytest.raises(ValueError, match="https"):
        message(list_unsubscribe_url="http://northwind-demo.com/u")


def test_wire_bytes_use_crlf() -> None:
    raw = wire_bytes(message())
    assert b"\r\nSubject: Right person at Brightline?\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize("field", ["subject", "from_name", "to_name", "to_address", "from_address"])
@pytest.mark.parametrize("evil", ["x\r\nBcc: all@victim.com", "x\nBcc: all@victim.com", "x\ry"])
def test_line_breaks_in_header_values_are_refused(field: str, evil: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        message(**{field: evil})


def test_line_breaks_in_threading_ids_are_refused() -> None:
    with pytest.raises(ValueError):
        message(in_reply_to="<a@b>\r\nBcc: x@y")
    with pytest.raises(ValueError):
        message(references=("<a@b>", "<c@d>\nBcc: x@y"))


@pytest.mark.parametrize("char", ["\t", "\x00", "\x85", "\u2028"])
def test_other_control_characters_are_refused(char: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        message(subject=f"Hello{char}there")


def test_a_malformed_message_id_is_refused() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        message(message_id="not-an-id")


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        message(date=datetime(2026, 1, 1, 9, 0))


def test_display_names_with_commas_and_accents_round_trip() -> None:
    msg = parsed(message(to_name="Rivera, Jamie (Jé)"))
    assert msg["To"].addresses[0].display_name == "Rivera, Jamie (Jé)"
    assert msg["To"].addresses[0].addr_spec == "jamie@brightline-analytics.com"


def test_new_message_id_is_pure_given_its_token() -> None:
    assert new_message_id("northwind-demo.com", "abc.1") == "<abc.1@northwind-demo.com>"
    token = random_token(random.Random(7))
    assert token == random_token(random.Random(7))
    assert len(token) == 32 and token != random_token(random.Random(8))
    with pytest.raises(ValueError):
        new_message_id("northwind-demo.com", "a b")
    with pytest.raises(ValueError):
        new_message_id("bad domain", "abc")


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("Right person?", "Re: Right person?"),
        ("Re: Right person?", "Re: Right person?"),
        ("RE: re:Right person?", "Re: Right person?"),
        ("  Quick question ", "Re: Quick question"),
        ("Reorg plans", "Re: Reorg plans"),
    ],
)
def test_reply_subject_never_doubles_re(first: str, expected: str) -> None:
    assert reply_subject(first) == expected


def test_footer_skips_empty_parts() -> None:
    assert footer("Opt out: reply stop.", "") == "Opt out: reply stop."
    assert footer(" a ", " b ") == "a\nb"


@settings(max_examples=300, deadline=None)
@given(subject=st.text(max_size=120), name=st.text(max_size=60))
def test_no_raw_cr_or_lf_ever_reaches_a_header(subject: str, name: str) -> None:
    """Either compose refuses the input, or the bytes parse back to exactly what was given."""
    try:
        msg = message(subject=subject, to_name=name)
    except ValueError:
        return
    raw = wire_bytes(msg)
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line
        assert line[:1] in (b" ", b"\t") or b":" in line  # a header or its continuation
    back = parsed(msg)
    assert back["Subject"] == subject.strip()
    # Long non-ASCII names fold into adjacent encoded words; RFC 2047 says the space between
    # them is dropped on decoding, but CPython's address parser keeps it, so compare unspaced.
    assert _unspaced(back["To"].addresses[0].display_name) == _unspaced(name.strip())
    assert back["To"].addresses[0].addr_spec == "jamie@brightline-analytics.com"
    assert len(back["To"].addresses) == 1
    assert back["Bcc"] is None and back["Cc"] is None


def _unspaced(text: str) -> str:
    return "".join(text.split())


def test_a_long_accented_name_is_folded_as_rfc_2047_words_that_decode_exactly() -> None:
    name = "Jean-Baptiste Émile de la Fontaine-Dupont Bérénice"
    raw = email.message_from_bytes(wire_bytes(message(to_name=name)), policy=compat32)["To"]
    assert str(make_header(decode_header(raw))) == f"{name} <jamie@brightline-analytics.com>"


def test_dates_in_utc_are_formatted_with_offset() -> None:
    assert message(date=datetime(2026, 1, 4, 23, 0, tzinfo=UTC))["Date"] == (
        "Sun, 04 Jan 2026 23:00:00 +0000"
    )


@settings(max_examples=300, deadline=None)
@given(address=st.emails())
def test_the_plain_address_shortcut_agrees_with_the_email_package(address: str) -> None:
    """Where the fast path accepts an address, the stdlib parser reads it back unchanged."""
    from email.headerregistry import Address

    from prospector.mail.compose import _PLAIN_ADDRESS

    if _PLAIN_ADDRESS.match(address):
        assert Address(addr_spec=address).addr_spec == address
