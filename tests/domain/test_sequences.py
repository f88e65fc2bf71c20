"""Sequence files as data: defaults, the name/stem rule, and the threading of steps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from prospector.domain.sequences import Sequence, Step, parse_sequence, thread_start


def _steps(*templates: str) -> list[dict[str, object]]:
    return [{"template": t} for t in templates]


def test_name_defaults_to_the_file_stem_and_fields_default() -> None:
    sequence = parse_sequence("referral-ask", {"steps": _steps("referral_ask")})
    assert sequence.name == "referral-ask"
    assert sequence.segment is None
    assert sequence.mailboxes == ()
    assert sequence.referral is False
    assert sequence.steps == (Step(template="referral_ask", wait_days=0, new_thread=False),)


def test_a_name_key_equal_to_the_stem_is_accepted() -> None:
    sequence = parse_sequence("nurture", {"name": "nurture", "steps": _steps("a")})
    assert sequence.name == "nurture"


def test_a_name_key_that_differs_from_the_stem_is_an_error_on_name() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sequence("nurture", {"name": "other", "steps": _steps("a")})
    (error,) = caught.value.errors()
    assert error["loc"] == ("name",)
    assert "file name" in error["msg"]


def test_at_least_one_step_is_required() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sequence("empty", {"steps": []})
    assert caught.value.errors()[0]["loc"] == ("steps",)


def test_misspelt_keys_are_errors_with_their_path() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sequence("x", {"steps": [{"template": "a", "wait_dayz": 3}], "segmnt": "s"})
    locs = {error["loc"] for error in caught.value.errors()}
    assert locs == {("steps", 0, "wait_dayz"), ("segmnt",)}
    assert {e["type"] for e in caught.value.errors()} == {"extra_forbidden"}


def test_negative_wait_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sequence("x", {"steps": [{"template": "a", "wait_days": -1}]})
    assert caught.value.errors()[0]["loc"] == ("steps", 0, "wait_days")


@pytest.mark.parametrize("name", ["../secrets", "sub/dir", "/etc/passwd", ""])
def test_template_names_cannot_leave_the_templates_folder(name: str) -> None:
    with pytest.raises(ValidationError):
        Step(template=name)


def test_a_txt_suffix_on_a_template_name_is_tolerated() -> None:
    assert Step(template="follow_up.txt").template == "follow_up"


def test_sequence_names_must_be_slugs() -> None:
    with pytest.raises(ValidationError):
        parse_sequence("Referral Ask", {"steps": _steps("a")})


def test_a_mailbox_listed_twice_is_an_error() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sequence("x", {"mailboxes": ["main", "main"], "steps": _steps("a")})
    assert "twice" in caught.value.errors()[0]["msg"]


def test_models_are_frozen() -> None:
    sequence = parse_sequence("x", {"steps": _steps("a")})
    with pytest.raises(ValidationError):
        sequence.referral = True  # type: ignore[misc]


def test_templates_lists_each_once_in_step_order() -> None:
    sequence = parse_sequence("x", {"steps": _steps("b", "a", "b")})
    assert sequence.templates == ("b", "a")


def test_follow_ups_belong_to_the_first_thread_until_a_step_starts_a_new_one() -> None:
    sequence = Sequence(
        name="x",
        steps=(
            Step(template="a"),
            Step(template="b", wait_days=3),
            Step(template="c", wait_days=5, new_thread=True),
            Step(template="d", wait_days=2),
        ),
    )
    assert [thread_start(sequence, i) for i in range(4)] == [0, 0, 2, 2]
    with pytest.raises(IndexError):
        thread_start(sequence, 4)
