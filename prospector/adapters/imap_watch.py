"""IMAP IDLE as a wake-up for the ingest job, never as the source of truth.

One thread per mailbox idles on its folder with its own connection; when the server says
something changed, the ingest job runs at once instead of at its next poll. Any error
(a dropped line, imapclient #519) only means waiting a little and idling again: the
periodic poll stays the backstop, so nothing depends on IDLE working.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from prospector.adapters.imap_reader import ImapInbox
from prospector.config import Mailbox
from prospector.errors import ProspectorError

log = logging.getLogger("prospector.idle")

IDLE_SECONDS = 25.0  # re-issue IDLE often: well within servers' limits, and stop is prompt
RETRY_SECONDS = 30.0


def watch_mailbox(
    mailbox: Mailbox, folder: str, *, idle_seconds: float = IDLE_SECONDS
) -> Callable[[Callable[[], None], threading.Event], None]:
    """A watcher for engine.service.Service: wakes the ingest job on new mail."""

    def watch(wake: Callable[[], None], stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with ImapInbox(mailbox.imap) as inbox:
                    inbox.open_folder(folder)
                    while not stop.is_set():
                        if inbox.wait_for_change(folder, timeout=idle_seconds):
                            wake()
                            inbox.open_folder(folder)  # the new state is the reference now
            except (ProspectorError, OSError) as exc:
                log.debug("IDLE on %s: %s; idling again in %gs", mailbox.id, exc, RETRY_SECONDS)
                stop.wait(RETRY_SECONDS)

    return watch
