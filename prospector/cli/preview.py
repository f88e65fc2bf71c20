"""`prospector preview`: print the exact message one contact would get at one step."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from prospector.cli.workspace import Workspace, config_path
from prospector.engine.preview import preview


def register(app: typer.Typer) -> None:
    """Add `preview` to the app."""
    app.command("preview")(preview_command)


def preview_command(
    ctx: typer.Context,
    sequence: str = typer.Argument(..., help="Sequence name (file stem in sequences/)."),
    contact: str = typer.Option(..., "--contact", help="The contact's email address."),
    step: int = typer.Option(1, "--step", min=1, help="Which email: 1 is the first."),
) -> None:
    """Print the message (headers and body) as it would be sent; nothing is sent or recorded.

    Follow-ups show their thread headers (Re: subject, In-Reply-To, References) with
    placeholder Message-IDs; real ones are fixed when the message is sent.

    Example: prospector preview referral-ask --contact maria.lopez@brightwave-saas.com --step 2
    """
    workspace = Workspace.open(config_path(ctx.obj))
    message = preview(
        workspace.engine, workspace.settings, sequence, contact, step - 1, now=datetime.now(UTC)
    )
    typer.echo(message.as_string(), nl=False)
