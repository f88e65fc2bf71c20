"""contacts.csv -> validated, de-duplicated, ICP-scored accounts and contacts, in one go."""

from __future__ import annotations

import csv
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
from prospector.engine.import_pool import CHUNK, default_workers, prepared_chunks
from prospector.engine.import_prep import (
    Flag,
    ImportRules,
    PreparedChunk,
    ScoredAccount,
    judge,
    new_timezone,
    score_account,
)
from prospector.engine.import_stage import StagedChunk
from prospector.errors import ContactImportError
from prospector.store import contacts as store
from prospector.store.db import transaction
from prospector.store.events import record_event
from prospector.store.row_values import (
    ACCOUNT_COLUMNS,
    CONTACT_COLUMNS,
    account_values,
    contact_values,
)
from prospector.store.staging import Stage, staged_on

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
    rejudged: int = 0  # stored contacts whose exclusion followed their account's new red flag
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
            "rejudged": self.rejudged,
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
    chunk_size: int = CHUNK,
) -> ImportReport:
    """Import `path` in one transaction: all valid rows land, or (on a failure) none do.

    Args:
        progress: called with the number of bytes read so far, for a progress bar.
        rejects_path: where rejected rows go (default: `<file>.rejects.csv`).
        workers: processes preparing rows; None picks by file size (0: this process only).
        chunk_size: rows prepared and written together.

    Re-importing the same file changes nothing: rows merge into what is stored. On
    SQLite, new rows are copied from chunks staged by the workers (store/staging.py).
    """
    rules = ImportRules.from_config(config)
    rejects_path = rejects_path or path.with_name(path.stem + ".rejects.csv")
    if workers is None:
        workers = default_workers() if path.stat().st_size > SMALL_FILE else 0
    report = ImportReport(rejects_path=None)
    stamp = store.Stamp(at=now, source=source or path.name)
    with open_csv(path) as handle:
        layout = detect_layout(handle.readline(), mapping or {})
        handle.seek(0)
        with (
            _RejectWriter(rejects_path, layout) as rejects,
            engine.connect() as connection,
            staged_on(connection, stamp) as stage,
            transaction(connection) as session,
        ):
            writer = _ChunkWriter(session, rules, report, stamp, stage)
            rows = _rows(handle, layout, progress)
            chunks = prepared_chunks(
                rows, layout, rules, workers=workers, size=chunk_size, stage=stage is not None
            )
            for chunk in chunks:
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
        self,
        session: Session,
        rules: ImportRules,
        report: ImportReport,
        stamp: store.Stamp,
        stage: Stage | None = None,
    ) -> None:
        self.session, self.rules, self.report, self.stamp = session, rules, report, stamp
        self.stage = stage
        self.seen: set[int] = set()
        self.seen_accounts: set[int] = set()
        # Into an empty database only what this import wrote can be stored: look up those.
        self.empty_at_start = store.is_empty(session)
        self.writer = store.Writer(session, stamp)

    def write(self, chunk: PreparedChunk | StagedChunk) -> None:
        """Merge a chunk with what is stored, write the difference, and count each row once.

        An address already written earlier in this import counts as a duplicate row, not
        again as created, updated or unchanged.
        """
        emails = chunk.emails if isinstance(chunk, StagedChunk) else list(chunk.contacts)
        hashes = list(map(hash, emails))
        met = self.seen.intersection(hashes)
        repeats = {e for e, h in zip(emails, hashes, strict=True) if h in met} if met else set()
        accepted = chunk.rows - len(chunk.rejections)
        self.report.duplicates_in_file += accepted - (len(emails) - len(repeats))
        # What may already be stored: everything, or on a first import what we wrote.
        look_up = list(repeats) if self.empty_at_start else emails
        stored = store.contacts_by_email(self.session, look_up)
        self.seen.update(hashes)
        if not emails:
            return
        if isinstance(chunk, StagedChunk):
            self._write_staged(chunk, stored, repeats)
            return
        merged = {
            email: self._merged(stored.get(email), incoming)
            for email, (incoming, _) in chunk.contacts.items()
        }
        reflagged: dict[int, Flag] = {}
        accounts = self._write_accounts(chunk, {m.account_key for m in merged.values()}, reflagged)
        self._write_contacts(chunk, stored, merged, accounts, repeats)
        if reflagged:
            self._rejudge(reflagged, skip=chunk.contacts.keys())

    def _write_staged(
        self, chunk: StagedChunk, stored: dict[str, store.StoredContact], repeats: set[str]
    ) -> None:
        """The staged form of `write`: rows that are simply new are copied by SQLite itself.

        Contacts already stored (or met earlier in this file) are taken out of the stage and
        merged as in `write`, and so are new contacts at a stored account whose red flag
        is not the one the chunk saw; stored accounts are merged here too. What is left
        in the stage (new contacts, new accounts) is copied with INSERT … SELECT.
        """
        stage = self.stage
        assert stage is not None, "a staged chunk needs a stage"
        stage.load(chunk.image)
        incoming = stage.take_contacts(stored.keys() | repeats) if stored or repeats else {}
        merged = {e: self._merged(stored.get(e), record) for e, (record, _) in incoming.items()}
        merged_keys = {m.account_key for m in merged.values()}
        needed = stage.account_keys() | merged_keys
        in_chunk = [k for k in chunk.account_keys if k in needed]
        kept = list(needed.difference(chunk.account_keys))  # stored contacts' own accounts
        stored_accounts = store.accounts_by_key(
            self.session, self._to_look_up(in_chunk, self.seen_accounts) + kept
        )
        self.seen_accounts.update(hash(k) for k in in_chunk)
        # The chunk's view of the accounts merged here, or that a merged contact ends at.
        prepared = {
            key: ScoredAccount(*scored)
            for key, scored in stage.accounts(
                [k for k in in_chunk if k in stored_accounts or k in merged_keys]
            ).items()
        }
        reflagged: dict[int, Flag] = {}
        accounts = {key: stored_accounts[key] for key in kept}
        changed_rows = []
        for key in in_chunk:
            old = stored_accounts.get(key)
            if old is not None:
                accounts[key], change = self._merged_account(old, prepared[key], reflagged)
                if change is not None:
                    changed_rows.append(change)
        self.writer.update(store.ACCOUNT, ACCOUNT_COLUMNS, changed_rows)
        stage.drop_accounts([k for k in chunk.account_keys if k not in needed or k in accounts])
        self.report.accounts_created += stage.copy_accounts()
        new_keys = [k for k in merged_keys if k not in accounts]
        for key, id_ in store.account_ids(self.session, new_keys).items():
            accounts[key] = store.StoredAccount.of(id_, prepared[key])
        # A new contact at a stored account whose flag differs from the chunk's is judged again.
        differs = [
            k for k in stored_accounts if k in prepared and accounts[k].red_flag != prepared[k].flag
        ]
        if differs:
            moved = stage.take_contacts_at(differs)
            incoming.update(moved)
            merged.update((e, self._merged(None, record)) for e, (record, _) in moved.items())
        taken = PreparedChunk(accounts=prepared, contacts=incoming)
        self._write_contacts(taken, stored, merged, accounts, repeats)
        created, excluded = stage.copy_contacts()
        self.report.created += created
        self.report.excluded.update(excluded)
        if reflagged:
            self._rejudge(reflagged, skip=chunk.emails)

    def _to_look_up(self, found: Iterable[str], seen: set[int]) -> list[str]:
        """What may already be stored: everything, or on a first import what we wrote.

        `seen` holds hashes, not addresses, to keep a million-row import small; a
        collision only costs a needless look-up, never a wrong write.
        """
        return [k for k in found if hash(k) in seen] if self.empty_at_start else list(found)

    def _merged(self, old: store.StoredContact | None, incoming: ContactRecord) -> ContactRecord:
        if old is not None:
            return merge(old.record, incoming)
        if incoming.timezone:
            return incoming
        # Only a new contact takes a guessed zone, or the config's default.
        return incoming._replace(timezone=new_timezone(incoming, self.rules))

    def _merged_account(
        self, old: store.StoredAccount, scored: ScoredAccount, reflagged: dict[int, Flag]
    ) -> tuple[store.StoredAccount, tuple[object, ...] | None]:
        """A stored account merged with the chunk's view and scored again (the ICP or red
        flags may have changed since): the account as it stands, and its update row (None
        when nothing changed). A changed red flag is noted in `reflagged` (id -> flag)."""
        scored = score_account(merge(old.record, scored.record), self.rules)
        if old.same_as(scored.record, scored.score, scored.reasons, scored.flag):
            return old, None
        if scored.flag != old.red_flag:
            reflagged[old.id] = scored.flag
        values = account_values(
            scored.record, score=scored.score, reasons=scored.reasons, flag=scored.flag
        )
        return store.StoredAccount.of(old.id, scored), (old.id, *values)

    def _write_accounts(
        self, chunk: PreparedChunk, needed: set[str], reflagged: dict[int, Flag]
    ) -> dict[str, store.StoredAccount]:
        """Write the accounts the chunk's contacts end up at; returns them with their ids.

        Stored accounts are merged and scored again, and those whose red flag changed are
        noted in `reflagged` (id -> new flag).
        """
        in_chunk = [k for k in needed if k in chunk.accounts]
        kept = [k for k in needed if k not in chunk.accounts]  # stored contacts' own accounts
        stored = store.accounts_by_key(
            self.session, self._to_look_up(in_chunk, self.seen_accounts) + kept
        )
        self.seen_accounts.update(hash(k) for k in in_chunk)
        new_rows, changed_rows = [], []
        result = {key: stored[key] for key in kept}
        for key in in_chunk:
            old, scored = stored.get(key), chunk.accounts[key]
            if old is not None:
                result[key], change = self._merged_account(old, scored, reflagged)
                if change is not None:
                    changed_rows.append(change)
                continue
            values = account_values(
                scored.record, score=scored.score, reasons=scored.reasons, flag=scored.flag
            )
            new_rows.append(values)
            result[key] = store.StoredAccount.of(0, scored)
        ids = self.writer.insert_accounts(new_rows)
        self.report.accounts_created += len(ids)
        self.writer.update(store.ACCOUNT, ACCOUNT_COLUMNS, changed_rows)
        for key, id_ in ids.items():
            result[key] = result[key]._replace(id=id_)
        return result

    def _write_contacts(
        self,
        chunk: PreparedChunk,
        stored: dict[str, store.StoredContact],
        merged: dict[str, ContactRecord],
        accounts: dict[str, store.StoredAccount],
        repeats: set[str],
    ) -> None:
        new_rows, changed_rows = [], []
        report = self.report
        for email, (_, judged) in chunk.contacts.items():
            old, record = stored.get(email), merged[email]
            account = accounts[record.account_key]
            prepared = chunk.accounts.get(record.account_key)
            excluded = judged  # the worker's verdict holds unless the account differs
            if old is not None or prepared is None or account.red_flag != prepared.flag:
                excluded = judge(record, account.red_flag, self.rules)
            counted = email not in repeats
            if excluded and counted:
                report.excluded[excluded[0]] += 1
            if old is not None and record is old.record and excluded == old.excluded:
                report.unchanged += counted
                continue
            values = contact_values(record, account_id=account.id, excluded=excluded)
            if old is None:
                new_rows.append(values)
                report.created += counted
            else:
                changed_rows.append((old.id, *values))
                report.updated += counted
        self.writer.insert_contacts(new_rows)
        self.writer.update(store.CONTACT, CONTACT_COLUMNS, changed_rows)

    def _rejudge(self, reflagged: dict[int, Flag], skip: Iterable[str]) -> None:
        """An account's red flag changed: its other stored contacts follow it at once."""
        done = set(skip)
        changes = []
        for account_id, contact in store.contacts_of_accounts(self.session, list(reflagged)):
            if contact.record.email in done:
                continue
            excluded = judge(contact.record, reflagged[account_id], self.rules)
            if excluded != contact.excluded:
                changes.append((contact.id, excluded))
        self.writer.set_exclusions(changes)
        self.report.rejudged += len(changes)


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

    def __exit__(self, exc_type: object, *_: object) -> None:
        if self.handle is not None:
            self.handle.close()
            if exc_type is not None:  # nothing was imported: a partial list would mislead
                self.path.unlink(missing_ok=True)
