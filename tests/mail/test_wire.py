"""The direct wire encoder says what EmailMessage (the stdlib's high-level API) would say."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from prospector.mail.compose import compose_bytes, footer

FOOTER = footer('Reply "unsubscribe" to opt out.', "Northwind Inc., 500 Market St")
DATE = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
printable = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\r\n"),
    max_size=90,
)


def oracle(subject: str, name: str, body: str) -> EmailMessage:
    """The same message built the slow, obvious way."""
    msg = EmailMessage(policy=policy.default)
    msg["From"] = "Alex Morgan <alex@northwind-demo.com>"
    msg["To"] = email.headerregistry.Address(name.strip(), addr_spec="jamie@brightline.example")
    msg["Subject"] = subject.strip()
    msg.set_content(body.rstrip() + "\n\n-- \n" + FOOTER + "\n", charset="utf-8")
    return msg


def parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@settings(max_examples=400, deadline=None)
@given(subject=printable, name=printable, body=st.text(max_size=400))
def test_headers_and_body_decode_as_emailmessage_would(subject: str, name: str, body: str) -> None:
    try:
        raw = compose_bytes(
            from_name="Alex Morgan",
            from_address="alex@northwind-demo.com",
            to_name=name,
            to_address="jamie@brightline.example",
            subject=subject,
            body=body,
            message_id="<m1@northwind-demo.com>",
            date=DATE,
            footer=FOOTER,
            list_unsubscribe_mailto="alex@northwind-demo.com?subject=unsubscribe",
            list_unsubscribe_url=None,
        )
    except ValueError:
        return  # refused input (encoded words, control characters): tested in test_compose
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    ours, theirs = parse(raw), oracle(subject, name, body)
    assert ours["Subject"] == theirs["Subject"]
    assert "".join(ours["To"].addresses[0].display_name.split()) == "".join(
        theirs["To"].addresses[0].display_name.split()
    )
    assert ours["To"].addresses[0].addr_spec == "jamie@brightline.example"
    assert ours.get_content().replace("\r\n", "\n") == theirs.get_content().replace("\r\n", "\n")
