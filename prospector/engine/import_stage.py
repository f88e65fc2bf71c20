"""A prepared chunk as a SQLite writer takes it: rows staged in a database image.

Runs where the chunk was prepared (a worker process), so the single writer receives one
bytes object instead of a thousand records to unpickle, bind and insert one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

from prospector.domain.rows import Rejection
from prospector.engine.import_prep import ImportRules, PreparedChunk, new_timezone
from prospector.store.stage_image import account_row, contact_row, image


@dataclass
class StagedChunk:
    """One chunk's accounts and contacts in a stage image (see store/staging.py).

    The addresses and account keys travel beside it: the writer looks them up in what is
    stored before deciding which rows it may copy as they are.
    """

    rows: int
    rejections: list[tuple[int, list[str], Rejection]]
    image: bytes
    emails: list[str]
    account_keys: list[str]


def staged(chunk: PreparedChunk, rules: ImportRules) -> StagedChunk:
    """Stage every account and contact of a prepared chunk, each contact as it would be
    stored if it is new (the writer takes back those that are not)."""
    accounts = [account_row(a.record, a.score, a.reasons, a.flag) for a in chunk.accounts.values()]
    contacts = [
        contact_row(record, new_timezone(record, rules), judged)
        for record, judged in chunk.contacts.values()
    ]
    return StagedChunk(
        rows=chunk.rows,
        rejections=chunk.rejections,
        image=image(accounts, contacts),
        emails=list(chunk.contacts),
        account_keys=list(chunk.accounts),
    )
