"""Signing webhook bodies, so a receiver can tell a hand-off really came from us.

The scheme (the receiver's side is documented in the README):

    X-Prospector-Timestamp: <unix seconds when the request was signed>
    X-Prospector-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + body)>

The body is signed as the exact bytes sent (verify before parsing the JSON). The timestamp
is part of the signed string, so a captured request cannot be replayed later with a fresh
timestamp: a receiver checks the signature, then that the timestamp is recent (`verify`
with `now` does both), and dedups on X-Prospector-Delivery for the retries we do make.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="
TOLERANCE_SECONDS = 300  # how old a signed request a receiver accepts by default


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Prospector-Signature value for `body` signed at `timestamp`."""
    if not secret:
        raise ValueError("signing needs a non-empty secret")
    signed = f"{timestamp}.".encode("ascii") + body
    return PREFIX + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: int,
    body: bytes,
    given: str,
    *,
    now: int | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True if `given` signs `body` at `timestamp` (compared in constant time).

    With `now` (unix seconds), a timestamp more than `tolerance` seconds away is refused
    too: that is what makes a replayed request useless.
    """
    if not secret:
        return False
    if now is not None and abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).encode("ascii")
    return hmac.compare_digest(expected, given.encode("utf-8", "replace"))
