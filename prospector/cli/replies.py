"""`prospector classify`, `prospector replies`, `prospector reclassify`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.domain.replies import classify
from prospector.engine.resorting import resort
from prospector.errors import NotFoundError
from prospector.store import inbound


def register(app: typer.Typer) -> None:
    app.command("classify")(classify_command)
    app.command("replies")(replies_command)
    app.command("reclassify")(reclassify_command)


def classify_command(
    files: list[Path] = typer.Argument(..., help="Message files (.eml, raw RFC 5322)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file, in a list."),
    domain: list[str] = typer.Option(
        [], "--our-domain", help="A domain whose addresses are ours (repeatable)."
    ),
) -> None:
    """Sort message files without touching any database: category, confidence, evidence
    and the fields found (failed recipients, hard/soft, return date, referrals, reason,
    visible text). The JSON shape is documented in docs/classification.md.

    Example: prospector classify reply.eml --json
    """
    results = []
    for path in files:
        if not path.is_file():
            raise NotFoundError(f"no such file: {path}")
        verdict = classify(path.read_bytes(), our_domains=domain)
        results.append({"file": str(path), **verdict.as_json()})
    if as_json:
        console.print_json(json.dumps(results, ensure_ascii=False))
        return
    for result in results:
        console.print(
            f"{result['file']}: {result['category']} ({result['confidence']})", markup=False
        )
        for line in result["evidence"]:  # type: ignore[attr-defined]
            console.print(f"  - {line}", markup=False)


def replies_command(
    ctx: typer.Context,
    limit: int = typer.Option(30, min=1, help="How many, newest first."),
    category: str | None = typer.Option(None, help="Only this category (e.g. referral)."),
    as_json: bool = typer.Option(False, "--json", help="Print them as JSON."),
) -> None:
    """List recent replies with their category, evidence and what prospector did."""
    workspace = Workspace.open(config_path(ctx.obj))
    with workspace.engine.connect() as conn:
        found = inbound.recent_replies(conn, limit=limit, category=category)
    if as_json:
        rows = [
            {
                "id": r.id,
                "at": r.created_at.isoformat(),
                "mailbox": r.mailbox,
                "from": r.from_address,
                "subject": r.subject,
                "category": r.category,
                "confidence": r.confidence,
                "action": r.action,
                "evidence": json.loads(r.evidence or "{}").get("evidence", []),
            }
            for r in found
        ]
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("id", "at (UTC)", "from", "category", "action", box=None)
    for r in found:
        table.add_row(
            str(r.id), f"{r.created_at:%Y-%m-%d %H:%M}", r.from_address, r.category, r.action
        )
    if not found:
        table.add_row("(no replies yet)", "", "", "", "")
    console.print(table)


def reclassify_command(
    ctx: typer.Context,
    ids: list[int] = typer.Argument(None, help="Reply ids [default: every stored reply]."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Sort stored replies again after a rule change; actions already taken are not redone,
    and a reply whose category changed goes to review."""
    workspace = Workspace.open(config_path(ctx.obj))
    report = resort(workspace.engine, workspace.settings, now=datetime.now(UTC), ids=ids or None)
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    console.print(f"sorted {report.checked} again; {len(report.changed)} changed category")
    for message_row, was, now in report.changed:
        console.print(f"  {message_row}: {was} -> {now} (needs review)")
