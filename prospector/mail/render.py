"""Render a plain-text template file into a subject and a body, or say exactly what is wrong.

A template file `templates/NAME.txt` is a tiny email: a `Subject:` line, a blank line,
then the body, all Jinja2. The environment is sandboxed (templates are edited by users,
not programmers) and strict: a variable the contact lacks is an error, never an empty
string, so "Hi ," can never be sent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.sandbox import SandboxedEnvironment

from prospector.errors import Problem, SequenceError

SUFFIX = ".txt"
SUBJECT_PREFIX = "Subject:"
_BODY_OFFSET = 2  # the body starts on line 3 of the file
_UNDEFINED = (
    re.compile(r"'([^']+)' is undefined"),
    re.compile(r"has no attribute '([^']+)'"),
    re.compile(r"has no element '?([^']+?)'?$"),
)
_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_JINJA_FILE = "<template>"


@dataclass(frozen=True)
class Rendered:
    """A rendered template: a one-line subject (maybe empty) and the body text."""

    subject: str
    body: str


def environment(templates_dir: Path) -> SandboxedEnvironment:
    """The one way templates are loaded, so validate, preview and sending agree."""
    return SandboxedEnvironment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def template_names(templates_dir: Path) -> list[str]:
    """Every template in the folder, by name (file name without `.txt`), sorted."""
    if not templates_dir.is_dir():
        return []
    return sorted(path.stem for path in templates_dir.glob(f"*{SUFFIX}") if path.is_file())


def render(source: Path | Environment, name: str, context: Mapping[str, Any]) -> Rendered:
    """Render `NAME.txt`; every failure is a SequenceError naming the file and line."""
    env = source if isinstance(source, Environment) else environment(source)
    text, file = _read(env, name)
    subject_source, body_source = _split(text, file)
    subject = _render_part(env, subject_source, context, file, text, offset=0).strip()
    if "\r" in subject or "\n" in subject:
        raise _error(file, "the subject renders with a line break (not allowed in a header)", 1)
    body = _render_part(env, body_source, context, file, text, offset=_BODY_OFFSET)
    return Rendered(subject=subject, body=body.replace("\r\n", "\n").strip("\n"))


def template_file(env: Environment, name: str) -> str:
    """Where `name` lives, for messages: templates/NAME.txt under the loader's folder."""
    loader = env.loader
    if isinstance(loader, FileSystemLoader) and loader.searchpath:
        return str(Path(loader.searchpath[0]) / f"{name}{SUFFIX}")
    return f"{name}{SUFFIX}"


def _read(env: Environment, name: str) -> tuple[str, str]:
    key = (env, name)
    cached = _SOURCES.get(key)
    if cached is not None and cached[2]():  # still up to date: one stat, no read
        return cached[0], cached[1]
    file = template_file(env, name)
    if env.loader is None:
        raise _error(file, "no template folder configured")
    try:
        text, filename, uptodate = env.loader.get_source(env, f"{name}{SUFFIX}")
    except TemplateNotFound:
        raise _error(file, "template not found") from None
    found = (text.removeprefix("\ufeff"), filename or file)  # editors on Windows add a BOM
    if uptodate is not None:
        _SOURCES[key] = (*found, uptodate)
    return found


# Template sources by (environment, name), with the loader's own freshness check.
_SOURCES: dict[tuple[Environment, str], tuple[str, str, Callable[[], bool]]] = {}


def _split(text: str, file: str) -> tuple[str, str]:
    """First line `Subject: …`, then a blank line, then the body."""
    lines = text.splitlines(keepends=True)
    first = lines[0] if lines else ""
    if not first.lower().startswith(SUBJECT_PREFIX.lower()):
        raise _error(
            file, "the first line must be `Subject: …` (it may be empty for follow-ups)", 1
        )
    if len(lines) > 1 and lines[1].strip():
        raise _error(file, "line 2 must be blank: it separates the subject from the body", 2)
    return first[len(SUBJECT_PREFIX) :].strip(), "".join(lines[2:])


def _render_part(
    env: Environment,
    part: str,
    context: Mapping[str, Any],
    file: str,
    text: str,
    *,
    offset: int,
) -> str:
    try:
        return _compiled(env, part).render(context)
    except TemplateSyntaxError as exc:
        raise _error(file, f"syntax: {exc.message}", offset + exc.lineno) from None
    except UndefinedError as exc:
        name = _undefined_name(exc.message or "")
        line = _failing_line(exc.__traceback__, offset) or _line_naming(text, name)
        shown = _expression(text, line, name)
        raise _error(file, _undefined_message(shown, exc.message), line, shown) from None
    except Exception as exc:  # templates are user code: any failure is theirs to fix
        line = _failing_line(exc.__traceback__, offset)
        raise _error(file, f"cannot render: {exc}", line) from None


@functools.lru_cache(maxsize=256)
def _compiled(env: Environment, source: str) -> Template:
    """Compiling is ~1 ms; a daemon renders the same few templates thousands of times."""
    return env.from_string(source)


def _undefined_name(message: str) -> str | None:
    for pattern in _UNDEFINED:
        match = pattern.search(message)
        if match:
            return match.group(1)
    return None


def _undefined_message(name: str | None, raw: str | None) -> str:
    """Say what is missing in the reader's terms; `referrer` only exists in referral sequences."""
    if name is not None and name.split(".")[0] == "referrer":
        return "`referrer` is not defined: only sequences with `referral = true` have one"
    if name is None:
        return f"undefined value: {raw}"
    return f"`{name}` is not defined for this contact (missing or empty)"


def _failing_line(tb: TracebackType | None, offset: int) -> int | None:
    """Jinja rewrites tracebacks so the template's own frame carries the template line."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _JINJA_FILE:
            line = tb.tb_lineno + offset
        tb = tb.tb_next
    return line


def _expression(text: str, line: int | None, name: str | None) -> str | None:
    """`first_name` becomes `contact.first_name` when that is how the line spells it."""
    if name is None or line is None or not 1 <= line <= len(text.splitlines()):
        return name
    dotted = re.compile(rf"\b((?:\w+\.)*{re.escape(name)})\b")
    for expr in _EXPRESSION.findall(text.splitlines()[line - 1]):
        match = dotted.search(expr)
        if match:
            return match.group(1)
    return name


def _line_naming(text: str, name: str | None) -> int | None:
    """Fallback: the first line whose Jinja expression mentions the variable."""
    if not name:
        return None
    word = re.compile(rf"\b{re.escape(name)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if any(word.search(expr) for expr in _EXPRESSION.findall(line)):
            return number
    return None


def _error(
    file: str, message: str, line: int | None = None, key: str | None = None
) -> SequenceError:
    return SequenceError([Problem(file, message, line=line, key=key)])
