"""`prospector export sqls`: accepted hand-offs as CSV or JSON, for a CRM or a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from prospector.cli.workspace import Workspace, config_path
from prospector.store.handoffs import handoff_rows

export_app = typer.Typer(help="Export what prospector produced (accepted SQLs).")

COLUMNS = (
    "id",
    "accepted_at",
    "accepted_by",
    "ae",
    "ae_email",
    "via",
    "task",
    "state",
    "first_name",
    "last_name",
    "email",
    "title",
    "seniority",
    "company",
    "domain",
    "icp_score",
    "potential_users",
)


def _inert(value: object) -> object:
    """A cell a spreadsheet would run as a formula (=, +, -, @ …) is quoted: names and
    titles come from strangers' email (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.callback()
def _group() -> None:
    """Export what prospector produced (accepted SQLs)."""


@export_app.command("sqls")
def sqls_command(
    ctx: typer.Context,
    fmt: str = typer.Option("csv", "--format", help="csv | json"),
    since: str | None = typer.Option(None, help="Only hand-offs from this day (YYYY-MM-DD)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
) -> None:
    """One row per accepted SQL: who, which company, which AE, how it was handed off."""
    if fmt not in ("csv", "json"):
        raise typer.BadParameter("--format is csv or json")
    workspace = Workspace.open(config_path(ctx.obj))
    start = None
    if since:
        try:
            day = date.fromisoformat(since)
        except ValueError as exc:
            raise typer.BadParameter(f"{since!r} is not a date (YYYY-MM-DD)") from exc
        zone = ZoneInfo(workspace.settings.config.workspace.timezone)
        start = datetime.combine(day, time(), tzinfo=zone)
    with workspace.engine.connect() as conn:
        rows = [{k: r[k] for k in COLUMNS} for r in handoff_rows(conn, since=start)]
    for row in rows:
        row["accepted_at"] = row["accepted_at"].isoformat()
    if fmt == "csv":
        rows = [{k: _inert(v) for k, v in row.items()} for row in rows]
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
