"""One CSV row -> an account and a contact record, or the column and reason it is rejected."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from prospector.domain.addresses import InvalidAddress, normalise_domain, normalise_email
from prospector.domain.geo import UnknownTimezone, country_code, timezone_for
from prospector.domain.records import AccountRecord, ContactRecord
from prospector.domain.seniority import seniority_from_title


class RowValues(NamedTuple):
    """One row's raw cells by field ("" where the file has no such column); its field
    names are FIELDS."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    title: str = ""
    company: str = ""
    website: str = ""
    industry: str = ""
    employees: str = ""
    revenue: str = ""
    country: str = ""
    region: str = ""
    timezone: str = ""
    business_model: str = ""
    potential_users: str = ""
    tags: str = ""
    last_interaction: str = ""
    phone: str = ""

    @classmethod
    def of(cls, values: Mapping[str, str]) -> RowValues:
        return cls(**{k: v for k, v in values.items() if k in FIELDS})


# The fields a CSV column can fill, in the order the README lists them.
FIELDS: tuple[str, ...] = RowValues._fields
# The cells that describe the company, in the order _company unpacks them.
_ACCOUNT_PICK = itemgetter(
    *(
        FIELDS.index(f)
        for f in (
            "company",
            "website",
            "industry",
            "employees",
            "revenue",
            "country",
            "region",
            "business_model",
            "potential_users",
            "tags",
        )
    )
)

# Header spellings seen in CRM and data-vendor exports, normalised (lower case, "_" for gaps).
ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "work_email": "email",
    "mail": "email",
    "first": "first_name",
    "firstname": "first_name",
    "given_name": "first_name",
    "last": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "name": "full_name",
    "contact_name": "full_name",
    "job_title": "title",
    "position": "title",
    "role": "title",
    "company_name": "company",
    "organization": "company",
    "organisation": "company",
    "account": "company",
    "account_name": "company",
    "domain": "website",
    "company_domain": "website",
    "company_website": "website",
    "url": "website",
    "sector": "industry",
    "vertical": "industry",
    "employee_count": "employees",
    "headcount": "employees",
    "company_size": "employees",
    "number_of_employees": "employees",
    "annual_revenue": "revenue",
    "state": "region",
    "province": "region",
    "time_zone": "timezone",
    "tz": "timezone",
    "model": "business_model",
    "users": "potential_users",
    "seats": "potential_users",
    "labels": "tags",
    "last_contacted": "last_interaction",
    "last_activity": "last_interaction",
    "last_interaction_date": "last_interaction",
    "phone_number": "phone",
}


@dataclass(frozen=True)
class Rejection:
    """Why a row cannot be imported: the column (as named in the file) and the reason."""

    column: str
    reason: str


class Parsed(NamedTuple):
    account: AccountRecord
    contact: ContactRecord


def header_field(header: str) -> str | None:
    """The field a CSV header means, or None for a column kept as extra data."""
    key = re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")
    if key in FIELDS:
        return key
    return ALIASES.get(key)


def parse_row(
    values: RowValues | Mapping[str, str], columns: Mapping[str, str], *, default_timezone: str
) -> Parsed | Rejection:
    """Validate and normalise one row.

    Args:
        values: the row's cells by field (a mapping is accepted for convenience).
        columns: field name -> the header as written in the file, for messages.
        default_timezone: zone used when the row names a country but no zone (and the
            country alone does not tell); with neither, no zone is stated.
    """
    if not isinstance(values, RowValues):
        values = RowValues.of(values)
    try:
        address = normalise_email(values.email)
    except InvalidAddress as exc:
        return _rejected(columns, "email", f"invalid address: {exc}")
    raw: tuple[str, ...] = _ACCOUNT_PICK(values)
    # The email's domain names the account only when the row gives no website; with no
    # company either (a free-mail address alone), the person is their own account.
    email_domain = "" if raw[1].strip() or address.is_free_mail else address.domain
    lone = not (email_domain or raw[0].strip() or raw[1].strip())
    company = _company(raw, f"person:{address.email}" if lone else email_domain)
    if not isinstance(company, AccountRecord):
        return _rejected(columns, *company)
    place = _place(values.country, values.region, values.timezone, default_timezone)
    if isinstance(place, Rejection):
        return _rejected(columns, place.column, place.reason)
    last = values.last_interaction.strip()
    if last and not _is_date(last):
        return _rejected(columns, "last_interaction", f"not a date (YYYY-MM-DD): {last!r}")
    first, last_name = _names(values)
    title = " ".join(values.title.split())
    contact = ContactRecord(
        address.email,
        company.key,
        first,
        last_name,
        title,
        seniority_from_title(title).value,
        place.zone,
        company.country,
        company.region,
        values.phone.strip(),
        address.is_role,
        address.is_free_mail,
        company.tags,
        last[:10],
        (),
        place.guess,
        bool(raw[1].strip()),
    )
    return Parsed(company, contact)


def _rejected(columns: Mapping[str, str], field: str, reason: str) -> Rejection:
    return Rejection(columns.get(field, field), reason)


@lru_cache(maxsize=16384)  # ~20 MB: lists mostly keep a company's rows together
def _company(raw: tuple[str, ...], fallback: str) -> AccountRecord | tuple[str, str]:
    """The account half of a row, cached: a list repeats its company on every contact.

    `fallback` is the email domain (or a per-person key) used when the row gives no
    website; a tuple result is (field, reason) for a rejection.
    """
    company, website, industry, employees, revenue, country, region, model, users, tags = raw
    numbers: list[int | None] = []
    for name, text in (("employees", employees), ("revenue", revenue), ("potential_users", users)):
        try:
            numbers.append(parse_count(text))
        except ValueError as exc:
            return name, str(exc)
    domain = ""
    if website.strip():
        try:
            domain = normalise_domain(website)
        except InvalidAddress as exc:
            return "website", f"invalid website: {exc}"
    elif not fallback.startswith("person:"):
        domain = fallback

    code = country_code(country) if country.strip() else ""
    if code is None:
        return "country", f"unknown country {country.strip()!r}"
    name = company.strip()
    return AccountRecord(
        account_key(domain, name, fallback.removeprefix("person:")),
        name,
        domain,
        industry.strip().lower(),
        numbers[0],
        numbers[1],
        code,
        region.strip(),
        model.strip().lower(),
        numbers[2],
        split_tags(tags),
    )


class Place(NamedTuple):
    """A stated zone (explicit, or told by the region), or a guess from the country alone."""

    zone: str
    guess: str


@lru_cache(maxsize=4096)
def _place(country: str, region: str, zone: str, default: str) -> Place | Rejection:
    """Where the contact is, in time: a stated zone wins over a guess.

    A guess (the country's principal zone) is applied only to a new contact, so a row
    saying just "US" never moves someone known to be in California to New York.
    """
    code = country_code(country) if country.strip() else None
    explicit = zone.strip() or None
    if not (explicit or code):
        return Place("", "")
    try:
        found = timezone_for(
            explicit=explicit, country=code, region=region.strip() or None, default=default
        )
        if explicit:
            return Place(found, "")
        guess = timezone_for(explicit=None, country=code, region=None, default=default)
    except UnknownTimezone as exc:
        return Rejection("timezone", f"unknown time zone: {exc}")
    return Place(found, "") if found != guess else Place("", guess)


def _is_date(text: str) -> bool:
    """A date, or a date and time as CRMs export them ("2026-03-01", "2026-03-01T09:30:00Z")."""
    if len(text) > 10 and text[10] not in "T ":
        return False
    try:
        date.fromisoformat(text[:10])
        if len(text) > 10:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def account_key(domain: str, company: str, email: str) -> str:
    """Accounts merge on domain; without one (free mail), on company name; else per person."""
    if domain:
        return domain
    if company:
        return "name:" + " ".join(company.lower().split())
    return f"person:{email}"


def _names(values: RowValues) -> tuple[str, str]:
    first = values.first_name.strip()
    last = values.last_name.strip()
    full = " ".join(values.full_name.split())
    if full and not (first or last):
        first, _, last = full.partition(" ")
    return first, last


def split_tags(raw: str) -> tuple[str, ...]:
    """Tags are lower-case, kebab-style, separated by , ; or |; order kept, duplicates dropped."""
    out: dict[str, None] = {}
    for part in re.split(r"[,;|]", raw):
        tag = "-".join(part.strip().lower().split())
        if tag:
            out[tag] = None
    return tuple(out)


_COUNT = re.compile(r"^\s*[$€£]?\s*([0-9][0-9,.\s]*)\s*([kmb])?\s*\+?\s*$", re.IGNORECASE)
_BAND = re.compile(
    r"^\s*([0-9][0-9,.]*\s*[kmb]?)\s*(?:-|–|to)\s*([0-9][0-9,.]*\s*[kmb]?)\s*$", re.I
)
_THOUSANDS = re.compile(r"[.,](?=\d{3}(\D|$))")
_SCALE = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_count(raw: str) -> int | None:
    """'1,200', '5M', '$2.5m', '51-200' (a band: its lower bound), '10000+' -> int; '' -> None.

    A band's lower bound is used so that a size floor is never met by guesswork.
    """
    text = raw.strip()
    if text.isascii() and text.isdigit():  # the common case, without a regex
        return int(text)
    if not text:
        return None
    band = _BAND.match(text)
    if band:
        return parse_count(band.group(1))
    match = _COUNT.match(text)
    if not match:
        raise ValueError(f"not a number: {raw!r}")
    digits, scale = match.group(1).replace(" ", ""), (match.group(2) or "").lower()
    if scale:
        value = float(digits.replace(",", ""))
        return round(value * _SCALE[scale])
    # Without a scale letter, "," and "." are thousands separators unless one decimal part.
    cleaned = _THOUSANDS.sub("", digits)
    try:
        return round(float(cleaned.replace(",", ".")))
    except ValueError as exc:
        raise ValueError(f"not a number: {raw!r}") from exc
