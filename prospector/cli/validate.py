"""`prospector validate`: check config, sequences and templates before anything is sent."""

from __future__ import annotations

import typer

from prospector.cli.output import EXIT_INVALID, console
from prospector.cli.workspace import config_path
from prospector.config import load_settings
from prospector.engine.validation import Validation, check_workspace


def register(app: typer.Typer) -> None:
    """Add `validate` to the app."""
    app.command("validate")(validate_command)


def validate_command(
    ctx: typer.Context,
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too (for CI)."),
) -> None:
    """Check config, every sequence and every template; print every problem, not only the first.

    Each template is rendered against a sample contact, composed as it would be sent, and
    checked against the method (one question, short, plain text, opt-out and address).
    Exits 3 when an error is found (or any warning, with --strict).

    Example: prospector validate --strict
    """
    result = check_workspace(load_settings(config_path(ctx.obj)))
    for problem in result.problems:
        console.print(str(problem), markup=False)
    console.print(summary(result), markup=False)
    if result.errors or (strict and result.warnings):
        # Already printed above; exit with the code the CLI uses for InvalidError, without
        # raising it, so each problem is shown once.
        raise typer.Exit(EXIT_INVALID)


def summary(result: Validation) -> str:
    """ "2 sequences, 5 templates: 0 errors, 1 warning"."""
    return (
        f"{_count(result.sequences, 'sequence')}, {_count(result.templates, 'template')}: "
        f"{_count(len(result.errors), 'error')}, {_count(len(result.warnings), 'warning')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
