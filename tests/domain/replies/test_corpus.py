"""Accuracy over ../shared/corpus (skipped where the corpus is absent, as in a fresh clone).

The targets are issue 4's; the figures are printed by `python -m bench.replies`. Each
assertion states what the corpus measures, not any single file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.replies import expected_kind
from prospector.domain.replies import Classification, classify

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(
    not (CORPUS / "manifest.jsonl").exists(),
    reason=f"reply corpus not found at {CORPUS} (it ships beside the project in CI)",
)


def _manifest() -> Iterator[tuple[dict[str, Any], Classification]]:
    for line in (CORPUS / "manifest.jsonl").read_text().splitlines():
        item = json.loads(line)
        if item["format"] == "rfc822":
            yield item, classify((CORPUS / item["path"]).read_bytes())


def _intents() -> Iterator[tuple[dict[str, Any], Classification]]:
    for line in (CORPUS / "intents" / "labels.jsonl").read_text().splitlines():
        label = json.loads(line)
        raw = (CORPUS / "intents" / label["path"]).read_bytes()
        yield label, classify(raw, our_domains=["northwind.io"])


@pytest.fixture(scope="module")
def manifest() -> list[tuple[dict[str, Any], Classification]]:
    return list(_manifest())


@pytest.fixture(scope="module")
def intents() -> list[tuple[dict[str, Any], Classification]]:
    return list(_intents())


def test_bounce_precision_and_recall(manifest: list[tuple[dict[str, Any], Classification]]) -> None:
    tp = sum(1 for i, r in manifest if i["category"] == "bounce" and r.category == "bounce")
    fp = sum(1 for i, r in manifest if i["category"] != "bounce" and r.category == "bounce")
    fn = sum(1 for i, r in manifest if i["category"] == "bounce" and r.category != "bounce")
    assert tp / (tp + fp) >= 0.99
    # Issue 4 asks 99%; reached 99.3% (see docs/classification.md).
    assert tp / (tp + fn) >= 0.99


def test_failed_recipients(manifest: list[tuple[dict[str, Any], Classification]]) -> None:
    scored = [(i, r) for i, r in manifest if i["category"] == "bounce" and i["failed_recipients"]]
    ok = sum(
        1
        for i, r in scored
        if {a.lower() for a in i["failed_recipients"]} == set(r.failed_recipients)
    )
    # Issue 4 asks 97%; reached 98.9%.
    assert ok / len(scored) >= 0.985


def test_hard_soft(manifest: list[tuple[dict[str, Any], Classification]]) -> None:
    scored = [(expected_kind(i), r) for i, r in manifest if i["category"] == "bounce"]
    ours = [(want, r.bounce_kind) for want, r in scored if want]
    # Issue 4 asks 95% over the labels that mean what ours means (bench/replies.py
    # `expected_kind`); reached 95.4%.
    assert sum(1 for want, got in ours if want == got) / len(ours) >= 0.95
    every = [(i, r) for i, r in manifest if i["category"] == "bounce" and i["bounce_kind"]]
    ok = sum(1 for i, r in every if i["bounce_kind"] == r.bounce_kind)
    # Every label read as ours: 87.2%. The sources define hard/soft differently
    # (docs/classification.md), which caps what one rule can match.
    assert ok / len(every) >= 0.87


def test_reports_are_never_bounces(manifest: list[tuple[dict[str, Any], Classification]]) -> None:
    for item, result in manifest:
        if item["category"] in ("unsubscribe", "other") and "arf" in str(item.get("detail")):
            assert result.category != "bounce", item["path"]


def test_out_of_office_f1_over_both_sets(
    manifest: list[tuple[dict[str, Any], Classification]],
    intents: list[tuple[dict[str, Any], Classification]],
) -> None:
    pairs = [(i["category"] == "auto_reply", r.category == "out_of_office") for i, r in manifest]
    pairs += [
        (lab["category"] == "out_of_office", r.category == "out_of_office") for lab, r in intents
    ]
    tp = sum(1 for want, got in pairs if want and got)
    fp = sum(1 for want, got in pairs if got and not want)
    fn = sum(1 for want, got in pairs if want and not got)
    # Issue 4 asks 97%; reached 100% (25 auto-replies).
    assert 2 * tp / (2 * tp + fp + fn) >= 0.97


def test_faster_flufl_bounce_gives_the_library_answer() -> None:
    """`_all_failures` (gated detectors) must equal flufl.bounce's own `all_failures`."""
    from flufl.bounce import all_failures

    from prospector.domain.replies.bounces import _all_failures
    from prospector.domain.replies.parse import parse

    for line in (CORPUS / "manifest.jsonl").read_text().splitlines():
        item = json.loads(line)
        if item["format"] != "rfc822":
            continue
        message = parse((CORPUS / item["path"]).read_bytes()).message
        try:
            expected: object = all_failures(message)
        except Exception:
            expected = "error"
        try:
            got: object = _all_failures(message)
        except Exception:
            got = "error"
        assert got == expected, item["path"]


def test_every_intent_category_f1(intents: list[tuple[dict[str, Any], Classification]]) -> None:
    for category in {label["category"] for label, _ in intents}:
        tp = sum(1 for lab, r in intents if lab["category"] == category and r.category == category)
        fp = sum(1 for lab, r in intents if lab["category"] != category and r.category == category)
        fn = sum(1 for lab, r in intents if lab["category"] == category and r.category != category)
        f1 = 2 * tp / (2 * tp + fp + fn)
        assert f1 >= 0.90, category


def test_referral_emails(intents: list[tuple[dict[str, Any], Classification]]) -> None:
    wanted = found = 0
    for label, result in intents:
        got = {p.email for p in result.referrals if p.email}
        for person in label["referrals"]:
            if person["email"]:
                wanted += 1
                found += person["email"] in got
    assert found / wanted >= 0.95


def test_out_of_office_and_dates(intents: list[tuple[dict[str, Any], Classification]]) -> None:
    ooo = [(lab, r) for lab, r in intents if lab["category"] == "out_of_office"]
    assert sum(r.category == "out_of_office" for _, r in ooo) / len(ooo) >= 0.97
    returns = sum(
        (r.returns_on.isoformat() if r.returns_on else None) == lab["returns_on"] for lab, r in ooo
    )
    assert returns / len(ooo) >= 0.9
    not_now = [(lab, r) for lab, r in intents if lab["category"] == "not_now"]
    resumes = sum(
        (r.resume_on.isoformat() if r.resume_on else None) == lab["resume_on"] for lab, r in not_now
    )
    assert resumes / len(not_now) >= 0.9
