"""`prospector run`: the daemon (or one pass of it with --once)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import typer

from prospector.adapters.imap_reader import ImapInbox
from prospector.adapters.imap_watch import watch_mailbox
from prospector.adapters.sandbox import Endpoint, Sandbox
from prospector.adapters.sent_folder import imap_sent_folder
from prospector.adapters.smtp import SmtpTransport
from prospector.adapters.webhook import HttpPoster
from prospector.cli import logs
from prospector.cli.output import console
from prospector.cli.workspace import Workspace, config_path
from prospector.config import Mailbox, Server, Settings
from prospector.engine.catalog import load_sequences
from prospector.engine.dispatch import Transport, TransportFactory
from prospector.engine.ingest import Inbox, Ingester
from prospector.engine.nurture import nurture
from prospector.engine.reconcile import Reconciler
from prospector.engine.sending import SendingJob
from prospector.engine.service import Job, Service
from prospector.engine.webhooks import HandoffJob
from prospector.store.lock import daemon_lock

log = logging.getLogger("prospector.run")
NURTURE_SECONDS = 3600.0  # dates are days: an hourly look is plenty
RECONCILE_SECONDS = 60.0  # uncertain messages are rare: a look a minute is plenty


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)


def run_command(
    ctx: typer.Context,
    once: bool = typer.Option(
        False, "--once", help="Run every job once and exit (for cron or a systemd timer)."
    ),
    sandbox: bool = typer.Option(
        False,
        "--sandbox",
        help="Send to local SMTP/IMAP servers on 127.0.0.1 (kept in ./sandbox) instead of"
        " the configured ones: nothing leaves the machine.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details too."),
) -> None:
    """Send due sequence steps in each prospect's send window, within every cap.

    Runs until SIGTERM or Ctrl-C; the message being sent finishes first. A second daemon
    on the same database is refused. Logs go to stderr (journald reads them as they are).

    Example: prospector run --once
    """
    logs.configure(verbose)
    workspace = Workspace.open(config_path(ctx.obj))
    with contextlib.ExitStack() as stack:
        if sandbox:
            workspace = Workspace(stack.enter_context(sandboxed(workspace.settings)))
        _run(workspace, once=once)


def _run(workspace: Workspace, *, once: bool) -> None:
    settings = workspace.settings
    with daemon_lock(workspace.engine):
        service = Service(workspace.engine, [])
        sending = SendingJob(
            workspace.engine,
            settings,
            smtp_transports(settings),
            stopping=service.stopping,
            sent_folders=imap_sent_folder,
        )
        reconcile = Reconciler(
            workspace.engine, settings, lambda: load_sequences(settings)[0], imap_sent_folder
        )
        ingest = Ingester(workspace.engine, settings, imap_inbox)
        handoffs = HandoffJob(workspace.engine, settings, HttpPoster(), stopping=service.stopping)
        service.jobs = [  # reconcile first: a message found missing goes out in this pass
            Job("reconcile", RECONCILE_SECONDS, reconcile),
            Job("ingest", settings.config.replies.poll_seconds, ingest),
            Job("dispatch", settings.config.sending.tick_seconds, sending),
            Job("nurture", NURTURE_SECONDS, functools.partial(nurture, workspace.engine, settings)),
            Job("handoffs", settings.config.sending.tick_seconds, handoffs),
        ]
        folder = settings.config.replies.folder
        service.watchers = [("ingest", watch_mailbox(m, folder)) for m in settings.config.mailboxes]
        service.start_up()
        if once:
            for name, result in service.run_once().items():
                console.print(f"{name}: {result or 'nothing to do'}")
            return
        service.serve()


SANDBOX_PASSWORD_ENV = "PROSPECTOR_SANDBOX_PASSWORD"


@contextlib.contextmanager
def sandboxed(settings: Settings) -> Iterator[Settings]:
    """The settings with every mailbox pointed at the sandbox servers, while they run."""
    addresses = [mailbox.address for mailbox in settings.config.mailboxes]
    with Sandbox(settings.base_dir / "sandbox", mailboxes=addresses) as box:
        endpoints = box.endpoints
        assert endpoints is not None  # entering the sandbox started it
        os.environ[SANDBOX_PASSWORD_ENV] = endpoints.smtp.password  # this process only
        mailboxes = tuple(
            mailbox.model_copy(
                update={
                    "smtp": _local(endpoints.for_mailbox(mailbox.address).smtp),
                    "imap": _local(endpoints.for_mailbox(mailbox.address).imap),
                }
            )
            for mailbox in settings.config.mailboxes
        )
        config = settings.config.model_copy(update={"mailboxes": mailboxes})
        log.info(
            "sandbox: log in as a mailbox address with the password in %s;"
            " delivered messages land in %s",
            box.root / "password",
            box.root / "delivered",
        )
        yield Settings(config=config, path=settings.path)


def _local(endpoint: Endpoint) -> Server:
    return Server(
        host=endpoint.host,
        port=endpoint.port,
        security="none",
        username=endpoint.username,
        password_env=SANDBOX_PASSWORD_ENV,
    )


@contextlib.contextmanager
def imap_inbox(mailbox: Mailbox) -> Iterator[Inbox]:
    """The mailbox's folders over IMAP, read-only, for the ingest job."""
    with ImapInbox(mailbox.imap) as inbox:
        yield inbox


def smtp_transports(settings: Settings) -> TransportFactory:
    """One SMTP connection per mailbox per tick, opened on the first message."""
    timeout = settings.config.sending.smtp_timeout_seconds

    @asynccontextmanager
    async def connect(mailbox: Mailbox) -> AsyncIterator[Transport]:
        async with SmtpTransport(mailbox.smtp, timeout=timeout) as transport:
            yield transport

    return connect
