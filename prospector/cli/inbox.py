"""`prospector inbox`: the review screen, and a scriptable twin for each of its actions."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.engine.inbox import ItemView, ReviewQueue
from prospector.store.inbox import LANES, QueueEntry

inbox_app = typer.Typer(
    help=(
        "Replies that need a person: SQL candidates, replies to review, referrals, snoozed"
        " items due again. Without a subcommand, opens the review screen."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)

VERSION_HELP = "Decide only if the item is still at this version (as shown by `show`)."


def register(app: typer.Typer) -> None:
    app.add_typer(inbox_app, name="inbox")


def _service(ctx: typer.Context, actor: str | None = None) -> ReviewQueue:
    workspace = Workspace.open(config_path(ctx.obj))
    return ReviewQueue(workspace.engine, workspace.settings, actor=actor)


@inbox_app.callback()
def screen_command(ctx: typer.Context) -> None:
    """Open the keyboard-driven review screen (press ? in it for the keys)."""
    if ctx.invoked_subcommand is not None:
        return
    from prospector.cli.inbox_app import run_app  # Textual loads only for the screen

    run_app(_service(ctx))


@inbox_app.command("list")
def list_command(
    ctx: typer.Context,
    lane: str | None = typer.Option(None, help=f"Only this lane ({', '.join(LANES)})."),
    limit: int = typer.Option(50, min=1, help="At most this many per lane, best first."),
    as_json: bool = typer.Option(False, "--json", help="Print the items as JSON."),
) -> None:
    """List what waits for a decision, lane by lane, best first."""
    service = _service(ctx)
    now = datetime.now(UTC)
    lanes = [lane] if lane else list(LANES)
    found = {name: service.page(name, now=now, limit=limit) for name in lanes}
    if as_json:
        rows = [_entry_json(e) for name in lanes for e in found[name]]
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    counts = service.counts(now)
    for name in lanes:
        console.print(f"[bold]{name}[/bold] ({counts[name]})")
        table = Table("id", "who", "company", "reply", "why", box=None)
        for entry in found[name]:
            table.add_row(
                *_plain(str(entry.id), entry.name, entry.company, entry.category, entry.why)
            )
        if not found[name]:
            table.add_row("(empty)", "", "", "", "")
        console.print(table)


@inbox_app.command("show")
def show_command(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="The item's id (from `inbox list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the item as JSON."),
    raw: bool = typer.Option(False, "--raw", help="Print the reply's raw message instead."),
) -> None:
    """The item: the checklist, the thread (quotes and signatures folded) and the evidence."""
    service = _service(ctx)
    if raw:
        sys.stdout.buffer.write(service.raw(item_id))
        return
    view = service.view(item_id)
    if as_json:
        console.print_json(json.dumps(view_json(view), ensure_ascii=False, default=str))
        return
    for line in render_view(view):
        console.print(line, markup=False)


@inbox_app.command("accept")
def accept_command(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="The item's id."),
    ae: str | None = typer.Option(None, help="The AE's name [default: the least loaded]."),
    via: str | None = typer.Option(
        None, help="intro (email, AE in copy) | call | transfer [default: handoff.via]."
    ),
    users: int | None = typer.Option(None, min=0, help="Potential users, if you learnt it."),
    draft: bool = typer.Option(
        False, "--draft", help="Only print the intro email; change nothing."
    ),
    version: int | None = typer.Option(None, help=VERSION_HELP),
    actor: str | None = typer.Option(None, "--as", help="Your name [default: inbox.rep, login]."),
) -> None:
    """Hand the lead to an AE: Opportunity, the account's sequences stopped, a task, and the
    intro email and/or webhook."""
    service = _service(ctx, actor)
    now = datetime.now(UTC)
    if draft:
        found = service.draft(item_id, ae=ae, now=now)
        console.print(f"From: {found.mailbox.name} <{found.mailbox.address}>", markup=False)
        console.print(f"To: {found.to_name} <{found.to_address}>", markup=False)
        console.print(f"Cc: {found.cc[0]} <{found.cc[1]}>", markup=False)
        console.print(f"Subject: {found.subject}\n\n{found.body}", markup=False)
        return
    done = service.accept(item_id, now=now, ae=ae, via=via, users=users, version=version)
    parts = [f"accepted item {item_id}: hand-off {done.handoff_id} to {done.ae} via {done.via}"]
    if done.intro_message is not None:
        parts.append(f"intro email queued (message {done.intro_message})")
    if done.webhook:
        parts.append("webhook queued")
    console.print("; ".join(parts), markup=False)


@inbox_app.command("reject")
def reject_command(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="The item's id."),
    reason: str = typer.Option(
        ..., help="not_a_fit | no_authority | too_small | not_interested | duplicate"
    ),
    version: int | None = typer.Option(None, help=VERSION_HELP),
    actor: str | None = typer.Option(None, "--as", help="Your name [default: inbox.rep, login]."),
) -> None:
    """Not an SQL, with the reason (kept, and the person's stage set to match)."""
    service = _service(ctx, actor)
    service.reject(item_id, reason=reason, now=datetime.now(UTC), version=version)
    console.print(f"rejected item {item_id} ({reason})", markup=False)


@inbox_app.command("snooze")
def snooze_command(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="The item's id."),
    until: str = typer.Option(..., help="The day it comes back (YYYY-MM-DD)."),
    nurture: bool = typer.Option(False, help="Also nurture the person until then."),
    version: int | None = typer.Option(None, help=VERSION_HELP),
    actor: str | None = typer.Option(None, "--as", help="Your name [default: inbox.rep, login]."),
) -> None:
    """Put it away until a day; it comes back in the snoozed lane."""
    service = _service(ctx, actor)
    day = _day(until)
    service.snooze(item_id, until=day, nurture=nurture, now=datetime.now(UTC), version=version)
    console.print(f"snoozed item {item_id} until {day}", markup=False)


@inbox_app.command("reclassify")
def reclassify_command(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="The item's id."),
    category: str = typer.Argument(..., help="interested, not_now, not_interested, …"),
    version: int | None = typer.Option(None, help=VERSION_HELP),
    actor: str | None = typer.Option(None, "--as", help="Your name [default: inbox.rep, login]."),
) -> None:
    """Set the right category; its actions then apply (as if the sorter had said so)."""
    service = _service(ctx, actor)
    done = service.reclassify(item_id, category=category, now=datetime.now(UTC), version=version)
    console.print(f"item {item_id} is now {category}: {done}", markup=False)


@inbox_app.command("referral")
def referral_command(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="The item's id."),
    email: str = typer.Option(..., help="The person's address."),
    name: str = typer.Option("", help="Their name."),
    title: str = typer.Option("", help="Their title."),
    version: int | None = typer.Option(None, help=VERSION_HELP),
    actor: str | None = typer.Option(None, "--as", help="Your name [default: inbox.rep, login]."),
) -> None:
    """Turn a person the reply named into a prospect, in the referral sequence."""
    service = _service(ctx, actor)
    done = service.refer(
        item_id, email=email, name=name, title=title, now=datetime.now(UTC), version=version
    )
    console.print(f"item {item_id}: {done}", markup=False)


@inbox_app.command("history")
def history_command(
    ctx: typer.Context,
    item_id: int | None = typer.Argument(None, help="Only this item's person."),
    limit: int = typer.Option(50, min=1, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print them as JSON."),
) -> None:
    """Every decision and hand-off: who, when, what."""
    rows = _service(ctx).history(limit=limit, item_id=item_id)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table("at (UTC)", "who", "what", "contact", "details", box=None)
    for row in rows:
        table.add_row(
            *_plain(
                f"{row['at']:%Y-%m-%d %H:%M}",
                row["actor"],
                row["kind"],
                str(row["contact_id"] or ""),
                row["data"],
            )
        )
    if not rows:
        table.add_row("(no decisions yet)", "", "", "", "")
    console.print(table)


@inbox_app.command("handoffs")
def handoffs_command(
    ctx: typer.Context,
    ae: str | None = typer.Option(None, help="Only this AE's."),
    all_: bool = typer.Option(False, "--all", help="Done ones too [default: open only]."),
    as_json: bool = typer.Option(False, "--json", help="Print them as JSON."),
) -> None:
    """The AEs' tasks: each accepted SQL, who has it, and what they are asked to do."""
    rows = _service(ctx).handoffs(open_only=not all_, ae=ae)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table("id", "accepted (UTC)", "AE", "via", "task", "state", "webhook", box=None)
    for row in rows:
        table.add_row(
            *_plain(
                str(row["id"]),
                f"{row['accepted_at']:%Y-%m-%d %H:%M}",
                row["ae"],
                row["via"],
                row["task"],
                row["state"],
                row["webhook_state"] or "-",
            )
        )
    if not rows:
        table.add_row("(no hand-offs)", "", "", "", "", "", "")
    console.print(table)


@inbox_app.command("done")
def done_command(
    ctx: typer.Context,
    handoff_id: int = typer.Argument(..., help="The hand-off's id (from `inbox handoffs`)."),
    actor: str | None = typer.Option(None, "--as", help="Your name [default: inbox.rep, login]."),
) -> None:
    """Mark an AE's task done: it stops counting toward their load this week."""
    _service(ctx, actor).finish(handoff_id, now=datetime.now(UTC))
    console.print(f"hand-off {handoff_id} is done", markup=False)


# --- shared with the screen -----------------------------------------------------------------

MARKS = {"green": "✓", "red": "✗", "unknown": "?"}


def render_view(view: ItemView) -> list[str]:
    """The item as plain lines, for `show` (the screen draws the same parts in colour)."""
    person, item = view.person, view.item
    confidence = f", {view.confidence:.2f}" if view.confidence is not None else ""
    lines = [
        f"#{item.id} [{item.lane}, {item.state}, version {item.version}] {item.why}",
        f"{person.name} <{person.email}> — {person.title or 'no title'}, {person.company}",
        f"reply: {view.category}{confidence}",
        "",
        "checklist:",
    ]
    for line in view.checklist:
        lines.append(f"  {MARKS[line.status.value]} {line.label}: {line.reason}")
        if line.highlight:
            lines.append(f'      "{line.highlight}"')
    for referral in view.referrals:
        lines.append(f"  referral: {referral.get('name') or ''} {referral.get('email') or ''}")
    lines += ["", "thread:"]
    for entry in view.thread:
        arrow = "→ we wrote" if entry.direction == "out" else "← they wrote"
        lines.append(f"  {entry.at:%Y-%m-%d %H:%M} {arrow} ({entry.note}): {entry.subject}")
        lines += [f"    {text}" for text in entry.text.splitlines()]
    if view.handoff:
        h = view.handoff
        lines += ["", f"hand-off {h['id']}: {h['ae']} via {h['via']} — {h['task']}"]
    return lines


def view_json(view: ItemView) -> dict[str, Any]:
    item = view.item
    return {
        "id": item.id,
        "lane": item.lane,
        "state": item.state,
        "version": item.version,
        "why": item.why,
        "decided_by": item.decided_by,
        "decision": json.loads(item.decision) if item.decision else None,
        "contact": {
            "id": view.person.contact_id,
            "name": view.person.name,
            "email": view.person.email,
            "title": view.person.title,
            "company": view.person.company,
        },
        "category": view.category,
        "confidence": view.confidence,
        "evidence": list(view.evidence),
        "referrals": list(view.referrals),
        "checklist": [
            {
                "key": ln.key,
                "label": ln.label,
                "status": ln.status.value,
                "reason": ln.reason,
                "highlight": ln.highlight,
            }
            for ln in view.checklist
        ],
        "thread": [
            {
                "direction": e.direction,
                "at": e.at.isoformat(),
                "subject": e.subject,
                "text": e.text,
                "note": e.note,
            }
            for e in view.thread
        ],
        "handoff": view.handoff,
    }


def _entry_json(entry: QueueEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "lane": "snoozed" if entry.snoozed_until else entry.lane,
        "name": entry.name,
        "email": entry.email,
        "company": entry.company,
        "category": entry.category,
        "why": entry.why,
        "received_at": entry.received_at.isoformat(),
        "version": entry.version,
    }


def _plain(*cells: str) -> list[Text]:
    """Cells as plain text: names and companies come from strangers' email, and Rich
    would read "[...]" in them as markup."""
    return [Text(cell) for cell in cells]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc
