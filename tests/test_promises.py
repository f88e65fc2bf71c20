"""Tests of promises: what the README and the shipped files say stays true.

Each test here checks a claim a user reads (a command in the README's table, a key in
config.example.toml, a sequence that validates, the test command) against the code.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import tomllib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import BaseModel

from prospector.cli import app
from prospector.cli.output import EXIT_ERROR, EXIT_INVALID, EXIT_NOT_FOUND
from prospector.config import Config, load_settings
from prospector.domain.rows import FIELDS
from prospector.engine.validation import validate_workspace

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
EXAMPLE = REPO / "config.example.toml"


# --- commands ------------------------------------------------------------------------------


def _commands() -> dict[str, Any]:
    """The commands as click builds them (typer bundles its own click, hence Any)."""
    group: Any = typer.main.get_command(app)
    return {name: group.get_command(None, name) for name in group.list_commands(None)}


def test_there_are_commands() -> None:
    assert {"init", "import", "enroll", "status"} <= set(_commands())


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_has_help(name: str) -> None:
    command = _commands()[name]
    assert (command.help or "").strip(), f"`prospector {name}` has no help text"
    assert (command.short_help or command.help or "").strip()


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_is_in_the_readme_table(name: str) -> None:
    names = set(re.findall(r"^\| `prospector ([a-z-]+)", README, flags=re.MULTILINE))
    assert name in names, f"`prospector {name}` is missing from README.md's command table"


def test_the_readme_table_lists_no_command_that_does_not_exist() -> None:
    rows = re.findall(r"^\| `prospector ([a-z-]+)", README, flags=re.MULTILINE)
    assert set(rows) <= set(_commands())


def test_options_named_in_the_readme_table_exist() -> None:
    checked = []
    for name, rest in re.findall(r"^\| `prospector ([a-z-]+)([^|]*)\|", README, flags=re.M):
        command = _commands()[name]
        words = rest.split()
        subcommands = getattr(command, "commands", {})
        if words and words[0] in subcommands:  # a group: `prospector sandbox reply --from`
            command = subcommands[words[0]]
        opts = {o for p in command.params for o in getattr(p, "opts", ())}
        for option in re.findall(r"--[a-z-]+", rest):
            assert option in opts, f"README: `prospector {name}` has no {option}"
            checked.append(option)
    assert "--dry-run" in checked


def test_the_readme_lists_the_import_fields() -> None:
    paragraph = README[README.index("Fields:") : README.index("Other columns")]
    assert tuple(re.findall(r"`([a-z_]+)`", paragraph)) == FIELDS


def test_the_readme_exit_codes_are_the_codes() -> None:
    line = README[README.index("Exit codes:") :].split("\n\n")[0]
    assert "0 ok" in line and "2 wrong usage" in line
    assert f"{EXIT_ERROR} a problem to fix" in line
    assert f"{EXIT_INVALID} invalid" in line
    assert f"{EXIT_NOT_FOUND} a named sequence" in line


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_options_are_documented(name: str) -> None:
    """Every option a command takes has a help line (the README sends users to --help)."""
    command = _commands()[name]
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden and param.name != "help":
            assert (param.help or "").strip(), f"`prospector {name} {param.opts[0]}` has no help"


# --- config.example.toml -------------------------------------------------------------------


def test_the_example_config_loads() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.config.mailboxes, "the example must be able to send"
    assert settings.config.segments
    assert settings.config.red_flags


_COMMENTED_KEY = re.compile(r"^#\s?(\[\[?[\w.-]+\]\]?\s*$|[A-Za-z_][\w-]*\s*=\s*\S.*$)")


def documented(text: str) -> dict[str, Any]:
    """The example with its commented-out keys and tables (`# tags = []`) switched on.

    A key shown commented out, with its default, documents it as well as a live one:
    that is how alternatives (one red-flag test of six) are shown without applying them.
    """
    lines = []
    for line in text.splitlines():
        match = _COMMENTED_KEY.match(line)
        candidate = match.group(1) if match else None
        if candidate is not None and not candidate.startswith("["):
            try:
                tomllib.loads(candidate)
            except tomllib.TOMLDecodeError:
                candidate = None
        lines.append(candidate if candidate is not None else line)
    return tomllib.loads("\n".join(lines))


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds, and how: "one", "items" (a tuple) or "values" (a dict)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [_model_of(a) for a in args if a is not type(None)]
        return models[0] if len(models) == 1 else (None, "one")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "one"
    if origin is tuple and args and args[-1] is Ellipsis:
        inner, _ = _model_of(args[0])
        return inner, "items"
    if origin is dict and len(args) == 2:
        inner, _ = _model_of(args[1])
        return inner, "values"
    return None, "one"


def _walk(
    model: type[BaseModel], data: Any, path: str
) -> Iterator[tuple[type[BaseModel], str, set[str]]]:
    """(model, path, keys written for it) for every table the data holds, recursively."""
    if not isinstance(data, dict):
        return
    yield model, path, set(data)
    for name, info in model.model_fields.items():
        key = info.alias or name
        inner, how = _model_of(info.annotation)
        if inner is None or key not in data:
            continue
        value = data[key]
        if how == "one":
            yield from _walk(inner, value, f"{path}{key}.")
        elif how == "items" and isinstance(value, list):
            for item in value:
                yield from _walk(inner, item, f"{path}{key}[].")
        elif how == "values" and isinstance(value, dict):
            for sub in value.values():
                yield from _walk(inner, sub, f"{path}{key}.NAME.")


def missing_keys(data: dict[str, Any]) -> list[str]:
    """Keys of each model that appear in none of the tables written for it.

    A model used in several places (a numeric range, a mailbox's two servers, one of many
    segments or red flags) is documented when each of its keys is shown at least once.
    """
    seen: dict[type[BaseModel], set[str]] = {}
    where: dict[type[BaseModel], str] = {}
    for model, path, keys in _walk(Config, data, ""):
        seen.setdefault(model, set()).update(keys)
        where.setdefault(model, path)
    missing = []
    for model, keys in seen.items():
        for name, info in model.model_fields.items():
            key = info.alias or name
            if key not in keys:
                missing.append(f"{where[model]}{key} ({model.__name__}.{name})")
    unreached = _models(Config) - set(seen)
    missing += [f"no table for {model.__name__}" for model in unreached]
    return sorted(missing)


def _models(model: type[BaseModel]) -> set[type[BaseModel]]:
    found = {model}
    for info in model.model_fields.values():
        inner, _ = _model_of(info.annotation)
        if inner is not None and inner not in found:
            found |= _models(inner)
    return found


def test_the_walk_notices_a_missing_key() -> None:
    data = documented(EXAMPLE.read_text(encoding="utf-8"))
    del data["icp"]["weights"]["revenue"]
    del data["import"]["exclude_free_mail"]
    assert missing_keys(data) == [
        "icp.weights.revenue (Weights.revenue)",
        "import.exclude_free_mail (ImportRules.exclude_free_mail)",
    ]


def test_the_example_config_shows_every_key() -> None:
    data = documented(EXAMPLE.read_text(encoding="utf-8"))
    assert missing_keys(data) == [], "config.example.toml does not show these keys"


def test_the_commented_out_examples_are_valid_when_switched_on() -> None:
    config = Config.model_validate(documented(EXAMPLE.read_text(encoding="utf-8")))
    shipped = load_settings(EXAMPLE).config
    assert len(config.red_flags) > len(shipped.red_flags)


@pytest.mark.parametrize("section", ["workspace", "import", "enrolling", "icp.weights"])
def test_the_example_config_shows_the_defaults(section: str) -> None:
    """Tables of settings (not of examples) show each key with its default value."""
    live: Any = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    model: Any = Config
    for part in section.split("."):
        live = live[part]
        field = next(f for n, f in model.model_fields.items() if (f.alias or n) == part)
        model = field.annotation
    different = []
    for name, info in model.model_fields.items():
        shown = live.get(info.alias or name)
        default = getattr(info.default, "value", info.default)  # enums are shown by value
        if shown != default:
            different.append(f"{section}.{name}: shows {shown!r}, the default is {default!r}")
    assert different == []


# --- sequences -----------------------------------------------------------------------------


def test_every_shipped_sequence_validates_against_the_example_config() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.sequences_dir == REPO / "sequences"
    assert sorted(p.stem for p in settings.sequences_dir.glob("*.toml"))
    errors = [str(p) for p in validate_workspace(settings) if p.severity == "error"]
    assert errors == []


def test_every_sequence_file_is_loaded() -> None:
    """A file the catalog skipped would pass validation silently."""
    from prospector.engine.catalog import read_catalog

    catalog = read_catalog(load_settings(EXAMPLE))
    assert set(catalog.sequences) == {p.stem for p in (REPO / "sequences").glob("*.toml")}


# --- the test command and the benchmarks ---------------------------------------------------


def test_ci_runs_the_test_script_and_the_readme_says_so() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert "scripts/test" in commands
    assert "bash .ci/run" in README
    script = (REPO / "scripts" / "test").read_text(encoding="utf-8")
    for tool in ("ruff check", "ruff format --check", "mypy", "lint-imports", "pytest"):
        assert tool in script, tool


def test_bench_modules_import() -> None:
    import bench

    names = [info.name for info in pkgutil.iter_modules(bench.__path__, "bench.")]
    assert names, "bench/ has no modules"
    for name in names:
        module = importlib.import_module(name)
        assert module.__doc__, f"{name} has no docstring saying how to run it"
