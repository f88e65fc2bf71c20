"""Sequences as data: the ordered steps one prospect receives, parsed from a TOML table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from prospector.domain.windows import SendWindow

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TEMPLATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TEMPLATE_SUFFIX = ".txt"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Model):
    """One email. `wait_days` counts business days, so a Friday step never lands on Monday."""

    template: str
    wait_days: int = Field(default=0, ge=0)
    new_thread: bool = False

    @field_validator("template")
    @classmethod
    def _template_name(cls, value: str) -> str:
        """Names stay inside templates/: a path or `..` could read any file on the host."""
        name = value.removesuffix(TEMPLATE_SUFFIX)
        if not _TEMPLATE.match(name) or ".." in name:
            raise ValueError(
                f"template {value!r} must be a file name in templates/ "
                "(letters, digits, _ - .), without a folder"
            )
        return name


class Sequence(_Model):
    """A named series of steps; the name is the file stem so files and commands agree."""

    name: str
    description: str = ""
    segment: str | None = None
    mailboxes: tuple[str, ...] = ()
    referral: bool = False
    window: SendWindow | None = None  # None: the config's [sending.window]
    steps: tuple[Step, ...]

    @field_validator("name")
    @classmethod
    def _name_is_stem(cls, value: str, info: ValidationInfo) -> str:
        """A `name` that differs from the file name would make `enroll NAME` find nothing."""
        stem = info.context.get("stem") if isinstance(info.context, dict) else None
        if stem is not None and value != stem:
            raise ValueError(
                f"name {value!r} differs from the file name {stem!r}; "
                "remove the key or rename the file"
            )
        if not _NAME.match(value):
            raise ValueError(
                f"sequence name {value!r} must use lowercase letters, digits, - or _ "
                "(it is the file name without .toml)"
            )
        return value

    @field_validator("mailboxes")
    @classmethod
    def _unique_mailboxes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        duplicates = sorted({m for m in value if value.count(m) > 1})
        if duplicates:
            raise ValueError(f"mailbox {duplicates[0]!r} is listed twice")
        return value

    @field_validator("steps")
    @classmethod
    def _some_steps(cls, value: tuple[Step, ...]) -> tuple[Step, ...]:
        """Checked after the steps parse, so one bad step is not also reported as "no steps"."""
        if not value:
            raise ValueError("a sequence needs at least one [[steps]] entry")
        return value

    @property
    def templates(self) -> tuple[str, ...]:
        """Template names in step order, without repeats."""
        return tuple(dict.fromkeys(step.template for step in self.steps))


def parse_sequence(stem: str, data: Mapping[str, Any]) -> Sequence:
    """Validate a TOML table read from `<stem>.toml`; raises pydantic's ValidationError.

    The name defaults to the stem; a `name` key may repeat it but never contradict it.
    """
    return Sequence.model_validate({"name": stem, **data}, context={"stem": stem})


def thread_start(sequence: Sequence, index: int) -> int:
    """Index of the step that opened the thread step `index` belongs to.

    Follow-ups reply in the thread of the first email ("Re: …"), unless a step sets
    `new_thread`, which opens a new thread for itself and the steps after it.
    """
    if not 0 <= index < len(sequence.steps):
        raise IndexError(f"step {index} is outside {sequence.name!r}")
    for candidate in range(index, 0, -1):
        if sequence.steps[candidate].new_thread:
            return candidate
    return 0
