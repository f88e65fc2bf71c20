"""contacts.csv -> validated, de-duplicated, ICP-scored accounts and contacts, in one go."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from sqlmodel import Session

from prospector.config import Config
from prospector.domain.hygiene import merge
from prospector.domain.records import ContactRecord
from prospector.domain.rows import Rejection
from prospector.engine.csv_source import Layout, detect_layout, open_csv, read_rows
from prospector.engine.import_pool import default_workers, prepared_chunks
from prospector.engine.import_prep import (
    Flag,
    ImportRules,
    PreparedChunk,
    ScoredAccount,
    judge,
    score_account,
)
from prospector.errors import ContactImportError
from prospector.store import contacts as store
from prospector.store.db import transaction
from prospector.store.events import record_event

SMALL_FILE = 4_000_000  # bytes; below this, starting worker processes costs more than it saves


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
    workers: int | None = None,
) -> ImportReport:
    """Import `path` in one transaction: all valid rows land, or (on a failure) none do.

    Args:
        progress: called with the number of bytes read so far, for a progress bar.
        rejects_path: where rejected rows go (default: `<file>.rejects.csv`).
        workers: processes preparing rows; None picks by file size (0: this process only).

    Re-importing the same file changes nothing: rows merge into what is stored.
    """
    rules = ImportRules.from_config(config)
    rejects_path = rejects_path or path.with_name(path.stem + ".rejects.csv")
    if workers is None:
        workers = default_workers() if path.stat().st_size > SMALL_FILE else 0
    report = ImportReport(rejects_path=None)
    with open_csv(path) as handle:
        layout = detect_layout(handle.readline(), mapping or {})
        handle.seek(0)
        with _RejectWriter(rejects_path, layout) as rejects, transaction(engine) as session:
            stamp = store.Stamp(at=now, source=source or path.name)
            writer = _ChunkWriter(session, rules, report, stamp)
            rows = _rows(handle, layout, progress)
            for chunk in prepared_chunks(rows, layout, rules, workers=workers):
                report.rows += chunk.rows
                report.rejected += len(chunk.rejections)
                for number, cells, rejection in chunk.rejections:
                    rejects.write(number, cells, rejection)
                writer.write(chunk)
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


class _ChunkWriter:
    """Merges each prepared chunk with what is stored and writes the difference."""

    def __init__(
        self, session: Session, rules: ImportRules, report: ImportReport, stamp: store.Stamp
    ) -> None:
        self.session, self.rules, self.report, self.stamp = session, rules, report, stamp
        self.seen: set[int] = set()
        self.seen_accounts: set[int] = set()
        # Into an empty database only what this import wrote can be stored: look up those.
        self.empty_at_start = store.is_empty(session)
        self.writer = store.Writer(session, stamp)

    def write(self, chunk: PreparedChunk) -> None:
        emails = self._to_look_up(chunk.contacts, self.seen)
        keys = self._to_look_up(chunk.accounts, self.seen_accounts)
        fresh = {hash(e) for e in chunk.contacts} - self.seen
        self.report.duplicates_in_file += chunk.rows - len(chunk.rejections) - len(fresh)
        self.seen |= fresh
        self.seen_accounts.update(hash(k) for k in chunk.accounts)
        if chunk.contacts:
            accounts = self._write_accounts(chunk.accounts, keys)
            self._write_contacts(chunk.contacts, chunk, accounts, emails)

    def _to_look_up(self, found: Iterable[str], seen: set[int]) -> list[str]:
        """What may already be stored: everything, or on a first import what we wrote.

        `seen` holds hashes, not addresses, to keep a million-row import small; a
        collision only costs a needless look-up (or, once in ~10^10, one miscounted
        duplicate), never a wrong write.
        """
        return [k for k in found if hash(k) in seen] if self.empty_at_start else list(found)

    def _write_accounts(
        self, batch: dict[str, ScoredAccount], look_up: list[str]
    ) -> dict[str, store.StoredAccount]:
        """Write the chunk's accounts; returns every account it touched, with its id."""
        stored = store.accounts_by_key(self.session, look_up)
        new_rows, changed_rows = [], []
        result: dict[str, store.StoredAccount] = {}
        for key, scored in batch.items():
            old = stored.get(key)
            if old is not None:
                merged = merge(old.record, scored.record)
                if merged is old.record:
                    result[key] = old
                    continue
                scored = score_account(merged, self.rules)
            values = store.account_values(
                scored.record,
                score=scored.score,
                reasons=scored.reasons,
                flag=scored.flag,
            )
            if old is None:
                new_rows.append(values)
            else:
                changed_rows.append((old.id, *values))
            result[key] = store.StoredAccount(old.id if old else 0, scored.record, scored.flag)
        ids = self.writer.insert_accounts(new_rows)
        self.report.accounts_created += len(ids)
        self.writer.update(store.ACCOUNT, store.ACCOUNT_COLUMNS, changed_rows)
        for key, id_ in ids.items():
            result[key] = store.StoredAccount(id_, result[key].record, result[key].red_flag)
        return result

    def _write_contacts(
        self,
        batch: dict[str, tuple[ContactRecord, Flag]],
        chunk: PreparedChunk,
        accounts: dict[str, store.StoredAccount],
        look_up: list[str],
    ) -> None:
        stored = store.contacts_by_email(self.session, look_up)
        new_rows, changed_rows = [], []
        for email, (incoming, judged) in batch.items():
            old = stored.get(email)
            account = accounts[incoming.account_key]
            if old is None:
                merged = incoming  # only a new contact gets the default zone
                if not merged.timezone:
                    merged = merged._replace(timezone=self.rules.default_timezone)
                excluded = judged  # the worker's verdict, unless the stored account differs
                if account.red_flag != chunk.accounts[incoming.account_key].flag:
                    excluded = judge(merged, account.red_flag, self.rules)
            else:
                merged = merge(old.record, incoming)
                account = accounts[merged.account_key]
                excluded = judge(merged, account.red_flag, self.rules)
            if excluded:
                self.report.excluded[excluded[0]] += 1
            if old is not None and merged is old.record and excluded == old.excluded:
                self.report.unchanged += 1
                continue
            values = store.contact_values(merged, account_id=account.id, excluded=excluded)
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
