"""`prospector sandbox reply`: play a prospect answering, in the local sandbox mailbox."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import getaddresses, parseaddr
from pathlib import Path

import typer

from prospector.adapters.sandbox import Sandbox, reply_to
from prospector.cli.output import console
from prospector.cli.workspace import config_path
from prospector.config import load_settings
from prospector.errors import NotFoundError

sandbox_app = typer.Typer(help="The local sandbox mail servers of `prospector run --sandbox`.")


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("reply")
def reply_command(
    ctx: typer.Context,
    to: str = typer.Option(..., "--from", help="The prospect who answers (their address)."),
    body: str = typer.Option(..., "--body", help="What they write back."),
) -> None:
    """Answer the last sandbox email a prospect received, as they would: the reply lands in
    the sending mailbox's INBOX, where the next `prospector run --sandbox` reads it.

    Example: prospector sandbox reply --from maria.lopez@brightwave-saas.com
    --body "Talk to Jane Smith, jane.smith@brightwave-saas.com"
    """
    settings = load_settings(config_path(ctx.obj))
    root = settings.base_dir / "sandbox"
    addresses = [m.address for m in settings.config.mailboxes]
    box = Sandbox(root, mailboxes=addresses)
    original = _last_to(box.delivered(), to)
    if original is None:
        raise NotFoundError(
            f"no sandbox email to {to} yet (run `prospector run --sandbox --once` first)"
        )
    raw = original.read_bytes()
    sender = parseaddr(str(message_from_bytes(raw, policy=policy.default)["From"]))[1]
    box.drop_reply(sender, reply_to(raw, body=body))
    console.print(f"{to} replied to {original.name}; it waits in {sender}'s sandbox INBOX")


def _last_to(files: list[Path], address: str) -> Path | None:
    wanted = address.strip().lower()
    for path in reversed(files):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        recipients = [a.lower() for _, a in getaddresses([str(message.get("To", ""))])]
        if wanted in recipients:
            return path
    return None
