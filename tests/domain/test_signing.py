"""Webhook signatures: a vector computed outside Python, and what a receiver must refuse."""

from __future__ import annotations

import pytest

from prospector.domain.signing import signature, verify

SECRET = "whsec_test"
TIMESTAMP = 1767225600  # 2026-01-01 00:00 UTC
BODY = b'{"event":"handoff.created"}'
# printf '1767225600.{"event":"handoff.created"}' | openssl dgst -sha256 -hmac whsec_test
VECTOR = "sha256=bd84131b2919cbced2825d28da8b475fd4a8e86f155a8f28bd2c86624874e811"


def test_the_signature_matches_a_vector_made_with_openssl() -> None:
    assert signature(SECRET, TIMESTAMP, BODY) == VECTOR


def test_verify_accepts_the_signature_and_refuses_any_change() -> None:
    assert verify(SECRET, TIMESTAMP, BODY, VECTOR)
    assert not verify(SECRET, TIMESTAMP, BODY + b" ", VECTOR)  # tampered body
    assert not verify(SECRET, TIMESTAMP, b'{"event":"handoff.deleted"}', VECTOR)
    assert not verify(SECRET, TIMESTAMP + 1, BODY, VECTOR)  # the timestamp is signed too
    assert not verify("another secret", TIMESTAMP, BODY, VECTOR)
    assert not verify(SECRET, TIMESTAMP, BODY, VECTOR.removeprefix("sha256="))
    assert not verify(SECRET, TIMESTAMP, BODY, "sha256=" + "0" * 64)
    assert not verify("", TIMESTAMP, BODY, VECTOR)


def test_verify_with_now_refuses_a_replayed_old_request() -> None:
    assert verify(SECRET, TIMESTAMP, BODY, VECTOR, now=TIMESTAMP + 299)
    assert not verify(SECRET, TIMESTAMP, BODY, VECTOR, now=TIMESTAMP + 301)
    assert not verify(SECRET, TIMESTAMP, BODY, VECTOR, now=TIMESTAMP - 301)
    assert verify(SECRET, TIMESTAMP, BODY, VECTOR, now=TIMESTAMP + 3600, tolerance=3600)


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        signature("", TIMESTAMP, BODY)
