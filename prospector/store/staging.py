"""The writer's side of staged chunks: open each image and copy it in with INSERT … SELECT.

SQLite only. Handing rows to the driver one parameter at a time cost an import's single
writer about three times what SQLite's own insert costs. So workers stage their chunks in
in-memory databases (stage_image.py) and hand over the images; the writer opens each as
an attached schema (`deserialize`) and copies each table with one INSERT … SELECT,
joining every contact to its account's id by key. Rows that must be merged with what is
stored are read back as records and taken out of the stage first.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table

from prospector.domain.records import ContactRecord
from prospector.store.bulk import converted
from prospector.store.contacts import ACCOUNT, CONTACT, Stamp, chunks, new_row_constants
from prospector.store.row_values import CONTACT_COLUMNS
from prospector.store.stage_image import (
    AS_STORED,
    STAGED_ACCOUNT,
    STAGED_CONTACT,
    Flag,
    ScoredTuple,
    image,
    incoming,
    scored,
)

SCHEMA = "prospector_stage"


@contextmanager
def staged_on(connection: Connection, stamp: Stamp) -> Iterator[Stage | None]:
    """A stage for the transaction about to run on `connection` (None where there can be
    none, as on PostgreSQL); detached once that transaction has ended."""
    stage = Stage.open(connection, stamp)
    try:
        yield stage
    finally:
        if stage is not None:
            stage.close()


class Stage:
    """The writer's view of one staged chunk at a time, inside the import's transaction."""

    def __init__(self, connection: Connection, db: sqlite3.Connection, stamp: Stamp) -> None:
        self.db = db
        self.db.execute(f"ATTACH ':memory:' AS {SCHEMA}")
        constants = new_row_constants(stamp)
        self._copy_accounts, self._account_tail = _copy_sql(
            connection, ACCOUNT, "staged_account", STAGED_ACCOUNT, constants[ACCOUNT]
        )
        self._copy_contacts, self._contact_tail = _copy_sql(
            connection, CONTACT, "staged_contact", STAGED_CONTACT, constants[CONTACT]
        )

    @classmethod
    def open(cls, connection: Connection, stamp: Stamp) -> Stage | None:
        """A stage on this connection, or None where the driver cannot have one."""
        if connection.dialect.name != "sqlite" or connection.in_transaction():
            return None
        db = connection.connection.driver_connection
        if not isinstance(db, sqlite3.Connection) or not _reopens_in_transaction(db):
            return None
        return cls(connection, db, stamp)

    def close(self) -> None:
        """Detach; only possible once the transaction that read the stage has ended."""
        self.db.execute(f"DETACH {SCHEMA}")

    def load(self, data: bytes) -> None:
        """Replace the staged chunk with another image."""
        self.db.deserialize(data, name=SCHEMA)

    def take_contacts(self, emails: Collection[str]) -> dict[str, tuple[ContactRecord, Flag]]:
        """The staged contacts with these addresses, as incoming records with their verdict,
        taken out of the stage (the caller writes them)."""
        return self._take("email", list(emails))

    def take_contacts_at(self, keys: Collection[str]) -> dict[str, tuple[ContactRecord, Flag]]:
        """As take_contacts, for every staged contact at these accounts."""
        return self._take("account_key", list(keys))

    def account_keys(self) -> set[str]:
        """The accounts the staged contacts belong to."""
        rows = self.db.execute(f"SELECT DISTINCT account_key FROM {SCHEMA}.staged_contact")
        return {key for (key,) in rows}

    def accounts(self, keys: Collection[str]) -> dict[str, ScoredTuple]:
        """Staged accounts by key: (record, score, reasons, red flag)."""
        found: dict[str, ScoredTuple] = {}
        for part in chunks(list(keys)):
            query = (
                f"SELECT {', '.join(STAGED_ACCOUNT)} FROM {SCHEMA}.staged_account "
                f"WHERE key IN ({', '.join('?' * len(part))})"
            )
            for row in self.db.execute(query, part):
                found[row[0]] = scored(row)
        return found

    def drop_accounts(self, keys: Collection[str]) -> None:
        """Leave these accounts out of the copy (stored already, or no contact needs them)."""
        for part in chunks(list(keys)):
            self.db.execute(
                f"DELETE FROM {SCHEMA}.staged_account WHERE key IN ({', '.join('?' * len(part))})",
                part,
            )

    def copy_accounts(self) -> int:
        """Insert the staged accounts; returns how many."""
        return self.db.execute(self._copy_accounts, self._account_tail).rowcount

    def copy_contacts(self) -> tuple[int, Counter[str]]:
        """Insert the staged contacts at their accounts (which must be stored by now).

        Returns how many, and how many of them each exclusion rule caught.
        """
        expected, excluded = 0, Counter[str]()
        query = f"SELECT excluded_by, count(*) FROM {SCHEMA}.staged_contact GROUP BY excluded_by"
        for rule, count in self.db.execute(query):
            expected += count
            if rule:
                excluded[rule] = count
        copied = 0
        if expected:
            copied = self.db.execute(self._copy_contacts, self._contact_tail).rowcount
        if copied != expected:  # a contact without its account: a bug, never a silent loss
            raise RuntimeError(f"staged {expected} contacts but copied {copied}")
        return copied, excluded

    def _take(self, column: str, values: list[str]) -> dict[str, tuple[ContactRecord, Flag]]:
        found: dict[str, tuple[ContactRecord, Flag]] = {}
        for part in chunks(values):
            where = f"WHERE {column} IN ({', '.join('?' * len(part))})"
            rows = self.db.execute(
                f"SELECT {', '.join(STAGED_CONTACT)} FROM {SCHEMA}.staged_contact {where}", part
            )
            for row in rows:
                found[row[1]] = incoming(row)
            self.db.execute(f"DELETE FROM {SCHEMA}.staged_contact {where}", part)
        return found


def _copy_sql(
    connection: Connection,
    table: Table,
    staged: str,
    columns: tuple[str, ...],
    constants: dict[str, Any],
) -> tuple[str, tuple[Any, ...]]:
    """INSERT … SELECT from the stage in staging order; a contact gets its account's id.

    `constants` (stamps, a new row's state) are bound once, converted as SQLAlchemy would.
    """
    tail = tuple(converted(table, connection, name, value) for name, value in constants.items())
    names: tuple[str, ...]
    if table is CONTACT:
        names = CONTACT_COLUMNS
        values = ["a.id", *(_stored(c, "s") for c in CONTACT_COLUMNS[1:])]
        source = (
            f"FROM {SCHEMA}.{staged} AS s JOIN main.{ACCOUNT.name} AS a "
            f"ON a.key = s.account_key ORDER BY s.rowid"
        )
    else:
        names = columns
        values = [_stored(c, "s") for c in columns]
        source = f"FROM {SCHEMA}.{staged} AS s ORDER BY s.rowid"
    values += ["?"] * len(tail)
    return (
        f"INSERT INTO main.{table.name} ({', '.join((*names, *constants))}) "
        f"SELECT {', '.join(values)} {source}",
        tail,
    )


def _stored(column: str, alias: str) -> str:
    return AS_STORED[column].format(t=alias) if column in AS_STORED else f"{alias}.{column}"


_EMPTY_IMAGE: bytes | None = None


def _reopens_in_transaction(db: sqlite3.Connection) -> bool:
    """Can this SQLite replace an attached in-memory schema the open transaction has read?

    SQLite's documentation allows sqlite3_deserialize to refuse that (SQLITE_BUSY); the
    versions we know accept it. Asked once per import, so a SQLite that refuses gets the
    ordinary insert path instead of a failed import.
    """
    global _EMPTY_IMAGE
    if not hasattr(db, "deserialize") or db.in_transaction:
        return False
    if _EMPTY_IMAGE is None:
        _EMPTY_IMAGE = image((), ())
    probe = f"{SCHEMA}_probe"
    db.execute(f"ATTACH ':memory:' AS {probe}")
    try:
        db.execute("BEGIN")
        try:
            for _ in range(2):
                db.deserialize(_EMPTY_IMAGE, name=probe)
                db.execute(f"SELECT count(*) FROM {probe}.staged_contact").fetchone()
        except sqlite3.Error:
            return False
        finally:
            db.rollback()
    finally:
        db.execute(f"DETACH {probe}")
    return True
