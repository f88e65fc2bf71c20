"""`prospector init`, `validate` and `preview`, driven through the real CLI app."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from prospector.config import load_settings
from prospector.engine.preview import preview
from prospector.errors import NotFoundError, SequenceError
from prospector.store import tables
from prospector.store.db import make_engine, upgrade
from tests.cli.conftest import cli, run

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


# --- init ------------------------------------------------------------------------------


def test_init_creates_a_complete_workspace(ws: Path) -> None:
    assert (ws / "config.toml").read_text() == (REPO / "config.example.toml").read_text()
    assert (ws / "contacts.csv").read_text() == (REPO / "examples" / "contacts.csv").read_text()
    assert sorted(p.name for p in (ws / "sequences").iterdir()) == [
        "referral-ask.toml",
        "referral-follow-up.toml",
    ]
    assert sorted(p.stem for p in (ws / "templates").iterdir()) == [
        "follow_up",
        "handoff_intro",
        "last_try",
        "referral_ask",
        "referral_intro",
        "who_is_right",
    ]
    for path in (ws / "templates").iterdir():
        assert not path.is_symlink()


def test_init_refuses_to_overwrite_and_lists_the_files(ws: Path) -> None:
    (ws / "config.toml").write_text("# mine\n")
    result = run("init", str(ws))
    assert result.exit_code == 1
    assert str(ws / "config.toml") in result.output
    assert str(ws / "templates" / "referral_ask.txt") in result.output
    assert "--force" in result.output
    assert (ws / "config.toml").read_text() == "# mine\n"


def test_init_force_overwrites(ws: Path) -> None:
    (ws / "config.toml").write_text("# mine\n")
    assert run("init", str(ws), "--force").exit_code == 0
    assert (ws / "config.toml").read_text() == (REPO / "config.example.toml").read_text()


def test_init_into_a_folder_with_unrelated_files_is_fine(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    assert run("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert (tmp_path / "config.toml").exists()


# --- validate --------------------------------------------------------------------------


def test_a_fresh_workspace_validates_with_zero_warnings(ws: Path) -> None:
    result = cli(ws, "validate", "--strict")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 sequences, 6 templates: 0 errors, 0 warnings"


def test_a_misspelt_key_fails_with_file_line_and_key(ws: Path) -> None:
    path = ws / "sequences" / "referral-ask.toml"
    path.write_text(path.read_text().replace("wait_days = 3", "wait_dayz = 3"))
    result = cli(ws, "validate")
    assert result.exit_code == 3
    line = _line_of(path, "wait_dayz = 3")
    assert f"{path}:{line}: steps[1].wait_dayz: error: unknown key (misspelt?)" in result.output
    assert "1 error" in result.output


def test_an_undefined_variable_fails_naming_template_and_variable(ws: Path) -> None:
    path = ws / "templates" / "follow_up.txt"
    path.write_text(path.read_text().replace("contact.first_name", "contact.nick_name"))
    result = cli(ws, "validate")
    assert result.exit_code == 3
    expected = f"{path}:3: contact.nick_name: error: `contact.nick_name` is not defined"
    assert expected in result.output


def test_warnings_pass_unless_strict(ws: Path) -> None:
    path = ws / "templates" / "last_try.txt"
    path.write_text(path.read_text().replace("writing.", "writing. Fair?"))
    result = cli(ws, "validate")
    assert result.exit_code == 0
    assert f"{path}: warning: many-questions: 2 questions; ask one" in result.output
    assert "0 errors, 1 warning" in result.output
    assert cli(ws, "validate", "--strict").exit_code == 3


def test_each_problem_is_printed_once(ws: Path) -> None:
    path = ws / "sequences" / "referral-ask.toml"
    path.write_text(path.read_text().replace('segment = "saas-leaders"', 'segment = "nope"'))
    result = cli(ws, "validate")
    assert result.exit_code == 3
    assert result.output.count("segment 'nope' is not in the config") == 1


def test_a_missing_config_is_an_invalid_workspace(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "config.toml"), "validate")
    assert result.exit_code == 3
    assert "prospector init" in result.output


# --- preview ---------------------------------------------------------------------------


def add_contact(ws: Path, email_address: str, first_name: str = "Jamie", **extra: Any) -> int:
    """Insert a contact the way the importer would leave it, without depending on it."""
    engine = make_engine(load_settings(ws / "config.toml").database_url)
    upgrade(engine)
    with Session(engine) as session:
        account = tables.Account(
            key="brightline-analytics.com",
            name="Brightline Analytics",
            domain="brightline-analytics.com",
            industry="software",
            created_at=NOW,
            updated_at=NOW,
        )
        existing = session.exec(
            select(tables.Account).where(tables.Account.key == account.key)
        ).first()
        if existing is None:
            session.add(account)
            session.flush()
        else:
            account = existing
        assert account.id is not None
        values: dict[str, Any] = {
            "account_id": account.id,
            "email": email_address,
            "first_name": first_name,
            "last_name": "Rivera",
            "title": "VP Operations",
            "seniority": "vp",
            "created_at": NOW,
            "updated_at": NOW,
        }
        values.update(extra)
        contact = tables.Contact(**values)
        session.add(contact)
        session.commit()
        assert contact.id is not None
        contact_id = contact.id
    engine.dispose()
    return contact_id


def parse(output: str) -> EmailMessage:
    msg = email.message_from_string(output, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_preview_prints_the_first_email(ws: Path) -> None:
    add_contact(ws, "jamie@brightline-analytics.com")
    result = cli(ws, "preview", "referral-ask", "--contact", "Jamie@Brightline-Analytics.com")
    assert result.exit_code == 0, result.output
    msg = parse(result.output)
    assert msg["Subject"] == "Right person at Brightline Analytics?"
    assert msg["From"] == "Alex Morgan <alex@northwind-demo.com>"
    assert msg["To"] == "Jamie Rivera <jamie@brightline-analytics.com>"
    assert msg["In-Reply-To"] is None
    assert msg["List-Unsubscribe"] == "<mailto:alex@northwind-demo.com?subject=unsubscribe>"
    body = msg.get_content()
    assert body.startswith("Hi Jamie,\n")
    assert "\n-- \nIf you'd rather not hear from me again" in body
    assert "500 Market St" in body


def test_preview_step_two_is_threaded_under_the_first(ws: Path) -> None:
    contact_id = add_contact(ws, "jamie@brightline-analytics.com")
    first = parse(
        cli(ws, "preview", "referral-ask", "--contact", "jamie@brightline-analytics.com").output
    )
    result = cli(
        ws, "preview", "referral-ask", "--contact", "jamie@brightline-analytics.com", "--step", "2"
    )
    assert result.exit_code == 0, result.output
    msg = parse(result.output)
    assert msg["Subject"] == "Re: Right person at Brightline Analytics?"
    assert msg["In-Reply-To"] == first["Message-ID"]
    assert msg["References"] == first["Message-ID"]
    assert first["Message-ID"] == f"<preview.referral-ask.1.{contact_id}@northwind-demo.com>"
    third = parse(
        cli(
            ws,
            "preview",
            "referral-ask",
            "--contact",
            "jamie@brightline-analytics.com",
            "--step",
            "3",
        ).output
    )
    assert third["In-Reply-To"] == msg["Message-ID"]
    assert third["References"] == f"{first['Message-ID']} {msg['Message-ID']}"


def test_preview_refuses_an_empty_first_name_instead_of_hi_comma(ws: Path) -> None:
    add_contact(ws, "nameless@brightline-analytics.com", first_name="")
    result = cli(ws, "preview", "referral-ask", "--contact", "nameless@brightline-analytics.com")
    assert result.exit_code == 3
    assert "Hi ," not in result.output
    assert "referral_ask.txt:3: contact.first_name: error:" in result.output


def test_validate_still_passes_with_that_contact_in_the_database(ws: Path) -> None:
    """Validation renders a sample contact; the bad row is caught at preview or send time."""
    add_contact(ws, "nameless@brightline-analytics.com", first_name="")
    assert cli(ws, "validate").exit_code == 0


def test_preview_of_a_referral_names_the_referrer(ws: Path) -> None:
    referrer = add_contact(ws, "jordan@brightline-analytics.com", first_name="Jordan")
    add_contact(ws, "sam@brightline-analytics.com", first_name="Sam", referred_by_id=referrer)
    result = cli(ws, "preview", "referral-follow-up", "--contact", "sam@brightline-analytics.com")
    assert result.exit_code == 0, result.output
    msg = parse(result.output)
    assert msg["Subject"] == "Jordan suggested I get in touch"
    assert "Jordan suggested I reach out to you" in msg.get_content()


def test_preview_of_a_referral_without_referrer_says_why(ws: Path) -> None:
    add_contact(ws, "sam@brightline-analytics.com", first_name="Sam")
    result = cli(ws, "preview", "referral-follow-up", "--contact", "sam@brightline-analytics.com")
    assert result.exit_code == 3
    assert "`referrer` is not defined" in result.output


def test_header_injection_through_contact_data_is_refused(ws: Path) -> None:
    add_contact(ws, "eve@brightline-analytics.com", last_name="Rivera\r\nBcc: all@victim.com")
    result = cli(ws, "preview", "referral-ask", "--contact", "eve@brightline-analytics.com")
    assert result.exit_code == 3
    assert "header injection" in result.output
    assert "\nBcc:" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("referral-ask", "--contact", "nobody@brightline-analytics.com"), "no contact"),
        (("no-such-sequence", "--contact", "jamie@brightline-analytics.com"), "no sequence"),
        (
            ("referral-ask", "--contact", "jamie@brightline-analytics.com", "--step", "4"),
            "no step 4",
        ),
    ],
)
def test_preview_reports_what_is_not_found(ws: Path, args: tuple[str, ...], message: str) -> None:
    add_contact(ws, "jamie@brightline-analytics.com")
    result = cli(ws, "preview", *args)
    assert result.exit_code == 4
    assert message in result.output


def test_preview_step_zero_is_refused_by_the_cli(ws: Path) -> None:
    result = cli(ws, "preview", "referral-ask", "--contact", "x@y.com", "--step", "0")
    assert result.exit_code == 2


def test_preview_of_a_broken_sequence_shows_its_problems(ws: Path) -> None:
    add_contact(ws, "jamie@brightline-analytics.com")
    path = ws / "sequences" / "referral-ask.toml"
    path.write_text(path.read_text().replace("wait_days = 3", "wait_dayz = 3"))
    result = cli(ws, "preview", "referral-ask", "--contact", "jamie@brightline-analytics.com")
    assert result.exit_code == 3
    assert "steps[1].wait_dayz" in result.output


# --- the engine function behind preview -----------------------------------------------


@pytest.fixture
def engine_ws(ws: Path) -> Iterator[tuple[Path, Engine]]:
    add_contact(ws, "jamie@brightline-analytics.com")
    engine = make_engine(load_settings(ws / "config.toml").database_url)
    yield ws, engine
    engine.dispose()


def test_engine_preview_is_deterministic_given_now(engine_ws: tuple[Path, Engine]) -> None:
    ws, engine = engine_ws
    settings = load_settings(ws / "config.toml")
    with Session(engine) as session:
        one = preview(
            session, settings, "referral-ask", "jamie@brightline-analytics.com", 1, now=NOW
        )
    two = preview(engine, settings, "referral-ask", "jamie@brightline-analytics.com", 1, now=NOW)
    assert one.as_bytes() == two.as_bytes()
    assert one["Date"] == "Tue, 24 Nov 2026 15:00:00 +0000"


def test_engine_preview_raises_typed_errors(engine_ws: tuple[Path, Engine]) -> None:
    ws, engine = engine_ws
    settings = load_settings(ws / "config.toml")
    with pytest.raises(NotFoundError):
        preview(engine, settings, "referral-ask", "jamie@brightline-analytics.com", 3, now=NOW)
    (ws / "templates" / "follow_up.txt").write_text("Subject:\n\n{{ nope }}\n")
    with pytest.raises(SequenceError):
        preview(engine, settings, "referral-ask", "jamie@brightline-analytics.com", 1, now=NOW)


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)
