"""The CPU half of an import: a chunk of CSV rows -> merged, scored records (no database).

It runs in worker processes for large files, so everything here is picklable and pure
given its inputs; the database half (merging with what is stored) stays in importing.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prospector.config import Config
from prospector.domain import icp
from prospector.domain.hygiene import (
    HygieneRules,
    account_facts,
    exclusion,
    merge,
    split_flags,
)
from prospector.domain.records import AccountRecord, ContactRecord
from prospector.domain.rows import Parsed, Rejection, parse_row
from prospector.engine.csv_source import Layout

Row = tuple[int, list[str]]  # (row number as a spreadsheet shows it, cells)


@dataclass(frozen=True)
class ImportRules:
    """The config a worker needs: ICP, red flags split by level, hygiene, default zone."""

    profile: icp.IcpProfile
    account_flags: tuple[icp.RedFlag, ...]
    person_flags: tuple[icp.RedFlag, ...]
    hygiene: HygieneRules
    default_timezone: str

    @classmethod
    def from_config(cls, config: Config) -> ImportRules:
        account_flags, person_flags = split_flags(config.red_flags)
        rules = config.import_
        return cls(
            profile=config.icp,
            account_flags=account_flags,
            person_flags=person_flags,
            hygiene=HygieneRules(
                min_seniority=rules.min_seniority,
                exclude_unknown_seniority=rules.exclude_unknown_seniority,
                exclude_role_addresses=rules.exclude_role_addresses,
                exclude_free_mail=rules.exclude_free_mail,
            ),
            default_timezone=config.workspace.timezone,
        )


Flag = tuple[str, str] | None  # (rule id, reason)


@dataclass(frozen=True)
class ScoredAccount:
    """An account with its fit and first red flag, computed for exactly this record."""

    record: AccountRecord
    score: int
    reasons: tuple[str, ...]
    flag: Flag

    def __reduce__(self) -> tuple[object, ...]:
        # Plain tuples cross the process boundary several times faster than NamedTuples.
        return (_scored, (tuple(self.record), self.score, self.reasons, self.flag))


def _scored(
    record: tuple[object, ...], score: int, reasons: tuple[str, ...], flag: Flag
) -> ScoredAccount:
    return ScoredAccount(AccountRecord._make(record), score, reasons, flag)


@dataclass
class PreparedChunk:
    """One chunk's rows, merged within the chunk; rejections keep their cells for the report.

    Each contact comes with its exclusion as decided against the chunk's view of its
    account; the writer decides again only when the stored account says otherwise.
    """

    rows: int = 0
    rejections: list[tuple[int, list[str], Rejection]] = field(default_factory=list)
    accounts: dict[str, ScoredAccount] = field(default_factory=dict)
    contacts: dict[str, tuple[ContactRecord, Flag]] = field(default_factory=dict)

    def __getstate__(self) -> object:
        contacts = {e: (tuple(r), x) for e, (r, x) in self.contacts.items()}
        return self.rows, self.rejections, self.accounts, contacts

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.rows, self.rejections, self.accounts, contacts = state
        make = ContactRecord._make
        self.contacts = {e: (make(r), x) for e, (r, x) in contacts.items()}


def prepare(rows: list[Row], layout: Layout, rules: ImportRules) -> PreparedChunk:
    """Parse, validate and merge a chunk; score each account, judge each contact."""
    chunk = PreparedChunk(rows=len(rows))
    accounts: dict[str, AccountRecord] = {}
    contacts: dict[str, ContactRecord] = {}
    for number, cells in rows:
        parsed = parse_cells(cells, layout, rules.default_timezone)
        if isinstance(parsed, Rejection):
            chunk.rejections.append((number, cells, parsed))
            continue
        key, email = parsed.account.key, parsed.contact.email
        accounts[key] = merge(accounts.get(key), parsed.account)
        contacts[email] = merge(contacts.get(email), parsed.contact)
    chunk.accounts = {key: score_account(record, rules) for key, record in accounts.items()}
    for email, contact in contacts.items():
        flag = chunk.accounts[contact.account_key].flag
        chunk.contacts[email] = (contact, judge(contact, flag, rules))
    return chunk


def new_timezone(contact: ContactRecord, rules: ImportRules) -> str:
    """The zone a contact is stored with if it is new: as stated, else guessed, else the
    config's default (a guess never replaces a stored contact's zone)."""
    return contact.timezone or contact.zone_guess or rules.default_timezone


def judge(contact: ContactRecord, account_flag: Flag, rules: ImportRules) -> Flag:
    """The rule that keeps this contact out of segments, given its account's red flag."""
    return exclusion(contact, account_flag, rules.person_flags, rules.hygiene)


def score_account(record: AccountRecord, rules: ImportRules) -> ScoredAccount:
    facts = account_facts(record)
    fit = icp.score(rules.profile, facts)
    flag = icp.first_red_flag(rules.account_flags, facts)
    return ScoredAccount(record, fit.score, fit.reasons, flag)


def parse_cells(cells: list[str], layout: Layout, default_timezone: str) -> Parsed | Rejection:
    """One row's cells -> records; columns the layout does not map are kept as extra data."""
    if len(cells) > len(layout.headers):
        return Rejection("(row)", f"{len(cells)} cells but the header has {len(layout.headers)}")
    parsed = parse_row(layout.values(cells), layout.columns, default_timezone=default_timezone)
    if isinstance(parsed, Parsed) and layout.extra:
        extra = tuple((h, cells[i]) for i, h in layout.extra.items() if i < len(cells) and cells[i])
        if extra:
            parsed = Parsed(parsed.account, parsed.contact._replace(extra=extra))
    return parsed
