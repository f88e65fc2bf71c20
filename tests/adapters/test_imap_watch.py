"""IDLE wakes the ingest job when mail arrives (real Dovecot), and stops promptly."""

from __future__ import annotations

import threading
import time

from prospector.adapters.imap_watch import watch_mailbox
from prospector.config import Mailbox
from tests.imap_server import DovecotServer


def test_new_mail_wakes_the_job_and_the_watcher_stops_on_request(dovecot: DovecotServer) -> None:
    config = dovecot.config("none")
    mailbox = Mailbox(id="main", address="alex@northwind-demo.com", name="Alex", imap=config)
    woken = threading.Event()
    wakes: list[float] = []

    def wake() -> None:
        wakes.append(time.monotonic())
        woken.set()

    stop = threading.Event()
    watcher = threading.Thread(
        target=watch_mailbox(mailbox, "INBOX", idle_seconds=1.0), args=(wake, stop)
    )
    watcher.start()
    try:
        time.sleep(1.0)  # let it log in and start idling
        assert not woken.is_set()
        with dovecot.client(config.username) as client:
            client.append("INBOX", b"From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n")
        assert woken.wait(10), "IDLE did not wake the job"
        time.sleep(1.0)
        assert len(wakes) == 1, "one message, one wake (no busy loop)"
    finally:
        stop.set()
    watcher.join(timeout=5)
    assert not watcher.is_alive()
