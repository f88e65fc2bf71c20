"""Helpers to write small inline messages for the reply-sorting tests."""

from __future__ import annotations


def message(
    body: str,
    *,
    subject: str = "Re: Who owns SDR tooling at Acme?",
    sender: str = "Dana Fox <dana.fox@acme.example>",
    to: str = "Sam Lee <sam@northwind.io>",
    date: str = "Wed, 1 Apr 2026 09:00:00 +0000",
    extra: str = "",
    content_type: str = 'text/plain; charset="utf-8"',
) -> bytes:
    """A reply to our outbound email, as a mail client would send it."""
    headers = (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {date}\n"
        "In-Reply-To: <seq-1.step1@mail.northwind.io>\n"
        f"{extra}MIME-Version: 1.0\nContent-Type: {content_type}\n\n"
    )
    return (headers + body).encode("utf-8")


QUOTE = (
    "\n\nOn Tue, Mar 31, 2026 at 7:00 AM Sam Lee <sam@northwind.io> wrote:\n"
    "> Hi Dana, who owns sales development tooling at Acme?\n"
    ">\n"
    '> Not the right fit? Reply "unsubscribe" and I won\'t email you again.\n'
)
