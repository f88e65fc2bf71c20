"""Check a rendered message against the method: short, plain, one question, opt-out and address.

Each warning starts with a stable kebab-case id ("many-questions: …") so tests, docs
and users can refer to a rule without quoting its prose. Lint never blocks sending:
these are advice, and `prospector validate --strict` is how a team makes them binding.
"""

from __future__ import annotations

import re

SIGNATURE_SEPARATOR = "\n-- \n"

_QUESTION = re.compile("[?\uff1f]+")  # ASCII and full-width question marks
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,7});")
_LINK = re.compile(r"\b(https?://|www\.)\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def lint_message(
    subject: str,
    body: str,
    *,
    opt_out: str,
    postal_address: str,
    max_words: int = 120,
    max_chars: int = 900,
    max_subject: int = 60,
) -> list[str]:
    """All warnings for one message; `body` is the final text, footer included."""
    text = main_text(body)
    return [
        *_subject_warnings(subject, max_subject),
        *_question_warnings(text),
        *_html_warnings(text),
        *_link_warnings(text),
        *_length_warnings(text, max_words, max_chars),
        *_footer_warnings(body, "missing-opt-out", "an opt-out sentence", "opt_out", opt_out),
        *_footer_warnings(
            body, "missing-postal-address", "a postal address", "postal_address", postal_address
        ),
    ]


def main_text(body: str) -> str:
    """What the prospect reads as the note: no signature footer, no quoted lines."""
    note = body.split(SIGNATURE_SEPARATOR, 1)[0]
    if note.startswith("-- \n"):
        note = ""
    kept = [line for line in note.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()


def _subject_warnings(subject: str, limit: int) -> list[str]:
    """Phones cut long subjects, and an empty one looks like spam."""
    if not subject.strip():
        return ["empty-subject: the subject is empty; write a short, specific one"]
    if len(subject) > limit:
        return [f"long-subject: {len(subject)} characters; keep it to {limit} or fewer"]
    return []


def _question_warnings(text: str) -> list[str]:
    """One question is easy to answer from a phone; several get no answer at all."""
    count = len(_QUESTION.findall(text))
    if count > 1:
        return [f"many-questions: {count} questions; ask one"]
    return []


def _html_warnings(text: str) -> list[str]:
    """Markup in a plain-text note shows up raw and reads like a mass mailing."""
    found = [m.group(0) for m in (_TAG.search(text), _ENTITY.search(text)) if m]
    if found:
        return [f"html: {found[0]!r} looks like HTML; write plain text"]
    return []


def _link_warnings(text: str) -> list[str]:
    """Links hurt deliverability and turn a question into a pitch."""
    match = _LINK.search(text)
    if match:
        return [f"link: {match.group(0)!r}; leave links out of a first-touch note"]
    return []


def _length_warnings(text: str, max_words: int, max_chars: int) -> list[str]:
    """A note has to fit on a phone screen to be read, let alone answered."""
    words, chars = len(text.split()), len(text)
    if words > max_words or chars > max_chars:
        return [
            f"too-long: {words} words, {chars} characters; keep it under "
            f"{max_words} words and {max_chars} characters so it reads on a phone"
        ]
    return []


def _footer_warnings(body: str, rule: str, what: str, key: str, expected: str) -> list[str]:
    """The law (CAN-SPAM, GDPR/PECR) wants both in every message; compare ignoring wrapping."""
    if not expected.strip():
        return [f"{rule}: sender.{key} is empty in the config; every message needs {what}"]
    if _flat(expected) not in _flat(body):
        return [f"{rule}: the message does not contain {what} as configured (sender.{key})"]
    return []


def _flat(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
