from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prospector.domain.replies import CATEGORIES, classify
from prospector.domain.replies.intents import reason_for, resume_date

from .conftest import QUOTE, message


@pytest.mark.parametrize(
    ("body", "category"),
    [
        ("Please remove me from your list.", "unsubscribe"),
        ("Stop", "unsubscribe"),
        ("Bitte tragen Sie mich aus Ihrem Verteiler aus.", "unsubscribe"),
        ("配信停止をお願いします。", "unsubscribe"),
        ("No thanks.", "not_interested"),
        ("Nous n'avons pas de budget, je ne donnerai pas suite.", "not_interested"),
        ("Not right now, try me next quarter.", "not_now"),
        ("Ahora mismo no. Escríbeme dentro de dos meses.", "not_now"),
        ("That's me. Send me a calendar link.", "interested"),
        ("Ja, das bin ich. Schicken Sie mir Terminvorschläge.", "interested"),
        ("I'm not the right person for this, sorry.", "wrong_person"),
        ("这个不归我管。", "wrong_person"),
        ("How much does it cost?", "question"),
        ("Você tem integração com o nosso CRM?", "question"),
    ],
)
def test_intent_in_many_languages(body: str, category: str) -> None:
    assert classify(message(body + QUOTE)).category == category


def test_quoted_opt_out_footer_does_not_unsubscribe() -> None:
    result = classify(message("No thanks" + QUOTE))
    assert result.category == "not_interested"
    assert "unsubscribe" not in result.visible_text


def test_referral_with_email_name_and_title() -> None:
    body = (
        "Not me. Please talk to Lena Ortiz, our Head of Sales Development: lena.ortiz@acme.example"
    )
    result = classify(message(body + QUOTE))
    assert result.category == "referral"
    [person] = result.referrals
    assert (person.name, person.email, person.title) == (
        "Lena Ortiz",
        "lena.ortiz@acme.example",
        "Head of Sales Development",
    )


def test_referral_from_cc_with_a_cue() -> None:
    raw = message(
        "Adding Priya (cc'd), who runs this for us." + QUOTE,
        extra='Cc: "Raman, Priya" <priya.raman@acme.example>\n',
    )
    result = classify(raw)
    assert result.category == "referral"
    assert [(p.name, p.email) for p in result.referrals] == [
        ("Priya Raman", "priya.raman@acme.example")
    ]


def test_cc_without_a_cue_is_not_a_referral() -> None:
    raw = message(
        "Greg passed your note on to me. Happy to chat." + QUOTE,
        extra="Cc: Greg Till <g@acme.example>\n",
    )
    result = classify(raw)
    assert result.category == "interested"
    assert result.referrals == ()


def test_role_only_forward() -> None:
    result = classify(message("Thanks, I've forwarded your note to our VP of Sales." + QUOTE))
    assert result.category == "referral"
    assert [(p.name, p.email, p.title) for p in result.referrals] == [(None, None, "VP of Sales")]


def test_resume_dates_follow_the_corpus_rules() -> None:
    sent = date(2026, 5, 20)
    assert resume_date("reach out next quarter", sent)[0] == date(2026, 7, 1)
    assert resume_date("try again in September", sent)[0] == date(2026, 9, 1)
    assert resume_date("after March please", sent)[0] == date(2027, 4, 1)
    assert resume_date("ping me in 6 months", sent)[0] == date(2026, 11, 20)
    assert resume_date("Neem begin volgend jaar contact op", sent)[0] == date(2027, 1, 1)
    assert resume_date("maybe later", sent)[0] is None


def test_reasons() -> None:
    assert reason_for("We're happy with Outreach")[0] == "has_solution"
    assert reason_for("there's no budget this year")[0] == "no_budget"
    assert reason_for("we don't need this")[0] == "no_need"
    assert reason_for("we're in the middle of a merger")[0] == "bad_timing"
    assert reason_for("hard pass")[0] == "other"


@settings(max_examples=200)
@given(st.binary(max_size=600))
def test_classify_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    result = classify(raw)
    assert result.category in CATEGORIES
    assert 0.0 <= result.confidence <= 1.0


@settings(max_examples=100)
@given(st.text(max_size=300))
def test_classify_never_raises_on_arbitrary_replies(body: str) -> None:
    result = classify(message(body))
    assert result.category in CATEGORIES
    assert isinstance(result.as_json()["evidence"], list)
