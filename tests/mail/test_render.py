"""Template files: subject + body, strict about missing values, precise about where it broke."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from prospector.errors import Problem, SequenceError
from prospector.mail.render import Rendered, environment, render, template_names

CONTEXT = {
    "contact": {"first_name": "Jamie"},
    "account": {"name": "Brightline"},
    "sender": {"first_name": "Alex"},
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def problem_of(folder: Path, name: str, context: Mapping[str, Any]) -> Problem:
    with pytest.raises(SequenceError) as caught:
        render(folder, name, context)
    (problem,) = caught.value.problems
    return problem


def test_renders_subject_and_body(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ask",
        "Subject: Right person at {{ account.name }}?\n\n"
        "Hi {{ contact.first_name }},\n\nWho is right?\n\n{{ sender.first_name }}\n",
    )
    assert render(tmp_path, "ask", CONTEXT) == Rendered(
        subject="Right person at Brightline?",
        body="Hi Jamie,\n\nWho is right?\n\nAlex",
    )


def test_an_environment_can_be_passed_instead_of_a_folder(tmp_path: Path) -> None:
    write(tmp_path, "a", "Subject: s\n\nbody\n")
    assert render(environment(tmp_path), "a", {}) == Rendered("s", "body")


def test_a_byte_order_mark_and_crlf_line_endings_are_tolerated(tmp_path: Path) -> None:
    (tmp_path / "win.txt").write_bytes(b"\xef\xbb\xbfSubject: Hi\r\n\r\nBody\r\nmore\r\n")
    assert render(tmp_path, "win", {}) == Rendered("Hi", "Body\nmore")


def test_an_empty_subject_is_allowed_for_follow_ups(tmp_path: Path) -> None:
    write(tmp_path, "bump", "Subject:\n\nJust bumping this.\n")
    assert render(tmp_path, "bump", {}).subject == ""


def test_no_html_escaping_in_plain_text(tmp_path: Path) -> None:
    write(tmp_path, "a", "Subject: {{ x }}\n\n{{ x }}\n")
    assert render(tmp_path, "a", {"x": "R&D <team>"}) == Rendered("R&D <team>", "R&D <team>")


def test_a_missing_variable_names_the_file_line_and_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "ask", "Subject: Hello\n\nThanks,\nHi {{ contact.first_name }},\n")
    problem = problem_of(tmp_path, "ask", {"contact": {}})
    assert problem.file == str(path)
    assert problem.line == 4
    assert problem.key == "contact.first_name"
    assert "`contact.first_name` is not defined for this contact" in problem.message


def test_a_missing_first_name_never_renders_hi_comma(tmp_path: Path) -> None:
    write(tmp_path, "ask", "Subject: s\n\nHi {{ contact.first_name }},\n")
    with pytest.raises(SequenceError, match="first_name"):
        render(tmp_path, "ask", {"contact": {"last_name": "Rivera"}})


def test_a_missing_top_level_variable_in_the_subject_is_on_line_one(tmp_path: Path) -> None:
    write(tmp_path, "a", "Subject: About {{ account.name }}\n\nbody\n")
    problem = problem_of(tmp_path, "a", {})
    assert (problem.line, problem.key) == (1, "account")


def test_referrer_outside_a_referral_sequence_says_why(tmp_path: Path) -> None:
    write(tmp_path, "intro", "Subject: x\n\n{{ referrer.first_name }} suggested I write.\n")
    problem = problem_of(tmp_path, "intro", {})
    assert problem.line == 3
    assert "referral = true" in problem.message


def test_syntax_errors_carry_the_file_line(tmp_path: Path) -> None:
    write(tmp_path, "bad", "Subject: x\n\nline three\n{{ contact.first_name \n")
    problem = problem_of(tmp_path, "bad", CONTEXT)
    assert problem.line == 4
    assert problem.message.startswith("syntax:")


def test_an_unknown_filter_is_reported_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, "bad", "Subject: x\n\n{{ contact.first_name | shout }}\n")
    problem = problem_of(tmp_path, "bad", CONTEXT)
    assert problem.line == 3
    assert "shout" in problem.message


def test_runtime_errors_are_problems_not_crashes(tmp_path: Path) -> None:
    write(tmp_path, "bad", "Subject: x\n\nok\n{{ 1 / 0 }}\n")
    problem = problem_of(tmp_path, "bad", {})
    assert problem.line == 4
    assert "division by zero" in problem.message


def test_the_sandbox_refuses_python_internals(tmp_path: Path) -> None:
    write(tmp_path, "evil", "Subject: x\n\n{{ contact.__class__.__mro__ }}\n")
    problem = problem_of(tmp_path, "evil", {"contact": {"a": 1}})
    assert "unsafe" in problem.message


def test_a_subject_that_renders_a_line_break_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "inj", "Subject: Hello {{ contact.first_name }}\n\nbody\n")
    problem = problem_of(tmp_path, "inj", {"contact": {"first_name": "Eve\r\nBcc: all@x.com"}})
    assert problem.line == 1
    assert "line break" in problem.message


def test_the_subject_line_is_required(tmp_path: Path) -> None:
    write(tmp_path, "nosubj", "Hi {{ contact.first_name }},\n\nWho?\n")
    problem = problem_of(tmp_path, "nosubj", CONTEXT)
    assert (problem.line, "Subject:" in problem.message) == (1, True)


def test_the_line_after_the_subject_must_be_blank(tmp_path: Path) -> None:
    write(tmp_path, "noblank", "Subject: x\nHi\n")
    assert problem_of(tmp_path, "noblank", {}).line == 2


def test_an_unknown_template_names_the_expected_file(tmp_path: Path) -> None:
    problem = problem_of(tmp_path, "nope", {})
    assert problem.file == str(tmp_path / "nope.txt")
    assert "not found" in problem.message


def test_template_names_lists_txt_files_only(tmp_path: Path) -> None:
    write(tmp_path, "b", "Subject: x\n\ny\n")
    write(tmp_path, "a", "Subject: x\n\ny\n")
    (tmp_path / "notes.md").write_text("x")
    assert template_names(tmp_path) == ["a", "b"]
    assert template_names(tmp_path / "missing") == []
