"""`import`, `segments`, `segment`, `enroll` and `status`, driven through the real CLI app.

The workspace is the one `prospector init` writes, with its sample contacts.csv: 26 rows,
one of them an invalid address and one a second spelling of an address already seen.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from prospector.cli import app
from tests.cli.conftest import cli, run, runner

COMMANDS = ("init", "validate", "import", "segments", "segment", "enroll", "preview", "status")
SAMPLE_EXCLUDED = {
    "below-min-seniority": 2,
    "has-solution": 1,
    "existing-customer": 1,
    "competitor": 1,
    "never-sold-industry": 1,
    "role-address": 1,
    "budget-floor": 1,
}
SAAS_LEADERS = [
    "maria.lopez@brightwave-saas.com",
    "daniel.okafor@brightwave-saas.com",
    "hannah.wright@meridian-insights.com",
    "james.whitmore@harbourline-software.co.uk",
    "george.evans@kitecloud-systems.co.uk",
    "priya.nair@quillstack-app.com",
    "jonas.weber@cloudkontor-software.de",
    "claire.dubois@atelier-numerique-sas.fr",
    "javier.romero@datosclaros-saas.es",
]


def cli_json(ws: Path, *args: str) -> Any:
    result = cli(ws, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def imported(ws: Path) -> Path:
    result = cli(ws, "import", str(ws / "contacts.csv"))
    assert result.exit_code == 0, result.output
    return ws


# --- help --------------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert f" {command} " in result.output, command


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code in (0, 2)  # click's no_args_is_help exits 2 on recent versions
    assert "enroll" in result.output


# --- import ------------------------------------------------------------------------------


def test_import_prints_a_summary_and_writes_rejects(ws: Path) -> None:
    result = cli(ws, "import", str(ws / "contacts.csv"))
    assert result.exit_code == 0, result.output
    assert (
        "26 rows: 24 new, 0 updated, 0 unchanged, 1 rejected "
        "(1 duplicate rows merged, 21 new accounts)"
    ) in result.output
    assert "excluded from segments: below-min-seniority 2" in result.output
    rejects = ws / "contacts.rejects.csv"
    assert str(rejects) in result.output
    with rejects.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert (rows[0]["row"], rows[0]["column"]) == ("11", "email")
    assert "invalid address" in rows[0]["reason"]
    assert rows[0]["email"] == "robert.king@@summitpeak-media.com"


def test_import_json_summary(ws: Path) -> None:
    report = cli_json(ws, "import", str(ws / "contacts.csv"))
    assert {
        "rows",
        "created",
        "updated",
        "unchanged",
        "duplicates_in_file",
        "rejected",
        "accounts_created",
        "excluded",
        "rejects_path",
    } <= set(report)
    assert (report["rows"], report["created"], report["rejected"]) == (26, 24, 1)
    assert report["excluded"] == SAMPLE_EXCLUDED
    again = cli_json(ws, "import", str(ws / "contacts.csv"))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 24)


def test_import_rejects_to_a_chosen_file(ws: Path, tmp_path: Path) -> None:
    target = tmp_path / "bad-rows.csv"
    result = cli(ws, "import", str(ws / "contacts.csv"), "--rejects", str(target))
    assert result.exit_code == 0, result.output
    assert "summitpeak-media.com" in target.read_text(encoding="utf-8")
    assert not (ws / "contacts.rejects.csv").exists()


def test_import_map_names_a_column(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Correo,Puesto\nana@acme-soft.es,Directora de Ventas\n", encoding="utf-8")
    result = cli(ws, "import", str(path), "--map", "Correo=email", "--map", "Puesto=title")
    assert result.exit_code == 0, result.output
    assert "1 rows: 1 new" in result.output


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("Correo", "write it as COLUMN=FIELD"),
        ("=email", "write it as COLUMN=FIELD"),
        ("Correo=", "write it as COLUMN=FIELD"),
        ("Correo=e-mail", "unknown field"),
    ],
)
def test_import_map_with_a_bad_pair_fails_clearly(
    ws: Path, tmp_path: Path, pair: str, message: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Correo,Puesto\nana@acme-soft.es,Directora de Ventas\n", encoding="utf-8")
    result = cli(ws, "import", str(path), "--map", pair)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert cli_json(ws, "status")["contacts"] == {}


def test_import_of_a_missing_file_is_a_usage_error(ws: Path) -> None:
    result = cli(ws, "import", str(ws / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv" in result.output


def test_import_without_an_email_column_says_how_to_fix_it(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Correo,Puesto\nana@acme-soft.es,CEO\n", encoding="utf-8")
    result = cli(ws, "import", str(path))
    assert result.exit_code == 1
    assert "--map COLUMN=email" in result.output


# --- segments ----------------------------------------------------------------------------


def test_segments_lists_each_with_its_size(imported: Path) -> None:
    result = cli(imported, "segments")
    assert result.exit_code == 0, result.output
    sizes = {
        line.split()[0]: int(line.split()[1])
        for line in result.output.splitlines()
        if line.split() and line.split()[0] in ("saas-leaders", "logistics-eu")
    }
    members = cli_json(imported, "segment", "saas-leaders")
    assert sizes["saas-leaders"] == len(members) == len(SAAS_LEADERS)
    assert sizes["logistics-eu"] == len(cli_json(imported, "segment", "logistics-eu"))


def test_segment_json_is_best_fit_first(imported: Path) -> None:
    members = cli_json(imported, "segment", "saas-leaders")
    assert [m["email"] for m in members] == SAAS_LEADERS
    scores = [m["icp_score"] for m in members]
    assert scores == sorted(scores, reverse=True)
    assert {"email", "first_name", "company", "country", "icp_score"} <= set(members[0])
    assert members[0]["company"] == "Brightwave"


def test_segment_excludes_red_flags_and_hygiene(imported: Path) -> None:
    emails = {m["email"] for m in cli_json(imported, "segment", "saas-leaders")}
    assert "ryan.murphy@signalforge-hq.com" not in emails  # has-solution
    assert "emily.carter@globex.com" not in emails  # existing customer
    assert "ethan.reed@outpost-labs.io" not in emails  # product manager: too junior


def test_segment_limit(imported: Path) -> None:
    members = cli_json(imported, "segment", "saas-leaders", "--limit", "2")
    assert [m["email"] for m in members] == SAAS_LEADERS[:2]


def test_segment_csv_has_a_header_and_one_row_per_member(imported: Path) -> None:
    result = cli(imported, "segment", "saas-leaders", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["email"] for r in rows] == SAAS_LEADERS
    assert rows[0]["company"] == "Brightwave"
    assert rows[0]["icp_score"] == "100"
    header = result.stdout.splitlines()[0].split(",")
    assert header[:2] == ["id", "email"]


def test_segment_table_ends_with_a_count(imported: Path) -> None:
    result = cli(imported, "segment", "saas-leaders")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(f"{len(SAAS_LEADERS)} contacts")


def test_unknown_segment_exits_4_naming_the_known_ones(imported: Path) -> None:
    result = cli(imported, "segment", "nope")
    assert result.exit_code == 4
    assert "no segment 'nope'" in result.output
    assert "logistics-eu, saas-leaders" in result.output


# --- enroll and status -------------------------------------------------------------------


def test_enroll_dry_run_then_for_real(imported: Path) -> None:
    dry = cli(imported, "enroll", "referral-ask", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would enroll 9 in referral-ask (segment saas-leaders)" in dry.output
    assert "skipped 1: excluded: has-solution" in dry.output
    assert cli_json(imported, "status")["enrollments"] == {}

    real = cli(imported, "enroll", "referral-ask")
    assert real.exit_code == 0, real.output
    assert "enrolled 9 in referral-ask (segment saas-leaders)" in real.output
    assert sorted(dry.output.splitlines()[1:]) == sorted(real.output.splitlines()[1:])

    again = cli_json(imported, "enroll", "referral-ask")
    assert again["enrolled"] == 0
    assert again["skipped"]["already enrolled"] == 9


def test_enroll_json_and_limit(imported: Path) -> None:
    report = cli_json(imported, "enroll", "referral-ask", "--limit", "2", "--dry-run")
    assert report == {
        "sequence": "referral-ask",
        "segment": "saas-leaders",
        "enrolled": 2,
        "skipped": {
            "over --limit": 7,
            "excluded: has-solution": 1,
            "excluded: existing-customer": 1,
            "excluded: competitor": 1,
        },
        "dry_run": True,
    }


def test_enroll_limit_must_be_positive(imported: Path) -> None:
    assert cli(imported, "enroll", "referral-ask", "--limit", "0").exit_code == 2


def test_enroll_unknown_names_exit_4(imported: Path) -> None:
    result = cli(imported, "enroll", "nope")
    assert result.exit_code == 4
    assert "referral-ask" in result.output
    result = cli(imported, "enroll", "referral-ask", "--segment", "nope")
    assert result.exit_code == 4
    assert "saas-leaders" in result.output


def test_enroll_in_a_broken_sequence_exits_3(imported: Path) -> None:
    path = imported / "sequences" / "referral-ask.toml"
    path.write_text(path.read_text().replace("wait_days = 3", "wait_dayz = 3"))
    result = cli(imported, "enroll", "referral-ask")
    assert result.exit_code == 3
    assert "wait_dayz" in result.output
    assert cli_json(imported, "status")["enrollments"] == {}


def test_status_counts_reflect_imports_and_enrollments(imported: Path) -> None:
    assert cli(imported, "enroll", "referral-ask", "--limit", "4").exit_code == 0
    status = cli_json(imported, "status")
    assert status["accounts"] == {"total": 21}
    assert status["contacts"] == {"prospect": 24}
    assert status["excluded"] == SAMPLE_EXCLUDED
    assert status["enrollments"] == {"referral-ask active": 4}
    assert status["messages"] == {}
    assert status["suppressions"] == {}


def test_status_table_on_an_empty_workspace(ws: Path) -> None:
    result = cli(ws, "status")
    assert result.exit_code == 0, result.output
    for section in ("accounts", "contacts", "excluded", "enrollments", "messages"):
        assert section in result.output
    assert "(none)" in result.output


def test_commands_without_a_config_exit_3(tmp_path: Path) -> None:
    for args in (("segments",), ("status",), ("enroll", "referral-ask")):
        result = run("--config", str(tmp_path / "missing.toml"), *args)
        assert result.exit_code == 3, args
        assert "prospector init" in result.output
