"""`prospector segments` and `prospector segment NAME`: who is in each target group."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from typing import Any

import typer
from rich.table import Table
from sqlmodel import Session

from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.engine.enrolling import find_segment
from prospector.store import segments as store


def register(app: typer.Typer) -> None:
    app.command("segments")(list_segments)
    app.command("segment")(show_segment)


def list_segments(ctx: typer.Context) -> None:
    """List the segments defined in the config, with how many contacts each holds now."""
    workspace = Workspace.open(config_path(ctx.obj))
    table = Table("segment", "members", "description", box=None)
    with Session(workspace.engine) as session:
        for name, segment in sorted(workspace.settings.config.segments.items()):
            table.add_row(name, str(store.count(session, segment)), segment.description)
    console.print(table)


def show_segment(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Segment name from the config."),
    limit: int | None = typer.Option(None, help="Show at most this many members."),
    as_json: bool = typer.Option(False, "--json", help="One JSON array of members."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV on stdout (for spreadsheets)."),
) -> None:
    """List a segment's members, best ICP fit first.

    Example: prospector segment saas-leaders --csv > saas-leaders.csv
    """
    workspace = Workspace.open(config_path(ctx.obj))
    segment = find_segment(workspace.settings, name)
    with Session(workspace.engine) as session:
        rows = store.members(session, segment, limit=limit)
        if as_json:
            json.dump([dict(r) for r in rows], sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        elif as_csv:
            writer = csv.writer(sys.stdout)
            writer.writerow([c.name for c in store.MEMBER_COLUMNS])
            writer.writerows(list(r.values()) for r in rows)
        else:
            _print_table(rows)


def _print_table(rows: Iterable[Any]) -> None:
    table = Table("email", "name", "title", "company", "country", "icp", box=None)
    shown = 0
    for row in rows:
        name = f"{row['first_name']} {row['last_name']}".strip()
        table.add_row(
            row["email"], name, row["title"], row["company"], row["country"], str(row["icp_score"])
        )
        shown += 1
    console.print(table)
    console.print(f"{shown} contacts")
