from __future__ import annotations

import json
from datetime import date

from prospector.domain.replies import Classification, Person, classify

from .conftest import QUOTE, message


def test_as_json_shape_is_stable() -> None:
    result = Classification(
        "referral",
        0.9,
        ("address x in text",),
        referrals=(Person("Jo Park", "jo@x.example", "CRO"),),
        resume_on=date(2026, 7, 1),
    )
    data = result.as_json()
    assert list(data) == [
        "version",
        "category",
        "confidence",
        "needs_review",
        "evidence",
        "language",
        "report",
        "failed_recipients",
        "bounce_kind",
        "returns_on",
        "alternates",
        "referrals",
        "resume_on",
        "reason",
        "visible_text",
    ]
    assert data["referrals"] == [{"name": "Jo Park", "email": "jo@x.example", "title": "CRO"}]
    assert data["resume_on"] == "2026-07-01"
    json.dumps(data)


def test_every_decision_carries_evidence() -> None:
    result = classify(message("Not right now. Ping me in 3 months." + QUOTE))
    assert result.category == "not_now"
    assert result.resume_on == date(2026, 7, 1)
    assert result.evidence
    assert not result.needs_review


def test_list_unsubscribe_mail_is_an_unsubscribe() -> None:
    assert classify(message("", subject="unsubscribe")).category == "unsubscribe"


def test_unclear_text_goes_to_review() -> None:
    result = classify(message("Hmm." + QUOTE))
    assert result.category == "other"
    assert result.needs_review


def test_our_own_addresses_are_never_referrals() -> None:
    body = "Talk to Sam Lee at sam@northwind.io or Jo Park jo.park@acme.example." + QUOTE
    result = classify(message(body), our_domains=["northwind.io"])
    assert [p.email for p in result.referrals] == ["jo.park@acme.example"]
