"""Merging repeated rows and deciding which contacts are excluded, and by which rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from prospector.domain.icp import RedFlag, first_red_flag
from prospector.domain.records import AccountRecord, ContactRecord
from prospector.domain.seniority import Seniority


@dataclass(frozen=True)
class HygieneRules:
    """List-hygiene switches from config ([import])."""

    min_seniority: Seniority = Seniority.DIRECTOR
    exclude_unknown_seniority: bool = False
    exclude_role_addresses: bool = True
    exclude_free_mail: bool = False


R = TypeVar("R", AccountRecord, ContactRecord)
_EMPTY: tuple[object, ...] = ("", None, ())
# Row facts that never replace what is known: a guessed zone, whether a website was given.
_KEPT = frozenset({"zone_guess", "account_stated"})


def merge(old: R | None, new: R) -> R:
    """Later non-empty values win; an empty cell never erases what we already know.

    Tags accumulate, so a second list can add a label without repeating the first ones;
    extra columns merge by header. A contact moves to another account only when the new
    row names a website; an account inferred from the email or company name never moves
    it. Returns `old` itself when nothing changes, so callers can tell "unchanged" by
    identity.
    """
    if old is None:
        return new
    if old == new:
        return old
    changes: dict[str, Any] = {}
    before: Any
    value: Any
    for name, before, value in zip(new._fields, old, new, strict=True):
        if name in _KEPT or (name == "account_key" and not getattr(new, "account_stated", True)):
            continue
        if name in ("tags", "extra"):
            value = _union(before, value, by_key=name == "extra")
        elif value in _EMPTY or (name == "seniority" and value == Seniority.UNKNOWN.value):
            continue
        if value != before:
            changes[name] = value
    return old._replace(**changes) if changes else old


def _union(before: tuple[Any, ...], value: tuple[Any, ...], *, by_key: bool) -> tuple[Any, ...]:
    if not value:
        return before
    if by_key:
        return tuple({**dict(before), **dict(value)}.items())
    return tuple(dict.fromkeys((*before, *value)))


def account_facts(account: AccountRecord) -> dict[str, Any]:
    """The facts red flags and the ICP score look at, for an account."""
    return {
        "domain": account.domain,
        "name": account.name,
        "industry": account.industry,
        "employees": account.employees,
        "revenue": account.revenue,
        "country": account.country,
        "region": account.region,
        "business_model": account.business_model,
        "potential_users": account.potential_users,
        "tags": account.tags,
    }


def exclusion(
    contact: ContactRecord,
    account_flag: tuple[str, str] | None,
    person_flags: tuple[RedFlag, ...],
    rules: HygieneRules,
) -> tuple[str, str] | None:
    """(rule id, reason) that keeps this contact out of every segment, or None.

    Account red flags come first (they exclude everyone there), then red flags on the
    person, then list hygiene.
    """
    if account_flag is not None:
        return account_flag
    if person_flags:
        facts = {
            "email": contact.email,
            "email_domain": contact.email.rpartition("@")[2],
            "title": contact.title,
            "seniority": contact.seniority,
            "tags": contact.tags,
        }
        flagged = first_red_flag(person_flags, facts)
        if flagged is not None:
            return flagged
    return _hygiene(contact, rules)


def _hygiene(contact: ContactRecord, rules: HygieneRules) -> tuple[str, str] | None:
    if rules.exclude_role_addresses and contact.is_role_address:
        return "role-address", f"{contact.email} is a shared mailbox, not a person"
    if rules.exclude_free_mail and contact.is_free_mail:
        return "free-mail", f"{contact.email} is a free-mail address"
    level = _LEVELS.get(contact.seniority, Seniority.UNKNOWN)
    if level is Seniority.UNKNOWN:
        if rules.exclude_unknown_seniority:
            return "unknown-seniority", f"title {contact.title!r} does not tell the level"
        return None
    if level.rank < rules.min_seniority.rank:
        return (
            "below-min-seniority",
            f"{level.value} ({contact.title}) is below {rules.min_seniority.value}",
        )
    return None


_LEVELS = {level.value: level for level in Seniority}
PERSON_FIELDS = frozenset({"email", "email_domain", "title", "seniority"})


def split_flags(flags: tuple[RedFlag, ...]) -> tuple[tuple[RedFlag, ...], tuple[RedFlag, ...]]:
    """Account-level rules and person-level rules (those that test a person's own field)."""
    account = tuple(f for f in flags if f.field not in PERSON_FIELDS)
    person = tuple(f for f in flags if f.field in PERSON_FIELDS)
    return account, person
