"""Value objects that flow from a CSV row to the store: one account, one contact.

NamedTuples rather than dataclasses: an import builds two per row, and a tuple is several
times cheaper to build, compare and send to another process than a frozen dataclass.
"""

from __future__ import annotations

from typing import NamedTuple

from prospector.domain.seniority import Seniority


class AccountRecord(NamedTuple):
    """What one row says about the company; empty fields mean "not stated", never "erase"."""

    key: str  # normalised domain, or "name:<company>" when only a free-mail address is known
    name: str = ""
    domain: str = ""
    industry: str = ""
    employees: int | None = None
    revenue: int | None = None  # yearly, in the config's currency unit
    country: str = ""  # ISO 3166-1 alpha-2
    region: str = ""
    business_model: str = ""  # b2b | b2c | agency | …
    potential_users: int | None = None
    tags: tuple[str, ...] = ()


class ContactRecord(NamedTuple):
    """A validated, normalised person; `email` is the identity used to merge duplicates."""

    email: str
    account_key: str
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    seniority: str = Seniority.UNKNOWN.value  # a Seniority value; plain text travels cheaply
    timezone: str = ""
    country: str = ""
    region: str = ""
    phone: str = ""
    is_role_address: bool = False
    is_free_mail: bool = False
    tags: tuple[str, ...] = ()
    last_interaction_at: str = ""  # ISO date as given
    extra: tuple[tuple[str, str], ...] = ()  # unmapped columns, (header, value)
    # Facts about the row, not stored: a zone guessed from the country alone (used only for
    # a new contact), and whether the row named the company's website (only then may it
    # move a known contact to another account).
    zone_guess: str = ""
    account_stated: bool = False
