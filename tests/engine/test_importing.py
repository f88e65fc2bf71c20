from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from prospector.config import Config
from prospector.engine.importing import import_contacts
from prospector.errors import ContactImportError
from prospector.store.tables import Account, Contact, Event
from tests.conftest import NOW

CONFIG = Config.model_validate(
    {
        "icp": {"industries": ["saas"], "countries": ["US", "DE"]},
        "red_flags": [
            {"id": "existing-customer", "field": "domain", "in": ["globex.com"]},
            {"id": "budget-floor", "field": "revenue", "below": 1000000},
        ],
    }
)

HEADER = (
    "Email;First Name;Last Name;Title;Company;Website;Industry;Employees;Revenue;Country;State\n"
)
ROWS = [
    "jane@acme.com;Jane;Doe;VP Sales;Acme;acme.com;SaaS;200;10M;United States;CA",
    "JANE@Acme.com;;;VP Sales;Acme;;;;;;",  # same person: merged, not doubled
    "bob@acme.com;Bob;Ray;Sales Intern;Acme;acme.com;SaaS;200;10M;US;CA",
    "info@acme.com;;;;Acme;acme.com;;;;;",
    "hank@globex.com;Hank;Scorpio;CEO;Globex;globex.com;saas;900;50M;US;",
    "ann@smallco.de;Ann;Klein;Geschäftsführerin;SmallCo;;saas;5;200k;Deutschland;",
    "not-an-address;X;Y;CEO;Nope;;;;;;",
    "zed@zeta.io;Zed;Z;CTO;Zeta;;saas;lots;;US;",
]


def write_csv(path: Path, rows: list[str], *, bom: bool = True, header: str = HEADER) -> Path:
    path.write_text(("\ufeff" if bom else "") + header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def contact(engine: Engine, email: str) -> Contact:
    with Session(engine) as session:
        return session.exec(select(Contact).where(Contact.email == email)).one()


def test_import_reports_every_row(any_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", ROWS)
    report = import_contacts(any_engine, CONFIG, path, now=NOW)
    assert report.rows == 8
    assert report.created == 5
    assert report.duplicates_in_file == 1
    assert report.rejected == 2
    assert report.excluded == {
        "below-min-seniority": 1,
        "role-address": 1,
        "existing-customer": 1,
        "budget-floor": 1,
    }
    with (tmp_path / "leads.rejects.csv").open(encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["row"], r["column"]) for r in rejects] == [("8", "Email"), ("9", "Employees")]
    assert "invalid address" in rejects[0]["reason"]
    assert rejects[1]["Email"] == "zed@zeta.io"  # the original row is kept for fixing


def test_duplicates_merge_into_one_contact(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contacts(sqlite_engine, CONFIG, write_csv(tmp_path / "a.csv", ROWS), now=NOW)
    jane = contact(sqlite_engine, "jane@acme.com")
    assert (jane.first_name, jane.last_name, jane.timezone) == (
        "Jane",
        "Doe",
        "America/Los_Angeles",
    )
    assert jane.excluded_by is None
    with Session(sqlite_engine) as session:
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 5
        acme = session.exec(select(Account).where(Account.key == "acme.com")).one()
    assert acme.icp_score > 0 and "industry" in acme.icp_reasons


def test_exclusions_name_their_rule(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contacts(sqlite_engine, CONFIG, write_csv(tmp_path / "a.csv", ROWS), now=NOW)
    hank = contact(sqlite_engine, "hank@globex.com")
    assert hank.excluded_by == "existing-customer"
    assert "globex.com" in (hank.excluded_reason or "")
    assert contact(sqlite_engine, "info@acme.com").excluded_by == "role-address"


def test_reimport_changes_nothing(any_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", ROWS)
    import_contacts(any_engine, CONFIG, path, now=NOW)
    again = import_contacts(any_engine, CONFIG, path, now=NOW)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_a_later_list_fills_in_without_erasing(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contacts(sqlite_engine, CONFIG, write_csv(tmp_path / "a.csv", ROWS), now=NOW)
    later = write_csv(
        tmp_path / "b.csv",
        ["jane@acme.com;;;;;;;;;;", "jane@acme.com;;;Chief Revenue Officer;;;;;;;"],
        bom=False,
    )
    report = import_contacts(sqlite_engine, CONFIG, later, now=NOW)
    assert (report.created, report.updated) == (0, 1)
    jane = contact(sqlite_engine, "jane@acme.com")
    assert jane.first_name == "Jane" and jane.title == "Chief Revenue Officer"
    assert jane.timezone == "America/Los_Angeles"  # a row without a zone keeps the known one
    assert jane.seniority == "c_level"


def test_tab_separated_without_bom(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("email\tname\ttitle\nli@acme.cn\tLi Wei\t总经理\n", encoding="utf-8")
    report = import_contacts(sqlite_engine, CONFIG, path, now=NOW)
    assert report.created == 1
    li = contact(sqlite_engine, "li@acme.cn")
    assert (li.first_name, li.last_name, li.seniority) == ("Li", "Wei", "c_level")
    assert li.timezone == "America/New_York"  # the config's default: nothing else told


def test_map_option_names_an_unusual_column(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("Correo,Puesto\nana@acme.es,Directora de Ventas\n", encoding="utf-8")
    with pytest.raises(ContactImportError, match="no email column"):
        import_contacts(sqlite_engine, CONFIG, path, now=NOW)
    report = import_contacts(
        sqlite_engine, CONFIG, path, now=NOW, mapping={"Correo": "email", "Puesto": "title"}
    )
    assert report.created == 1
    assert contact(sqlite_engine, "ana@acme.es").seniority == "director"


def test_unmapped_columns_are_kept(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("email,linkedin\nkim@acme.com,https://li/kim\n", encoding="utf-8")
    import_contacts(sqlite_engine, CONFIG, path, now=NOW)
    assert '"linkedin": "https://li/kim"' in contact(sqlite_engine, "kim@acme.com").extra


def test_bad_encoding_imports_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    good = "".join(f"p{i}@acme.com,CEO\n" for i in range(5000))
    path.write_bytes(b"email,title\n" + good.encode() + "zoë@acme.com,CEO\n".encode("latin-1"))
    with pytest.raises(ContactImportError, match="not UTF-8"):
        import_contacts(sqlite_engine, CONFIG, path, now=NOW)
    with Session(sqlite_engine) as session:
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 0


def test_import_is_audited(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contacts(sqlite_engine, CONFIG, write_csv(tmp_path / "a.csv", ROWS), now=NOW)
    with Session(sqlite_engine) as session:
        kinds = session.exec(select(Event.kind)).all()
    assert kinds == ["contacts.imported"]


def test_an_unclosed_quote_imports_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        'email,title\nnot-an-address,CEO\nb@acme.com,"VP\nc@acme.com,CTO\n', encoding="utf-8"
    )
    with pytest.raises(ContactImportError, match="nothing was imported"):
        import_contacts(sqlite_engine, CONFIG, path, now=NOW, chunk_size=1)
    with Session(sqlite_engine) as session:
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 0
    assert not (tmp_path / "q.rejects.csv").exists()  # no half list of rejects either


def test_map_naming_a_missing_column_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ROWS)
    with pytest.raises(ContactImportError, match="not in the header: emial"):
        import_contacts(sqlite_engine, CONFIG, path, now=NOW, mapping={"Emial": "email"})


@pytest.mark.parametrize("workers", [0, 2])
def test_worker_processes_give_the_same_result(
    sqlite_engine: Engine, tmp_path: Path, workers: int
) -> None:
    """The pool path and the in-process path are one behaviour (chunks cross process lines)."""
    rows = [
        f"p{i}@c{i // 3}.com;P{i};L;VP Sales;C{i // 3};;saas;200;10M;US;NY" for i in range(4500)
    ]
    rows += ["p1@c0.com;;;;;;;;;;", "bad-address;;;;;;;;;;"]
    report = import_contacts(
        sqlite_engine, CONFIG, write_csv(tmp_path / "w.csv", rows), now=NOW, workers=workers
    )
    assert (report.rows, report.created, report.rejected) == (4502, 4500, 1)
    assert (report.duplicates_in_file, report.accounts_created) == (1, 1500)
    assert contact(sqlite_engine, "p1@c0.com").timezone == "America/New_York"


def test_map_wins_over_a_header_matched_by_name(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("Email,Work Email\nold@home.com,new@acme.com\n", encoding="utf-8")
    import_contacts(sqlite_engine, CONFIG, path, now=NOW, mapping={"Work Email": "email"})
    assert contact(sqlite_engine, "new@acme.com").extra == '{"Email": "old@home.com"}'
