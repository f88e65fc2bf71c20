"""The `prospector` command: thin Typer commands over the engine and the store."""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from prospector.cli.output import (
    EXIT_CONFLICT,
    EXIT_ERROR,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    err_console,
)
from prospector.errors import ConflictError, InvalidError, NotFoundError, ProspectorError

# Command -> the module under prospector/cli that registers it, in `--help` order. A
# command's module (and what it imports: the database layer, the mail servers, the
# screen) loads only when that command runs, so every command starts quickly.
COMMANDS: dict[str, str] = {
    "init": "init",
    "validate": "validate",
    "import": "contacts",
    "segments": "segments",
    "segment": "segments",
    "enroll": "enroll",
    "preview": "preview",
    "run": "run",
    "status": "status",
    "outbox": "outbox",
    "classify": "replies",
    "replies": "replies",
    "reclassify": "replies",
    "inbox": "inbox",
    "export": "export",
    "sandbox": "sandbox",
}


class _Group(TyperGroup):
    """Loads each command on demand, and turns user-fixable errors into named exit codes."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module = COMMANDS.get(cmd_name)
        return None if module is None else _commands_of(module).get(cmd_name)

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
        except ConflictError as exc:
            err_console.print(f"conflict: {exc}", markup=False)
            raise typer.Exit(EXIT_CONFLICT) from exc
        except ProspectorError as exc:
            err_console.print(f"error: {exc}", markup=False)
            raise typer.Exit(EXIT_ERROR) from exc


@functools.cache
def _commands_of(module: str) -> dict[str, Any]:
    """The click commands one module registers (it is imported here, on first use)."""
    holder = typer.Typer()
    importlib.import_module(f"prospector.cli.{module}").register(holder)
    return dict(typer.main.get_group(holder).commands)


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


def main() -> None:
    """Console-script entry point."""
    app()
