"""The method's rules for one rendered message, each checked for and against."""

from __future__ import annotations

import pytest

from prospector.domain.message_lint import lint_message, main_text

OPT_OUT = 'If you\'d rather not hear from me again, just reply "unsubscribe".'
ADDRESS = "Northwind Inc., 500 Market St, San Francisco, CA 94105, USA"
FOOTER = f"\n\n-- \n{OPT_OUT}\n{ADDRESS}\n"
GOOD_BODY = (
    "Hi Jamie,\n\nWe help teams like Globex plan demand.\n\n"
    "Who is the right person to talk to about forecasting?\n\nThanks,\nAlex" + FOOTER
)


def lint(
    subject: str = "Right person at Brightline?", body: str = GOOD_BODY, **kw: object
) -> list[str]:
    options: dict[str, object] = {"opt_out": OPT_OUT, "postal_address": ADDRESS, **kw}
    return lint_message(subject, body, **options)  # type: ignore[arg-type]


def ids(warnings: list[str]) -> list[str]:
    return [w.split(":", 1)[0] for w in warnings]


def test_a_good_message_has_no_warnings() -> None:
    assert lint() == []


def test_more_than_one_question_is_flagged_with_the_count() -> None:
    body = "Hi,\n\nAre you the right person? Or is it someone else\uff1f Who?\n" + FOOTER
    assert lint(body=body) == ["many-questions: 3 questions; ask one"]


def test_questions_in_the_footer_and_quoted_text_do_not_count() -> None:
    body = (
        "Hi,\n\nWho is right?\n\n> On Monday you wrote: any news? any update?\n"
        "\n-- \nQuestions? Reply unsubscribe.\n" + OPT_OUT + "\n" + ADDRESS
    )
    assert "many-questions" not in ids(lint(body=body))


def test_repeated_question_marks_are_one_question() -> None:
    assert "many-questions" not in ids(lint(body="Who is right??" + FOOTER))


@pytest.mark.parametrize("markup", ["<p>Hi</p>", "line<br>", '<a href="x">x</a>', "a&nbsp;b"])
def test_html_is_flagged(markup: str) -> None:
    assert ids(lint(body=f"Hi,\n{markup}\nWho is right?" + FOOTER)) == ["html"]


def test_an_address_in_angle_brackets_is_not_html() -> None:
    assert lint(body="Talk to Jane <jane@acme.com>. Who else?" + FOOTER) == []


@pytest.mark.parametrize("link", ["https://northwind.com/demo", "http://x.io", "www.northwind.com"])
def test_links_in_the_body_are_flagged(link: str) -> None:
    warnings = lint(body=f"Hi,\nSee {link} now. Who is right?" + FOOTER)
    assert ids(warnings) == ["link"]
    assert link in warnings[0]


def test_a_long_body_is_flagged_by_words() -> None:
    body = "Hi,\n\n" + "word " * 121 + "\nWho?" + FOOTER
    assert ids(lint(body=body)) == ["too-long"]


def test_a_long_body_is_flagged_by_characters() -> None:
    body = "Hi,\n\n" + "x" * 950 + "\nWho?" + FOOTER
    assert ids(lint(body=body)) == ["too-long"]


def test_length_thresholds_are_arguments() -> None:
    body = "Hi,\n\n" + "word " * 30 + "\nWho?" + FOOTER
    assert lint(body=body) == []
    assert ids(lint(body=body, max_words=20)) == ["too-long"]
    assert lint(body="Hi,\n\n" + "word " * 130 + FOOTER, max_words=200, max_chars=5000) == []


def test_the_footer_does_not_count_towards_length() -> None:
    long_address = "Suite 1, " * 200
    assert lint(body=GOOD_BODY + long_address, postal_address=ADDRESS) == []


def test_subject_over_sixty_characters_is_flagged() -> None:
    assert lint(subject="x" * 60) == []
    assert lint(subject="x" * 61) == ["long-subject: 61 characters; keep it to 60 or fewer"]


def test_empty_subject_is_flagged() -> None:
    assert ids(lint(subject="  ")) == ["empty-subject"]


def test_missing_opt_out_and_address_are_flagged() -> None:
    body = "Hi,\n\nWho is right?\n\n-- \nNorthwind\n"
    assert ids(lint(body=body)) == ["missing-opt-out", "missing-postal-address"]


def test_footer_text_is_matched_across_line_wrapping() -> None:
    wrapped = "Hi,\nWho?\n\n-- \n" + OPT_OUT.replace(" not ", "\nnot ") + "\n" + ADDRESS
    assert lint(body=wrapped) == []


def test_empty_config_values_are_themselves_warnings() -> None:
    warnings = lint(opt_out="", postal_address=" ")
    assert ids(warnings) == ["missing-opt-out", "missing-postal-address"]
    assert "sender.opt_out is empty" in warnings[0]
    assert "sender.postal_address is empty" in warnings[1]


def test_main_text_drops_footer_and_quotes() -> None:
    assert main_text("Hi\n> quoted?\nthere\n-- \nfooter?") == "Hi\nthere"
