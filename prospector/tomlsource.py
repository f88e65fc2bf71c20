"""Read TOML with positions, so every problem can name its file, line and key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prospector.errors import Problem

_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\".' ]+?)\s*=")
_ERROR_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class TomlSource:
    """A parsed TOML document that still knows where each key was written."""

    path: Path
    text: str
    data: dict[str, Any]

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Best-effort line of a pydantic location path such as ("steps", 1, "template")."""
        return _locate(self.text.splitlines(), [str(p) for p in loc])


def load_toml(path: Path) -> TomlSource:
    """Parse `path`; a syntax error becomes a Problem with the line tomllib reports."""
    from prospector.errors import InvalidError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidError([Problem(str(path), f"cannot read: {exc.strerror}")]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _ERROR_LINE.search(str(exc))
        line = int(match.group(1)) if match else None
        raise InvalidError([Problem(str(path), f"TOML syntax: {exc}", line=line)]) from exc
    return TomlSource(path, text, data)


def dotted(loc: Sequence[str | int]) -> str:
    """("steps", 1, "template") -> "steps[1].template", as users write it."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _clean(key: str) -> str:
    return key.strip().strip('"').strip("'")


def _locate(lines: list[str], loc: list[str]) -> int | None:
    """Walk table headers and keys; array-of-tables indices are counted by occurrence."""
    best: int | None = None
    depth = -1
    table: list[str] = []
    counts: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        header = _TABLE.match(raw)
        if header and not raw.lstrip().startswith("#"):
            names = [_clean(p) for p in header.group(1).split(".")]
            table = list(names)
            if raw.lstrip().startswith("[["):
                key = ".".join(names)
                counts[key] = counts.get(key, -1) + 1
                table = [*names[:-1], names[-1], str(counts[key])]
            if _is_prefix(table, loc) and len(table) >= depth:
                best, depth = number, len(table)
            continue
        key_match = _KEY.match(raw)
        if key_match and not raw.lstrip().startswith("#"):
            parts = [_clean(p) for p in key_match.group(1).split(".")]
            full = table + parts
            if _is_prefix(full, loc) and len(full) >= depth:
                best, depth = number, len(full)
    return best


def _is_prefix(candidate: list[str], loc: list[str]) -> bool:
    """True when candidate names loc or one of its ancestors (so a parent line is a fallback)."""
    return len(candidate) <= len(loc) and candidate == loc[: len(candidate)]
