from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prospector.domain.rows import (
    Parsed,
    Rejection,
    header_field,
    parse_count,
    parse_row,
    split_tags,
)
from prospector.domain.seniority import Seniority

COLUMNS = {"email": "E-mail", "employees": "Headcount", "country": "Country", "timezone": "TZ"}


def parse(**values: str) -> Parsed | Rejection:
    return parse_row(values, COLUMNS, default_timezone="America/New_York")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("1200", 1200),
        ("1,200", 1200),
        ("1.200", 1200),
        ("5M", 5_000_000),
        ("$2.5m", 2_500_000),
        ("€ 3k", 3000),
        ("51-200", 51),
        ("1,001 – 5,000", 1001),
        ("10000+", 10000),
        ("12.5", 12),
    ],
)
def test_parse_count(raw: str, expected: int | None) -> None:
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["many", "12 apples", "--"])
def test_parse_count_refuses_words(raw: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_count(raw)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail", "email"),
        ("Work Email", "email"),
        ("Job Title", "title"),
        ("State", "region"),
        ("Company Website", "website"),
        ("favourite colour", None),
    ],
)
def test_header_aliases(header: str, field: str | None) -> None:
    assert header_field(header) == field


def test_a_good_row_becomes_account_and_contact() -> None:
    parsed = parse(
        email=" Jane.Doe@ACME.com ",
        first_name="Jane",
        title="VP Sales",
        company="Acme",
        employees="51-200",
        country="United States",
        region="CA",
    )
    assert isinstance(parsed, Parsed)
    assert parsed.contact.email == "jane.doe@acme.com"
    assert parsed.contact.seniority == Seniority.VP.value
    assert parsed.contact.timezone == "America/Los_Angeles"
    assert parsed.account.key == "acme.com"
    assert parsed.account.employees == 51
    assert parsed.account.country == "US"


def test_rejections_name_the_users_column() -> None:
    assert parse(email="not-an-address") == Rejection(
        "E-mail", parse(email="not-an-address").reason
    )  # type: ignore[union-attr]
    bad_count = parse(email="a@acme.com", employees="lots")
    assert isinstance(bad_count, Rejection) and bad_count.column == "Headcount"
    bad_country = parse(email="a@acme.com", country="Atlantis")
    assert isinstance(bad_country, Rejection) and bad_country.column == "Country"
    bad_zone = parse(email="a@acme.com", timezone="Mars/Olympus")
    assert isinstance(bad_zone, Rejection) and bad_zone.column == "TZ"


def test_free_mail_contacts_group_by_company_name() -> None:
    parsed = parse(email="jo@gmail.com", company="Tiny Shop")
    assert isinstance(parsed, Parsed)
    assert parsed.contact.is_free_mail
    assert parsed.account.key == "name:tiny shop"
    assert parsed.account.domain == ""


def test_no_zone_is_stated_when_nothing_tells() -> None:
    parsed = parse(email="a@acme.com")
    assert isinstance(parsed, Parsed) and parsed.contact.timezone == ""
    german = parse(email="a@acme.com", country="DE")
    assert isinstance(german, Parsed)
    assert (german.contact.timezone, german.contact.zone_guess) == ("", "Europe/Berlin")
    texan = parse(email="a@acme.com", country="US", region="TX")
    assert isinstance(texan, Parsed) and texan.contact.timezone == "America/Chicago"


@given(st.lists(st.text(alphabet="abc XY-", min_size=0, max_size=6), max_size=6))
def test_split_tags_is_idempotent_and_unique(parts: list[str]) -> None:
    tags = split_tags(",".join(parts))
    assert split_tags(",".join(tags)) == tags
    assert len(set(tags)) == len(tags)
    assert all(t == t.lower() and " " not in t and t for t in tags)


def test_segment_tags_mean_imported_tags() -> None:
    from prospector.domain.segments import Segment, matches

    segment = Segment(tags=("Key Account",))
    assert segment.tags == ("key-account",)
    assert matches(segment, {"tags": split_tags("key account")})


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("2026-03-01", True),
        ("2026-03-01T09:30:00Z", True),
        ("2026-03-01 09:30", True),
        ("2026-03-01xyz", False),
        ("01/03/2026", False),
        ("2026-02-30", False),
    ],
)
def test_last_interaction_must_be_a_date(raw: str, ok: bool) -> None:
    parsed = parse(email="a@acme.com", last_interaction=raw)
    assert isinstance(parsed, Parsed) is ok
    if ok:
        assert isinstance(parsed, Parsed) and parsed.contact.last_interaction_at == raw[:10]
