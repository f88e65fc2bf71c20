"""`prospector outbox`: messages and enrollments the daemon left for a human, and the fixes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.table import Table

from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.engine import outbox_review

outbox_app = typer.Typer(
    help=(
        "What the daemon could not settle alone: uncertain and failed messages, held"
        " enrollments. Check, then say what happened."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")


@outbox_app.callback()
def list_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """List uncertain, retrying and failed messages and held enrollments, newest first.

    "uncertain": the daemon stopped between handing the message to SMTP and recording the
    answer; look in the mailbox's Sent folder, then run `outbox sent ID` or `outbox resend ID`.
    """
    if ctx.invoked_subcommand is not None:
        return
    workspace = Workspace.open(config_path(ctx.obj))
    items = outbox_review.pending(workspace.engine)
    if as_json:
        console.print_json(json.dumps([item.as_dict() for item in items]))
        return
    table = Table("kind", "id", "state", "email", "sequence", "step", "why", box=None)
    for item in items:
        table.add_row(
            item.kind,
            str(item.id),
            item.state,
            item.email,
            item.sequence,
            str(item.step) if item.step > 0 else "",
            item.reason,
        )
    if not items:
        table.add_row("(nothing waits for you)", "", "", "", "", "", "")
    console.print(table)


@outbox_app.command("sent")
def sent_command(
    ctx: typer.Context,
    message: int = typer.Argument(..., help="Message id from `prospector outbox`."),
) -> None:
    """The message did arrive: record it as sent; its enrollment moves to the next step."""
    workspace = Workspace.open(config_path(ctx.obj))
    outbox_review.mark_sent(workspace.engine, workspace.settings, message, now=datetime.now(UTC))
    console.print(f"message {message} recorded as sent")


@outbox_app.command("resend")
def resend_command(
    ctx: typer.Context,
    message: int = typer.Argument(..., help="Message id from `prospector outbox`."),
) -> None:
    """The message did not arrive: the daemon sends the same bytes (same Message-ID) again."""
    workspace = Workspace.open(config_path(ctx.obj))
    outbox_review.resend(workspace.engine, message, now=datetime.now(UTC))
    console.print(f"message {message} will be sent again on the daemon's next tick")


@outbox_app.command("release")
def release_command(
    ctx: typer.Context,
    enrollment: int = typer.Argument(..., help="Enrollment id from `prospector outbox`."),
) -> None:
    """A held enrollment (e.g. after fixing its template) goes back to sending."""
    workspace = Workspace.open(config_path(ctx.obj))
    outbox_review.release(workspace.engine, enrollment, now=datetime.now(UTC))
    console.print(f"enrollment {enrollment} released: its step is due now (window permitting)")
