"""contacts.csv -> validated, de-duplicated, ICP-scored accounts and contacts, in one go."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from sqlmodel import Session

from prospector.config import Config
from prospector.domain import icp
from prospector.domain.hygiene import HygieneRules, account_facts, exclusion, merge, split_flags
from prospector.domain.records import AccountRecord, ContactRecord
from prospector.domain.rows import Parsed, Rejection, parse_row
from prospector.engine.csv_source import Layout, detect_layout, open_csv, read_rows
from prospector.errors import ContactImportError
from prospector.store import contacts as store
from prospector.store.db import transaction
from prospector.store.events import record_event

BATCH = 2000


@dataclass
class ImportReport:
    """What happened to every row; rejected rows are also written to `rejects_path`."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates_in_file: int = 0
    rejected: int = 0
    accounts_created: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    rejects_path: Path | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates_in_file": self.duplicates_in_file,
            "rejected": self.rejected,
            "accounts_created": self.accounts_created,
            "excluded": dict(self.excluded),
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
        }


@dataclass(frozen=True)
class _Rules:
    profile: icp.IcpProfile
    account_flags: tuple[icp.RedFlag, ...]
    person_flags: tuple[icp.RedFlag, ...]
    hygiene: HygieneRules
    default_timezone: str

    @classmethod
    def from_config(cls, config: Config) -> _Rules:
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


def import_contacts(
    engine: Engine,
    config: Config,
    path: Path,
    *,
    now: datetime,
    mapping: Mapping[str, str] | None = None,
    source: str = "",
    rejects_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import `path` in one transaction: all valid rows land, or (on a failure) none do.

    Args:
        progress: called with the number of bytes read so far, for a progress bar.
        rejects_path: where rejected rows go (default: `<file>.rejects.csv`).

    Re-importing the same file changes nothing: rows merge into what is stored.
    """
    rules = _Rules.from_config(config)
    rejects_path = rejects_path or path.with_name(path.stem + ".rejects.csv")
    report = ImportReport(rejects_path=None)
    with open_csv(path) as handle:
        layout = detect_layout(handle.readline(), mapping or {})
        handle.seek(0)
        with _RejectWriter(rejects_path, layout) as rejects, transaction(engine) as session:
            stamp = store.Stamp(at=now, source=source or path.name)
            batcher = _Batcher(session, rules, report, stamp)
            for number, cells in _rows(handle, layout, progress):
                report.rows += 1
                parsed = _parse(cells, layout, rules)
                if isinstance(parsed, Rejection):
                    report.rejected += 1
                    rejects.write(number, cells, parsed)
                else:
                    batcher.add(parsed)
            batcher.flush()
            record_event(session, "contacts.imported", at=now, data=report.as_dict())
        report.rejects_path = rejects_path if report.rejected else None
    return report


def _rows(
    handle: IO[str], layout: Layout, progress: Callable[[int], None] | None
) -> Iterator[tuple[int, list[str]]]:
    number = 1
    try:
        for number, cells in read_rows(handle, layout):
            if progress is not None and number % 1000 == 0:
                progress(handle.buffer.tell() if hasattr(handle, "buffer") else 0)
            yield number, cells
    except UnicodeDecodeError as exc:
        raise ContactImportError(
            f"row {number + 1}: not UTF-8 text; save the file as UTF-8 CSV (nothing was imported)"
        ) from exc
    except csv.Error as exc:
        raise ContactImportError(f"row {number + 1}: {exc} (nothing was imported)") from exc


def _parse(cells: list[str], layout: Layout, rules: _Rules) -> Parsed | Rejection:
    if len(cells) > len(layout.headers):
        return Rejection("(row)", f"{len(cells)} cells but the header has {len(layout.headers)}")
    values = {f: cells[i] for i, f in layout.field_of.items() if i < len(cells)}
    parsed = parse_row(values, layout.columns, default_timezone=rules.default_timezone)
    if isinstance(parsed, Parsed) and layout.extra:
        extra = tuple((h, cells[i]) for i, h in layout.extra.items() if i < len(cells) and cells[i])
        if extra:
            parsed = Parsed(parsed.account, parsed.contact._replace(extra=extra))
    return parsed


class _Batcher:
    """Collects parsed rows and writes them a batch at a time, merging with what is stored."""

    def __init__(
        self, session: Session, rules: _Rules, report: ImportReport, stamp: store.Stamp
    ) -> None:
        self.session, self.rules, self.report, self.stamp = session, rules, report, stamp
        self.accounts: dict[str, AccountRecord] = {}
        self.contacts: dict[str, ContactRecord] = {}
        self.seen: set[str] = set()
        self.writer = store.Writer(session)

    def add(self, parsed: Parsed) -> None:
        email = parsed.contact.email
        if email in self.seen:
            self.report.duplicates_in_file += 1
        self.seen.add(email)
        key = parsed.account.key
        self.accounts[key] = merge(self.accounts.get(key), parsed.account)
        self.contacts[email] = merge(self.contacts.get(email), parsed.contact)
        if len(self.contacts) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.contacts:
            return
        accounts = self._write_accounts()
        self._write_contacts(accounts)
        self.accounts.clear()
        self.contacts.clear()

    def _write_accounts(self) -> dict[str, store.StoredAccount]:
        """Merge, score and write the batch's accounts; returns every account it touched."""
        stored = store.accounts_by_key(self.session, list(self.accounts))
        new_rows, changed_rows = [], []
        result: dict[str, store.StoredAccount] = {}
        for key, incoming in self.accounts.items():
            old = stored.get(key)
            merged = merge(old.record if old else None, incoming)
            if old is not None and merged is old.record:
                result[key] = old
                continue
            facts = account_facts(merged)
            fit = icp.score(self.rules.profile, facts)
            flag = icp.first_red_flag(self.rules.account_flags, facts)
            values = store.account_values(
                merged, score=fit.score, reasons=fit.reasons, flag=flag, stamp=self.stamp
            )
            if old is None:
                new_rows.append(values)
                result[key] = store.StoredAccount(0, merged, flag)
            else:
                changed_rows.append((old.id, *values))
                result[key] = store.StoredAccount(old.id, merged, flag)
        ids = self.writer.insert_accounts(new_rows)
        self.report.accounts_created += len(ids)
        self.writer.update(store.ACCOUNT, store.ACCOUNT_COLUMNS, changed_rows)
        for key, id_ in ids.items():
            result[key] = store.StoredAccount(id_, result[key].record, result[key].red_flag)
        return result

    def _write_contacts(self, accounts: dict[str, store.StoredAccount]) -> None:
        stored = store.contacts_by_email(self.session, list(self.contacts))
        new_rows, changed_rows = [], []
        for email, incoming in self.contacts.items():
            old = stored.get(email)
            merged = merge(old.record if old else None, incoming)
            if not merged.timezone:
                merged = merged._replace(timezone=self.rules.default_timezone)
            account = accounts[merged.account_key]
            excluded = exclusion(
                merged, account.red_flag, self.rules.person_flags, self.rules.hygiene
            )
            if excluded:
                self.report.excluded[excluded[0]] += 1
            if old is not None and merged is old.record and excluded == old.excluded:
                self.report.unchanged += 1
                continue
            values = store.contact_values(
                merged, account_id=account.id, excluded=excluded, stamp=self.stamp
            )
            if old is None:
                new_rows.append(values)
            else:
                changed_rows.append((old.id, *values))
        self.writer.insert_contacts(new_rows)
        self.writer.update(store.CONTACT, store.CONTACT_COLUMNS, changed_rows)
        self.report.created += len(new_rows)
        self.report.updated += len(changed_rows)


class _RejectWriter:
    """Writes rejected rows with their row number, column and reason; opened only when needed."""

    def __init__(self, path: Path, layout: Layout) -> None:
        self.path, self.layout = path, layout
        self.handle: IO[str] | None = None
        self.writer: Any = None

    def __enter__(self) -> _RejectWriter:
        return self

    def write(self, number: int, cells: list[str], rejection: Rejection) -> None:
        if self.writer is None:
            self.handle = self.path.open("w", encoding="utf-8", newline="")
            self.writer = csv.writer(self.handle)
            self.writer.writerow(["row", "column", "reason", *self.layout.headers])
        self.writer.writerow([number, rejection.column, rejection.reason, *cells])

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()


def report_json(report: ImportReport) -> str:
    return json.dumps(report.as_dict(), indent=2)
