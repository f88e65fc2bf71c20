"""`prospector status`: counts of contacts, enrollments and messages by state."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from sqlmodel import Session

from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.store.status import counts


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


def status_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Show contacts, exclusions, enrollments, messages and suppressions by state."""
    workspace = Workspace.open(config_path(ctx.obj))
    with Session(workspace.engine) as session:
        found = counts(session)
    if as_json:
        console.print_json(json.dumps(found))
        return
    for section, values in found.items():
        table = Table(section, "count", box=None)
        for key, n in sorted(values.items()):
            table.add_row(key, str(n))
        if not values:
            table.add_row("(none)", "0")
        console.print(table)
