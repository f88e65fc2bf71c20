"""Sorting inbound replies: bounces, automatic replies and what people meant.

Pure: bytes in, a `Classification` out, no I/O. `classify` is the entry point.
"""

from prospector.domain.replies.classify import (
    CATEGORIES,
    REVIEW_THRESHOLD,
    Classification,
    classify,
    classify_parsed,
)
from prospector.domain.replies.people import Person

__all__ = [
    "CATEGORIES",
    "REVIEW_THRESHOLD",
    "Classification",
    "Person",
    "classify",
    "classify_parsed",
]
