"""Merging a file with what is stored: across chunks, across imports, across config changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from prospector.config import Config
from prospector.engine.importing import ImportReport, import_contacts
from prospector.store.tables import Account, Contact
from tests.conftest import NOW

CONFIG = Config.model_validate(
    {"red_flags": [{"id": "gambling", "field": "industry", "in": ["gambling"]}]}
)


def load(
    engine: Engine, tmp_path: Path, text: str, config: Config = CONFIG, **kw: int
) -> ImportReport:
    path = tmp_path / f"f{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(text, encoding="utf-8")
    return import_contacts(engine, config, path, now=NOW, **kw)


def contacts(engine: Engine) -> dict[str, Contact]:
    with Session(engine) as session:
        return {c.email: c for c in session.exec(select(Contact)).all()}


def account_keys(engine: Engine) -> dict[str, str]:
    """email -> the key of the account the contact belongs to."""
    with Session(engine) as session:
        accounts = {a.id: a.key for a in session.exec(select(Account)).all()}
    return {e: accounts[c.account_id] for e, c in contacts(engine).items()}


H = "email,title,company,industry,country\n"


@pytest.mark.parametrize("chunk_size", [1, 1000])
def test_a_new_red_flag_on_an_account_excludes_its_stored_contacts(
    sqlite_engine: Engine, tmp_path: Path, chunk_size: int
) -> None:
    load(sqlite_engine, tmp_path, H + "ann@acme.com,CEO,Acme,saas,US\n")
    report = load(
        sqlite_engine, tmp_path, H + "bob@acme.com,CEO,Acme,gambling,US\n", chunk_size=chunk_size
    )
    assert {e: c.excluded_by for e, c in contacts(sqlite_engine).items()} == {
        "ann@acme.com": "gambling",
        "bob@acme.com": "gambling",
    }
    assert report.rejudged == 1
    load(sqlite_engine, tmp_path, H + "bob@acme.com,CEO,Acme,saas,US\n")
    assert {c.excluded_by for c in contacts(sqlite_engine).values()} == {None}


def test_a_red_flag_added_to_the_config_applies_on_reimport(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    text = "email,title,company\nann@acme.com,CEO,Acme\n"
    load(sqlite_engine, tmp_path, text)
    customer = Config.model_validate(
        {"red_flags": [{"id": "existing-customer", "field": "domain", "in": ["acme.com"]}]}
    )
    load(sqlite_engine, tmp_path, text, config=customer)
    assert contacts(sqlite_engine)["ann@acme.com"].excluded_by == "existing-customer"


@pytest.mark.parametrize("workers", [0, 2])
def test_counts_add_up_when_duplicates_span_chunks(
    sqlite_engine: Engine, tmp_path: Path, workers: int
) -> None:
    text = H + "".join(
        [
            "info@acme.com,,Acme,saas,US\n",
            "a@acme.com,CEO,Acme,saas,US\n",
            "bad-address,CEO,Acme,saas,US\n",
            "a@acme.com,,,,\n",
            "\n",
            "info@acme.com,,Acme,saas,US\n",
        ]
    )
    first = load(sqlite_engine, tmp_path, text, chunk_size=2, workers=workers)
    assert (first.rows, first.created, first.updated, first.unchanged) == (5, 2, 0, 0)
    assert (first.duplicates_in_file, first.rejected) == (2, 1)
    assert first.excluded == {"role-address": 1}
    again = load(sqlite_engine, tmp_path, text, chunk_size=2, workers=workers)
    assert (again.created, again.updated, again.unchanged, again.duplicates_in_file) == (0, 0, 2, 2)


def test_a_row_without_a_website_keeps_the_contact_at_its_account(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    head = "email,title,company,website\n"
    load(
        sqlite_engine,
        tmp_path,
        head + "a@acme.com,CEO,Acme,acme.io\nz@gmail.com,CEO,Zeta,zeta.com\n",
    )
    load(sqlite_engine, tmp_path, head + "a@acme.com,CEO,,\nz@gmail.com,CEO,Zeta,\n")
    assert account_keys(sqlite_engine) == {"a@acme.com": "acme.io", "z@gmail.com": "zeta.com"}
    load(sqlite_engine, tmp_path, head + "a@acme.com,CEO,Acme,acme-group.com\n")
    assert account_keys(sqlite_engine)["a@acme.com"] == "acme-group.com"


def test_no_account_is_left_without_the_contact_that_named_it(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    head = "email,title,company,website\n"
    load(sqlite_engine, tmp_path, head + "a@acme.com,CEO,Acme,acme.io\na@acme.com,CEO,,\n")
    with Session(sqlite_engine) as session:
        assert [a.key for a in session.exec(select(Account)).all()] == ["acme.io"]


def test_a_country_alone_never_overrides_a_known_zone(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    head = "email,title,company,country,state,timezone\n"
    load(
        sqlite_engine,
        tmp_path,
        head
        + "a@acme.com,CEO,Acme,US,CA,\n"
        + "b@beta.com,CEO,Beta,,,America/Chicago\n"
        + "c@gamma.de,CEO,G,DE,,\n",
    )
    load(sqlite_engine, tmp_path, head + "a@acme.com,CEO,Acme,US,,\nb@beta.com,CEO,Beta,US,,\n")
    zones = {e: c.timezone for e, c in contacts(sqlite_engine).items()}
    assert zones == {
        "a@acme.com": "America/Los_Angeles",
        "b@beta.com": "America/Chicago",
        "c@gamma.de": "Europe/Berlin",  # a new contact does take the country's zone
    }
