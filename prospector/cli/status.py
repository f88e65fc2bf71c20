"""`prospector status`: counts by state, mailbox health, and what is about to be sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from rich.table import Table
from sqlmodel import Session

from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.engine.upcoming import upcoming
from prospector.store.outbox import all_mailbox_status
from prospector.store.status import counts


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


def status_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
    show_upcoming: bool = typer.Option(
        False, "--upcoming", help="Also list the next sends, in each prospect's send window."
    ),
    limit: int = typer.Option(20, min=1, help="How many upcoming sends to list."),
) -> None:
    """Show contacts, exclusions, enrollments, messages, suppressions and mailboxes.

    Messages "uncertain" were being sent when the daemon stopped: they are never resent
    blindly. A paused mailbox says why and until when.
    """
    workspace = Workspace.open(config_path(ctx.obj))
    now = datetime.now(UTC)
    with Session(workspace.engine) as session:
        found: dict[str, Any] = dict(counts(session))
        mailboxes = [
            {
                "mailbox": m.mailbox,
                "paused_until": m.paused_until.isoformat(),
                "paused_reason": m.paused_reason,
                "failures": m.failures,
            }
            for m in all_mailbox_status(session)
            if m.paused_until is not None and m.paused_until > now
        ]
    next_sends = (
        upcoming(workspace.engine, workspace.settings, now=now, limit=limit)
        if show_upcoming
        else []
    )
    if as_json:
        found["paused_mailboxes"] = mailboxes
        if show_upcoming:
            found["upcoming"] = [u.as_dict() for u in next_sends]
        console.print_json(json.dumps(found))
        return
    for section, values in found.items():
        table = Table(section, "count", box=None)
        for key, n in sorted(values.items()):
            table.add_row(key, str(n))
        if not values:
            table.add_row("(none)", "0")
        console.print(table)
    for mailbox in mailboxes:
        console.print(
            f"mailbox {mailbox['mailbox']} paused until {mailbox['paused_until']}:"
            f" {mailbox['paused_reason']}",
            markup=False,
        )
    if show_upcoming:
        table = Table("send at (UTC)", "prospect's time", "email", "sequence", "step", box=None)
        for u in next_sends:
            table.add_row(f"{u.send_at:%Y-%m-%d %H:%M}", u.local, u.email, u.sequence, str(u.step))
        if not next_sends:
            table.add_row("(nothing scheduled)", "", "", "", "")
        console.print(table)
