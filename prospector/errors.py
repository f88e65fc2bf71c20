"""The one error tree: every message here is written for the SDR who reads it."""

from __future__ import annotations

from dataclasses import dataclass


class ProspectorError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One finding of validation, located as precisely as the source allows."""

    file: str
    message: str
    line: int | None = None
    key: str | None = None
    severity: str = "error"  # "error" blocks sending; "warning" is advice

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.severity}: {self.message}"


class InvalidError(ProspectorError):
    """One or more problems found in config, sequences or templates."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(InvalidError):
    """The config file cannot be used."""


class SequenceError(InvalidError):
    """A sequence or one of its templates cannot be used."""


class ContactImportError(ProspectorError):
    """A contacts file cannot be read at all (rows with problems are rejected, not raised)."""


class NotFoundError(ProspectorError):
    """A named thing (sequence, segment, contact) does not exist."""


class ConflictError(ProspectorError):
    """Someone else decided this first (an inbox item); nothing was changed."""
