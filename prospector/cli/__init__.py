"""The `prospector` command: thin Typer commands over the engine and the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from prospector.cli import (
    contacts,
    enroll,
    export,
    inbox,
    init,
    outbox,
    preview,
    replies,
    run,
    sandbox,
    segments,
    status,
    validate,
)
from prospector.cli.output import (
    EXIT_CONFLICT,
    EXIT_ERROR,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    err_console,
)
from prospector.engine.inbox import Conflict
from prospector.errors import InvalidError, NotFoundError, ProspectorError


class _Group(TyperGroup):
    """Catches user-fixable errors in one place and turns them into named exit codes."""

    def invoke(self, ctx: Any) -> Any:  # typer bundles its own click: Any spans both
        try:
            return super().invoke(ctx)
        except InvalidError as exc:
            for problem in exc.problems:
                err_console.print(str(problem), markup=False)
            raise typer.Exit(EXIT_INVALID) from exc
        except NotFoundError as exc:
            err_console.print(f"error: {exc}", markup=False)
            raise typer.Exit(EXIT_NOT_FOUND) from exc
        except Conflict as exc:
            err_console.print(f"conflict: {exc}", markup=False)
            raise typer.Exit(EXIT_CONFLICT) from exc
        except ProspectorError as exc:
            err_console.print(f"error: {exc}", markup=False)
            raise typer.Exit(EXIT_ERROR) from exc


app = typer.Typer(
    name="prospector",
    cls=_Group,
    help=(
        "Outbound referral-ask prospecting: import contacts, segment them, run email "
        "sequences in each prospect's send window, and review the replies."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="Config file [default: $PROSPECTOR_CONFIG or ./config.toml].",
        dir_okay=False,
    ),
) -> None:
    ctx.obj = config


for module in (
    init,
    validate,
    contacts,
    segments,
    enroll,
    preview,
    run,
    status,
    outbox,
    replies,
    inbox,
    export,
    sandbox,
):
    module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
