"""One CSV row -> an account and a contact record, or the column and reason it is rejected."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from prospector.domain.addresses import InvalidAddress, normalise_domain, normalise_email
from prospector.domain.geo import UnknownTimezone, country_code, timezone_for
from prospector.domain.records import AccountRecord, ContactRecord
from prospector.domain.seniority import seniority_from_title

FIELDS = (
    "email",
    "first_name",
    "last_name",
    "full_name",
    "title",
    "company",
    "website",
    "industry",
    "employees",
    "revenue",
    "country",
    "region",
    "timezone",
    "business_model",
    "potential_users",
    "tags",
    "last_interaction",
    "phone",
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


@dataclass(frozen=True)
class Parsed:
    account: AccountRecord
    contact: ContactRecord


def header_field(header: str) -> str | None:
    """The field a CSV header means, or None for a column kept as extra data."""
    key = re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")
    if key in FIELDS:
        return key
    return ALIASES.get(key)


def parse_row(
    values: Mapping[str, str], columns: Mapping[str, str], *, default_timezone: str
) -> Parsed | Rejection:
    """Validate and normalise one row.

    Args:
        values: field name -> raw cell text (only mapped fields).
        columns: field name -> the header as written in the file, for messages.
        default_timezone: zone used when neither an explicit zone nor the country tells.
    """

    def col(name: str) -> str:
        return columns.get(name, name)

    try:
        address = normalise_email(values.get("email", ""))
    except InvalidAddress as exc:
        return Rejection(col("email"), f"invalid address: {exc}")
    numbers: dict[str, int | None] = {}
    for name in ("employees", "revenue", "potential_users"):
        try:
            numbers[name] = parse_count(values.get(name, ""))
        except ValueError as exc:
            return Rejection(col(name), str(exc))
    website = values.get("website", "").strip()
    domain = ""
    if website:
        try:
            domain = normalise_domain(website)
        except InvalidAddress as exc:
            return Rejection(col("website"), f"invalid website: {exc}")
    elif not address.is_free_mail:
        domain = address.domain
    raw_country = values.get("country", "").strip()
    country = country_code(raw_country) if raw_country else None
    if raw_country and country is None:
        return Rejection(col("country"), f"unknown country {raw_country!r}")
    region = values.get("region", "").strip()
    explicit = values.get("timezone", "").strip() or None
    try:
        # With neither a zone nor a country the row states no zone: the importer fills in
        # the default only for a new contact, so it never overwrites a known zone.
        zone = (
            timezone_for(
                explicit=explicit, country=country, region=region or None, default=default_timezone
            )
            if explicit or country
            else ""
        )
    except UnknownTimezone as exc:
        return Rejection(col("timezone"), f"unknown time zone: {exc}")
    last = values.get("last_interaction", "").strip()
    if last:
        try:
            date.fromisoformat(last[:10])
        except ValueError:
            return Rejection(col("last_interaction"), f"not a date (YYYY-MM-DD): {last!r}")
    company = values.get("company", "").strip()
    first, last_name = _names(values)
    title = " ".join(values.get("title", "").split())
    tags = split_tags(values.get("tags", ""))
    key = account_key(domain, company, address.email)
    account = AccountRecord(
        key=key,
        name=company,
        domain=domain,
        industry=values.get("industry", "").strip().lower(),
        employees=numbers["employees"],
        revenue=numbers["revenue"],
        country=country or "",
        region=region,
        business_model=values.get("business_model", "").strip().lower(),
        potential_users=numbers["potential_users"],
        tags=tags,
    )
    contact = ContactRecord(
        email=address.email,
        account_key=key,
        first_name=first,
        last_name=last_name,
        title=title,
        seniority=seniority_from_title(title),
        timezone=zone,
        country=country or "",
        region=region,
        phone=values.get("phone", "").strip(),
        is_role_address=address.is_role,
        is_free_mail=address.is_free_mail,
        tags=tags,
        last_interaction_at=last[:10],
    )
    return Parsed(account, contact)


def account_key(domain: str, company: str, email: str) -> str:
    """Accounts merge on domain; without one (free mail), on company name; else per person."""
    if domain:
        return domain
    if company:
        return "name:" + " ".join(company.lower().split())
    return f"person:{email}"


def _names(values: Mapping[str, str]) -> tuple[str, str]:
    first = values.get("first_name", "").strip()
    last = values.get("last_name", "").strip()
    full = " ".join(values.get("full_name", "").split())
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
