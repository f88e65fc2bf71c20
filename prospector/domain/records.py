"""Value objects that flow from a CSV row to the store: one account, one contact."""

from __future__ import annotations

from dataclasses import dataclass, field

from prospector.domain.seniority import Seniority


@dataclass(frozen=True)
class AccountRecord:
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


@dataclass(frozen=True)
class ContactRecord:
    """A validated, normalised person; `email` is the identity used to merge duplicates."""

    email: str
    account_key: str
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    seniority: Seniority = Seniority.UNKNOWN
    timezone: str = ""
    country: str = ""
    region: str = ""
    phone: str = ""
    is_role_address: bool = False
    is_free_mail: bool = False
    tags: tuple[str, ...] = ()
    last_interaction_at: str = ""  # ISO date as given; parsed by the importer
    extra: dict[str, str] = field(default_factory=dict)
