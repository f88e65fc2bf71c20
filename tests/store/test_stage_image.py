"""Staged rows go back to exactly the records they were made from, and dates are staged
exactly as SQLAlchemy stores them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects import sqlite as sqlite_dialect

from prospector.domain.records import AccountRecord, ContactRecord
from prospector.store import stage_image
from prospector.store.contacts import CONTACT
from prospector.store.stage_image import (
    STAGED_ACCOUNT,
    STAGED_CONTACT,
    account_row,
    contact_row,
    day_text,
    image,
)

CONTACTS = [
    (ContactRecord("a@acme.com", "acme.com"), None),
    (
        ContactRecord(
            "b@acme.com",
            "acme.com",
            "Bé",
            "Ray",
            "VP Sales",
            "vp",
            "",
            "US",
            "CA",
            "+1 555",
            True,
            True,
            ("vip", "q-3"),
            "2026-03-01",
            (("LinkedIn", "https://li/b"), ("Notes", 'say "hi"')),
            "America/New_York",
            True,
        ),
        ("role-address", ""),  # a rule whose reason is empty stays a (rule, "") verdict
    ),
    (ContactRecord("c@x.io", "name:x", last_interaction_at="20260301"), ("gambling", "why")),
]
ACCOUNTS = [
    (AccountRecord("acme.com"), 0, (), None),
    (
        AccountRecord("x.io", "X", "x.io", "saas", 0, 12_000_000_000, "DE", "BY", "b2b", 7, ("a",)),
        55,
        ("+30 industry: saas matches the profile", "-0 revenue: unknown"),
        ("gambling", ""),
    ),
]


def staged_rows() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    data = image(
        [account_row(*a) for a in ACCOUNTS],
        [contact_row(record, record.timezone or "UTC", verdict) for record, verdict in CONTACTS],
    )
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    accounts = db.execute(f"SELECT {', '.join(STAGED_ACCOUNT)} FROM staged_account").fetchall()
    contacts = db.execute(f"SELECT {', '.join(STAGED_CONTACT)} FROM staged_contact").fetchall()
    return accounts, contacts


def test_staged_contacts_read_back_as_the_incoming_records() -> None:
    _, rows = staged_rows()
    assert [stage_image.incoming(row) for row in rows] == CONTACTS


def test_staged_accounts_read_back_as_scored_records() -> None:
    rows, _ = staged_rows()
    assert [stage_image.scored(row) for row in rows] == ACCOUNTS


def test_missing_values_are_staged_as_empty_text_not_null() -> None:
    """The driver binds None slowly; the copy turns '' back into NULL (see AS_STORED)."""
    accounts, contacts = staged_rows()
    assert None not in accounts[0] and None not in contacts[0]


@pytest.mark.parametrize("day", ["2026-03-01", "20260301", "2024-02-29", "2026-W09-7"])
def test_dates_are_staged_as_sqlalchemy_stores_them(day: str) -> None:
    process = CONTACT.c.last_interaction_at.type._cached_bind_processor(sqlite_dialect.dialect())
    assert process is not None
    expected = process(datetime.fromisoformat(day).replace(tzinfo=UTC))
    assert day_text(day) == expected
