"""`prospector import`: a contacts CSV into accounts and contacts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from prospector.cli.output import console, err_console
from prospector.cli.workspace import Workspace, config_path
from prospector.domain.rows import FIELDS
from prospector.engine.importing import ImportReport, import_contacts
from prospector.errors import ContactImportError


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)


def import_command(
    ctx: typer.Context,
    csv_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The CSV to import."),
    map_: list[str] = typer.Option(
        [],
        "--map",
        "-m",
        metavar="COLUMN=FIELD",
        help=f"Read COLUMN as FIELD (repeatable). Fields: {', '.join(FIELDS)}.",
    ),
    source: str = typer.Option("", help="Where the list came from (default: the file name)."),
    rejects: Path | None = typer.Option(
        None, help="Where rejected rows go [default: FILE.rejects.csv beside the CSV]."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import contacts from CSV (UTF-8, with or without BOM; , ; or tab separated).

    Every row is imported or rejected with its row number, column and reason (written
    to the rejects file). Duplicates merge into one contact; importing the same file
    again changes nothing.

    Example: prospector import leads.csv --map "Work Email=email" --source apollo-2026-11
    """
    workspace = Workspace.open(config_path(ctx.obj))
    mapping = _parse_map(map_)
    total = csv_file.stat().st_size
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=as_json or not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("import", total=total)
        report = import_contacts(
            workspace.engine,
            workspace.settings.config,
            csv_file,
            now=datetime.now(UTC),
            mapping=mapping,
            source=source,
            rejects_path=rejects,
            progress=lambda done: bar.update(task, completed=done),
        )
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
    else:
        _print_report(report)


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise ContactImportError(f"--map {pair!r}: write it as COLUMN=FIELD")
        mapping[column.strip()] = field.strip()
    return mapping


def _print_report(report: ImportReport) -> None:
    console.print(
        f"{report.rows} rows: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected} rejected "
        f"({report.duplicates_in_file} duplicate rows merged, "
        f"{report.accounts_created} new accounts)"
    )
    if report.excluded:
        parts = ", ".join(f"{rule} {n}" for rule, n in report.excluded.most_common())
        console.print(f"excluded from segments: {parts}")
    if report.rejects_path:
        console.print(f"rejected rows (with row, column and reason): {report.rejects_path}")
