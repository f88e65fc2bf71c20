"""`prospector enroll`: start a segment's eligible contacts on a sequence."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.engine.enrolling import enroll


def register(app: typer.Typer) -> None:
    app.command("enroll")(enroll_command)


def enroll_command(
    ctx: typer.Context,
    sequence: str = typer.Argument(..., help="Sequence name (file stem in sequences/)."),
    segment: str | None = typer.Option(None, help="Segment [default: the sequence's own]."),
    limit: int | None = typer.Option(None, min=1, help="Enroll at most N contacts."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Enroll a segment's contacts in a sequence, best ICP fit first.

    Reports how many were skipped and why: excluded (red flag or list hygiene, by rule),
    do-not-contact, suppressed, already enrolled, too many at one account, over --limit.

    Example: prospector enroll referral-ask --limit 50 --dry-run
    """
    workspace = Workspace.open(config_path(ctx.obj))
    report = enroll(
        workspace.engine,
        workspace.settings,
        sequence,
        now=datetime.now(UTC),
        segment_name=segment,
        limit=limit,
        dry_run=dry_run,
    )
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    verb = "would enroll" if dry_run else "enrolled"
    console.print(f"{verb} {report.enrolled} in {report.sequence} (segment {report.segment})")
    for reason, n in report.skipped.most_common():
        console.print(f"  skipped {n}: {reason}")
