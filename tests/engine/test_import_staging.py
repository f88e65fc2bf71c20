"""On SQLite new rows are copied from staged chunk images: the result must be the same row
for row as the ordinary insert path, which PostgreSQL (and a SQLite that cannot reopen a
stage inside a transaction) uses."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from prospector.config import Config
from prospector.engine.importing import import_contacts
from prospector.store import staging
from tests.conftest import NOW

CONFIG = Config.model_validate(
    {
        "icp": {"industries": ["saas"], "countries": ["US", "DE"]},
        "red_flags": [
            {"id": "gambling", "field": "industry", "in": ["gambling"]},
            {"id": "existing-customer", "field": "domain", "in": ["globex.com"]},
            {"id": "no-interns", "field": "title", "contains": "intern"},
        ],
    }
)
HEAD = "email,first name,last name,title,company,website,industry,employees,country,state,tags,last contacted,timezone,linkedin\n"  # noqa: E501
# Files imported one after the other: new rows, rows merging into stored ones, an account
# that gains a red flag, duplicates, rows spanning chunks, moves between accounts.
FILES = [
    [
        "ann@acme.com,Ann,Lee,CEO,Acme,acme.com,saas,200,US,CA,vip,2026-03-01,,https://li/ann",
        "bob@acme.com,Bob,Ray,Sales Intern,Acme,acme.com,saas,200,US,CA,,,,",
        "info@acme.com,,,,Acme,acme.com,,,,,,,,",
        "hank@globex.com,Hank,Scorpio,CEO,Globex,globex.com,saas,900,US,,,20260301,,",
        "zoe@gmail.com,Zoe,Z,VP Sales,,,,,DE,,,,,",
        "kim@free.example.com,Kim,,Director of Sales,Kim Co,,saas,,,,a;b|c,,Europe/Paris,",
        "lu@acme.com,Lu,,CTO,Acme,acme.com,saas,200,US,CA,,,,",
        "not-an-address,X,Y,CEO,Nope,,,,,,,,,",
        "lu@acme.com,,,,,,,,,,beta,,,",
    ],
    [
        "ann@acme.com,,,,Acme,acme.com,saas,,US,,,,,",  # unchanged
        "bob@acme.com,,,VP Sales,Acme,acme.com,,,,,,,,",  # updated
        "cy@acme.com,Cy,,CFO,Acme,acme.com,gambling,,,,,,,",  # flags Acme: re-judges the rest
        "dee@acme.com,Dee,,COO,Acme,acme.com,,,,,,,,",  # new, at the now flagged account
        "eve@beta.io,Eve,,CEO,Beta,beta.io,saas,50,US,NY,,2025-12-31T09:30:00Z,,",
        "eve@beta.io,,,,Beta,beta-group.io,,,,,,,,",  # moves before it is ever stored
        "zoe@gmail.com,,,,Zeta,zeta.com,,,,,,,,",  # a stated website moves a stored contact
        "new@globex.com,New,,CEO,Globex,globex.com,,,,,,,,",
    ],
    [
        # New at a flagged account, though nothing in this file says so: excluded.
        "fay@acme.com,Fay,,CEO,Acme,acme.com,,,,,,,,",
        "ida@delta.com,Ida,,CEO,Delta,delta.com,saas,,US,,,,,",
    ],
    [
        "cy@acme.com,,,,Acme,acme.com,saas,,,,,,,",  # Acme's flag lifted again
        "fay@acme.com,,,,Acme,acme.com,,,,,,,,",
        "gus@gamma.de,Gus,,Geschäftsführer,Gamma,gamma.de,saas,10,DE,,,,,",
    ],
]


def dump(engine: Engine) -> list[tuple[Any, ...]]:
    """Every stored account and contact column, ids replaced by natural keys."""
    with engine.connect() as conn:
        accounts = conn.execute(text("SELECT * FROM account ORDER BY key")).mappings().all()
        contacts = conn.execute(
            text(
                "SELECT c.*, a.key AS account_key FROM contact c "
                "JOIN account a ON a.id = c.account_id ORDER BY c.email"
            )
        ).mappings()
        return [tuple((k, v) for k, v in row.items() if k != "id") for row in accounts] + [
            tuple((k, v) for k, v in row.items() if k not in ("id", "account_id"))
            for row in contacts
        ]


def run(engine: Engine, tmp_path: Path, **kw: Any) -> list[dict[str, object]]:
    reports = []
    for number, rows in enumerate(FILES):
        path = tmp_path / f"f{number}.csv"
        path.write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
        report = import_contacts(engine, CONFIG, path, now=NOW, **kw).as_dict()
        report.pop("rejects_path")
        reports.append(report)
    return reports


@pytest.fixture
def unstaged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A SQLite that refuses to reopen a stage inside a transaction: the ordinary path."""
    monkeypatch.setattr(staging, "_reopens_in_transaction", lambda db: False)


def engine_at(path: Path) -> Engine:
    from prospector.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@pytest.mark.parametrize("chunk_size", [1, 2, 1000])
def test_staged_copies_store_exactly_what_the_insert_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_size: int
) -> None:
    staged_engine = engine_at(tmp_path / "staged.db")
    staged_reports = run(staged_engine, tmp_path, chunk_size=chunk_size)
    monkeypatch.setattr(staging, "_reopens_in_transaction", lambda db: False)
    plain_engine = engine_at(tmp_path / "plain.db")
    plain_reports = run(plain_engine, tmp_path, chunk_size=chunk_size)
    assert staged_reports == plain_reports
    assert dump(staged_engine) == dump(plain_engine)
    assert staged_reports[1]["rejudged"] >= 2  # ann and info at Acme follow its new flag
    assert staged_reports[2]["excluded"] == {"gambling": 1}
    staged_engine.dispose()
    plain_engine.dispose()


def test_the_staged_path_is_taken_on_sqlite(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = []
    original = staging.Stage.copy_contacts

    def counting(self: staging.Stage) -> Any:
        found = original(self)
        copies.append(found[0])
        return found

    monkeypatch.setattr(staging.Stage, "copy_contacts", counting)
    run(sqlite_engine, tmp_path)
    assert sum(copies) > 0


@pytest.mark.parametrize("workers", [0, 2])
def test_a_failed_import_leaves_nothing_staged_or_written(
    sqlite_engine: Engine, tmp_path: Path, workers: int
) -> None:
    good = "".join(f"p{i}@acme{i // 7}.com,P,L,CEO,Acme,,saas,,,,,,,\n" for i in range(3000))
    path = tmp_path / "bad.csv"
    path.write_text(HEAD + good + 'q@acme.com,"unclosed\n', encoding="utf-8")
    with pytest.raises(Exception, match="nothing was imported"):
        import_contacts(sqlite_engine, CONFIG, path, now=NOW, workers=workers, chunk_size=500)
    assert dump(sqlite_engine) == []
    # The connection went back to the pool without the stage: the next import works.
    run(sqlite_engine, tmp_path)
    with sqlite_engine.connect() as conn:
        schemas = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
    assert staging.SCHEMA not in schemas


def test_sqlite_can_reopen_a_stage_inside_a_transaction(tmp_path: Path) -> None:
    """The premise of the staged path, asked of the SQLite these tests run on."""
    db = sqlite3.connect(tmp_path / "probe.db")
    assert staging._reopens_in_transaction(db)
    assert [row[1] for row in db.execute("PRAGMA database_list")] == ["main"]
    assert not db.in_transaction
    db.close()
