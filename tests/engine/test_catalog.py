"""Loading and validating a workspace's sequences and templates, and the render context."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from prospector.config import Mailbox, Sender, Settings, load_settings
from prospector.domain.sequences import Sequence, Step
from prospector.engine.catalog import (
    load_sequences,
    message_context,
    render_step,
    sample_context,
)
from prospector.engine.validation import check_workspace, validate_workspace
from prospector.errors import Problem, SequenceError
from prospector.mail.render import environment
from prospector.store import tables

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, tzinfo=UTC)

CONFIG = """\
[sender]
company = "Northwind"
product = "Northwind Forecasting"
postal_address = "Northwind Inc., 500 Market St, San Francisco, CA 94105"
customers = ["Globex", "Initech"]

[[mailboxes]]
id = "main"
address = "alex@northwind-demo.com"
name = "Alex Morgan"

[segments.saas-leaders]
industries = ["software"]
"""

ASK = """\
Subject: Right person at {{ account.name }}?

Hi {{ contact.first_name }},

We help {{ customers | join(", ") }} with {{ sender.product }}.

Who is the right person at {{ account.name }} to talk to?

Thanks,
{{ sender.first_name }}
"""

BUMP = """\
Subject:

Hi {{ contact.first_name }}, who would be best to ask?

{{ sender.first_name }}
"""

INTRO = """\
Subject: {{ referrer.first_name }} suggested I write

Hi {{ contact.first_name }}, {{ referrer.first_name }} suggested I reach out. Open to a call?

{{ sender.first_name }}
"""

WHO = """\
Subject:

Thanks {{ contact.first_name }}. Who would be right at {{ account.name }}?
"""

SEQUENCE = """\
description = "test"
segment = "saas-leaders"
mailboxes = ["main"]

[[steps]]
template = "ask"

[[steps]]
template = "bump"
wait_days = 3
"""

REFERRAL = """\
referral = true

[[steps]]
template = "intro"

[[steps]]
template = "bump"
wait_days = 3
"""


def make_workspace(root: Path, config: str = CONFIG) -> Settings:
    (root / "sequences").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "config.toml").write_text(config)
    for name, text in {"ask": ASK, "bump": BUMP, "intro": INTRO, "who_is_right": WHO}.items():
        (root / "templates" / f"{name}.txt").write_text(text)
    (root / "sequences" / "ask.toml").write_text(SEQUENCE)
    (root / "sequences" / "referred.toml").write_text(REFERRAL)
    return load_settings(root / "config.toml")


@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    return make_workspace(tmp_path)


def only(problems: list[Problem], severity: str = "error") -> list[Problem]:
    return [p for p in problems if p.severity == severity]


def test_a_clean_workspace_has_no_problems(ws: Settings) -> None:
    result = check_workspace(ws)
    assert result.problems == []
    assert (result.sequences, result.templates) == (2, 4)


def test_the_repository_example_workspace_validates_with_zero_warnings() -> None:
    settings = load_settings(REPO / "config.example.toml")
    result = check_workspace(settings)
    assert [str(p) for p in result.problems] == []
    assert result.sequences >= 2 and result.templates >= 5


def test_load_sequences_names_them_by_file_stem(ws: Settings) -> None:
    sequences, problems = load_sequences(ws)
    assert problems == []
    assert sorted(sequences) == ["ask", "referred"]
    assert sequences["referred"].referral is True
    assert [s.template for s in sequences["ask"].steps] == ["ask", "bump"]


def test_a_misspelt_key_is_reported_with_file_line_and_key(ws: Settings) -> None:
    path = ws.sequences_dir / "ask.toml"
    path.write_text(SEQUENCE.replace("wait_days = 3", "wait_dayz = 3"))
    sequences, problems = load_sequences(ws)
    assert "ask" not in sequences and "referred" in sequences  # one bad file hides nothing else
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.line == 10
    assert problem.key == "steps[1].wait_dayz"
    assert "unknown key" in problem.message


def test_a_toml_syntax_error_is_reported_with_its_line(ws: Settings) -> None:
    (ws.sequences_dir / "broken.toml").write_text('description = "x"\nsegment = \n[[steps]]\n')
    _, problems = load_sequences(ws)
    (problem,) = problems
    assert problem.file.endswith("broken.toml")
    assert problem.line == 2
    assert "TOML syntax" in problem.message


def test_a_name_key_that_contradicts_the_file_name_is_located(ws: Settings) -> None:
    (ws.sequences_dir / "ask.toml").write_text('name = "other"\n' + SEQUENCE)
    _, problems = load_sequences(ws)
    (problem,) = problems
    assert (problem.line, problem.key) == (1, "name")


def test_unknown_segment_and_mailbox_are_errors_at_their_lines(ws: Settings) -> None:
    text = SEQUENCE.replace('"saas-leaders"', '"saas-leadrs"').replace(
        '["main"]', '["main", "spare"]'
    )
    (ws.sequences_dir / "ask.toml").write_text(text)
    errors = only(validate_workspace(ws))
    assert [(p.key, p.line) for p in errors] == [("segment", 2), ("mailboxes[1]", 3)]
    assert "saas-leadrs" in errors[0].message and "saas-leaders" in errors[0].message


def test_a_step_naming_a_missing_template_is_an_error_on_the_step(ws: Settings) -> None:
    (ws.sequences_dir / "ask.toml").write_text(SEQUENCE.replace('"bump"', '"bmup"'))
    errors = only(validate_workspace(ws))
    assert [(p.file, p.line, p.key) for p in errors] == [
        (str(ws.sequences_dir / "ask.toml"), 9, "steps[1].template")
    ]
    assert "bmup" in errors[0].message


def test_no_mailbox_is_an_error_because_nothing_could_be_sent(tmp_path: Path) -> None:
    config = (
        CONFIG.split("[[mailboxes]]")[0] + '[segments.saas-leaders]\nindustries = ["software"]\n'
    )
    settings = make_workspace(tmp_path, config)
    (settings.sequences_dir / "ask.toml").write_text(SEQUENCE.replace('["main"]', "[]"))
    errors = only(validate_workspace(settings))
    assert [(p.file, p.key) for p in errors] == [(str(tmp_path / "config.toml"), "mailboxes")]
    assert "nothing could be sent" in errors[0].message


def test_an_undefined_variable_names_the_template_line_and_variable(ws: Settings) -> None:
    (ws.templates_dir / "bump.txt").write_text(
        BUMP.replace("contact.first_name", "contact.nickname")
    )
    errors = only(validate_workspace(ws))
    assert len(errors) == 1  # used by two sequences, reported once
    assert errors[0].file == str(ws.templates_dir / "bump.txt")
    assert errors[0].line == 3
    assert errors[0].key == "contact.nickname"


def test_referrer_in_a_non_referral_sequence_is_an_error(ws: Settings) -> None:
    (ws.sequences_dir / "ask.toml").write_text(SEQUENCE.replace('"ask"', '"intro"'))
    errors = only(validate_workspace(ws))
    assert [p.file for p in errors] == [str(ws.templates_dir / "intro.txt")]
    assert "referral = true" in errors[0].message


def test_lint_warnings_are_located_at_the_template(ws: Settings) -> None:
    (ws.templates_dir / "ask.txt").write_text(ASK.replace("talk to?", "talk to? Is it you?"))
    warnings = only(validate_workspace(ws), "warning")
    assert [(p.file, p.message) for p in warnings] == [
        (str(ws.templates_dir / "ask.txt"), "many-questions: 2 questions; ask one")
    ]


def test_a_long_subject_warning_points_at_line_one(ws: Settings) -> None:
    (ws.templates_dir / "ask.txt").write_text(ASK.replace("Right person", "x" * 60))
    (warning,) = only(validate_workspace(ws), "warning")
    assert warning.line == 1 and warning.message.startswith("long-subject")


def test_an_empty_postal_address_is_one_warning_at_the_config(tmp_path: Path) -> None:
    settings = make_workspace(tmp_path, CONFIG.replace("postal_address", "# postal_address"))
    warnings = only(validate_workspace(settings), "warning")
    assert [(p.file, p.key) for p in warnings] == [
        (str(tmp_path / "config.toml"), "sender.postal_address")
    ]


def test_unused_templates_warn_and_must_still_render(ws: Settings) -> None:
    (ws.templates_dir / "spare.txt").write_text("Subject: x\n\nHi {{ contact.first_name }}\n")
    (ws.templates_dir / "broken.txt").write_text("Subject: x\n\nHi {{ contact.frist_name }}\n")
    problems = validate_workspace(ws)
    unused = [Path(p.file).name for p in only(problems, "warning") if "unused" in p.message]
    assert unused == ["broken.txt", "spare.txt"]
    assert [(Path(p.file).name, p.key) for p in only(problems)] == [
        ("broken.txt", "contact.frist_name")
    ]


def test_the_reply_template_is_not_unused_but_its_absence_is_a_warning(ws: Settings) -> None:
    (ws.templates_dir / "who_is_right.txt").unlink()
    (warning,) = validate_workspace(ws)
    assert warning.severity == "warning"
    assert warning.file.endswith("who_is_right.txt")
    assert "wrong person" in warning.message


def test_a_non_https_unsubscribe_url_is_a_config_error(tmp_path: Path) -> None:
    config = CONFIG.replace("customers =", 'unsubscribe_url = "http://x.com/u"\ncustomers =')
    (error,) = only(validate_workspace(make_workspace(tmp_path, config)))
    assert (error.key, error.line) == ("sender.unsubscribe_url", 5)


def test_a_mailbox_that_cannot_compose_is_a_config_error_not_a_template_one(
    tmp_path: Path,
) -> None:
    config = CONFIG.replace('"alex@northwind-demo.com"', '"alex at northwind"')
    errors = only(validate_workspace(make_workspace(tmp_path, config)))
    assert [(p.file, p.key, p.line) for p in errors] == [
        (str(tmp_path / "config.toml"), "mailboxes[0]", 7)
    ]


def _contact(**values: Any) -> tables.Contact:
    base: dict[str, Any] = {
        "account_id": 1,
        "email": "jamie@brightline-analytics.com",
        "first_name": "Jamie",
        "last_name": "Rivera",
        "title": "VP Operations",
        "seniority": "vp",
        "created_at": NOW,
        "updated_at": NOW,
    }
    base.update(values)
    return tables.Contact(**base)


def _account(**values: Any) -> tables.Account:
    base: dict[str, Any] = {
        "key": "brightline-analytics.com",
        "name": "Brightline",
        "domain": "brightline-analytics.com",
        "created_at": NOW,
        "updated_at": NOW,
    }
    base.update(values)
    return tables.Account(**base)


MAILBOX = Mailbox(id="main", address="alex@northwind-demo.com", name="Alex Morgan", title="CEO")


def test_message_context_shapes_the_template_variables() -> None:
    sender = Sender(company="Northwind", product="Forecasting", customers=("Globex",))
    context = message_context(_contact(), _account(employees=250), MAILBOX, sender, None)
    assert context == {
        "contact": {
            "first_name": "Jamie",
            "last_name": "Rivera",
            "full_name": "Jamie Rivera",
            "title": "VP Operations",
            "email": "jamie@brightline-analytics.com",
            "seniority": "vp",
        },
        "account": {"name": "Brightline", "domain": "brightline-analytics.com", "employees": 250},
        "sender": {
            "name": "Alex Morgan",
            "first_name": "Alex",
            "title": "CEO",
            "email": "alex@northwind-demo.com",
            "company": "Northwind",
            "product": "Forecasting",
        },
        "customers": ["Globex"],
    }


def test_empty_values_are_absent_so_templates_cannot_render_hi_comma(ws: Settings) -> None:
    contact = _contact(first_name="  ", seniority="unknown")
    context = message_context(contact, _account(), MAILBOX, Sender(), None)
    assert "first_name" not in context["contact"]
    assert "seniority" not in context["contact"]
    assert context["contact"]["full_name"] == "Rivera"
    assert "customers" not in context  # none configured: a template naming them fails
    sequence = Sequence(name="ask", steps=(Step(template="ask"),))
    with pytest.raises(SequenceError, match="first_name"):
        render_step(environment(ws.templates_dir), sequence, 0, context)


def test_referrer_is_only_present_when_given() -> None:
    referrer = _contact(first_name="Jordan", last_name="Lee", title="CTO")
    context = message_context(_contact(), _account(), MAILBOX, Sender(), referrer)
    assert context["referrer"] == {
        "first_name": "Jordan",
        "full_name": "Jordan Lee",
        "title": "CTO",
    }
    assert "referrer" not in message_context(_contact(), _account(), MAILBOX, Sender(), None)


def test_sample_context_adds_a_referrer_only_for_referral_sequences(ws: Settings) -> None:
    assert "referrer" not in sample_context(ws, MAILBOX)
    assert sample_context(ws, MAILBOX, referral=True)["referrer"]["first_name"]


def test_follow_ups_take_re_of_the_thread_subject_unless_new_thread(ws: Settings) -> None:
    env = environment(ws.templates_dir)
    context = sample_context(ws, MAILBOX)
    in_thread = Sequence(name="s", steps=(Step(template="ask"), Step(template="ask")))
    first = render_step(env, in_thread, 0, context).subject
    assert first.startswith("Right person at")
    assert render_step(env, in_thread, 1, context).subject == f"Re: {first}"
    fresh = Sequence(name="s", steps=(Step(template="bump"), Step(template="ask", new_thread=True)))
    assert render_step(env, fresh, 1, context).subject == first


def test_templates_of_a_broken_sequence_are_not_unused_but_still_rendered(ws: Settings) -> None:
    (ws.sequences_dir / "referred.toml").write_text(REFERRAL.replace("wait_days", "wait_dayz"))
    (ws.templates_dir / "intro.txt").write_text(INTRO.replace("contact.first_name", "contact.x"))
    problems = validate_workspace(ws)
    assert not [p for p in problems if "unused" in p.message]
    assert {(Path(p.file).name, p.key) for p in only(problems)} == {
        ("referred.toml", "steps[1].wait_dayz"),
        ("intro.txt", "contact.x"),
    }


def test_a_missing_template_does_not_stop_the_other_steps_being_checked(ws: Settings) -> None:
    (ws.sequences_dir / "ask.toml").write_text(SEQUENCE.replace('"bump"', '"bmup"'))
    (ws.templates_dir / "ask.txt").write_text(ASK.replace("contact.first_name", "contact.fn"))
    errors = only(validate_workspace(ws))
    assert [(Path(p.file).name, p.key) for p in errors] == [
        ("ask.toml", "steps[1].template"),
        ("ask.txt", "contact.fn"),
    ]


def test_an_unsigned_or_plain_http_webhook_is_warned_about(tmp_path: Path) -> None:
    config = CONFIG + '\n[handoff]\nwebhook_url = "http://crm.example/hook"\n'
    found = [p for p in validate_workspace(make_workspace(tmp_path, config)) if p.key]
    webhook = sorted((p.key, p.severity) for p in found if p.key.startswith("handoff."))
    assert webhook == [
        ("handoff.webhook_secret_env", "warning"),
        ("handoff.webhook_url", "warning"),
    ]
