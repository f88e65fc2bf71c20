"""A mailbox's Sent folder over IMAP, as the engine's reconciler and copy-to-Sent use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from prospector.adapters.imap import ImapMailbox
from prospector.config import Mailbox

FALLBACK = "Sent"


class ImapSentFolder:
    def __init__(self, imap: ImapMailbox, folder: str) -> None:
        self.imap = imap
        self.folder = folder

    def contains(self, message_id: str) -> bool:
        return bool(self.imap.find_by_message_id(self.folder, message_id))

    def append(self, raw: bytes, when: datetime) -> None:
        self.imap.append(self.folder, raw, seen=True, when=when)


@contextmanager
def imap_sent_folder(mailbox: Mailbox) -> Iterator[ImapSentFolder]:
    """The configured folder, else the one the server marks \\Sent, else "Sent"."""
    with ImapMailbox(mailbox.imap) as imap:
        folder = mailbox.sent_folder or imap.sent_folder() or FALLBACK
        yield ImapSentFolder(imap, folder)
