"""Fill a Dovecot user's INBOX with N small generated messages, some replies to ours.

Run: .venv/bin/python -m bench.imap_fill [--messages 20000] [--replies 0.01] [--sync]
Starts a private Dovecot (bench/dovecot.py), fills a fresh user's INBOX with MULTIAPPEND
(RFC 3502: one command per chunk of messages, so the server indexes them as it would
real mail, in a few round trips) and prints how long that took. With --sync it also
times a first read of the whole folder through the adapter (`ImapInbox`: UIDs, every
header block, the full replies). The ingest bench calls `fill` with its own server.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from imapclient import IMAPClient

from bench.dovecot import PASSWORD, PASSWORD_ENV, DovecotServer, dovecot_server
from prospector.adapters.imap_reader import ImapInbox

CHUNK = 1000
"""Messages per MULTIAPPEND: ~0.5 MB a command, well under Dovecot's limits."""
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
_SUBJECTS = ("Weekly digest", "Your invoice", "Team lunch", "Re: budget", "Webinar invite")


@dataclass
class Filled:
    """What was put in the folder: which generated Message-IDs are replies, to what."""

    count: int
    seconds: float
    replies: dict[str, str] = field(default_factory=dict)
    """Reply's Message-ID -> the outbound Message-ID its In-Reply-To names."""


def outbound_ids(count: int) -> list[str]:
    """Message-IDs standing for messages we sent, when the caller has none of its own."""
    return [f"<out{n}@northwind.example>" for n in range(count)]


def messages(
    count: int, *, reply_fraction: float = 0.01, replies_to: Sequence[str] = (), seed: int = 1
) -> Iterator[tuple[bytes, str, str | None]]:
    """(raw bytes, Message-ID, In-Reply-To or None) for `count` messages, reproducibly.

    `reply_fraction` of them (spread at random) reply to one of `replies_to`; the rest
    are the everyday mail a rep's INBOX holds.
    """
    rng = random.Random(seed)
    targets = list(replies_to) or outbound_ids(max(1, round(count * reply_fraction)))
    for n in range(count):
        message_id = f"<fill{n}.{seed}@mail.example>"
        when = format_datetime(START + timedelta(minutes=n))
        if rng.random() < reply_fraction:
            parent = rng.choice(targets)
            raw = (
                f"From: Prospect {n} <p{n}@acme.example>\r\nTo: Maria <maria@northwind.example>\r\n"
                f"Subject: Re: Who handles logistics?\r\nDate: {when}\r\n"
                f"Message-ID: {message_id}\r\nIn-Reply-To: {parent}\r\nReferences: {parent}\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                f"Hi Maria,\r\n\r\nplease talk to Sam Lee <sam{n}@acme.example>.\r\n\r\n"
                f"> who is the right person to talk to about logistics?\r\n"
            )
            yield raw.encode(), message_id, parent
            continue
        raw = (
            f"From: Sender {n % 97} <news{n % 97}@list.example>\r\n"
            f"To: Maria <maria@northwind.example>\r\nSubject: {rng.choice(_SUBJECTS)} {n}\r\n"
            f"Date: {when}\r\nMessage-ID: {message_id}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + f"Line {n} of everyday mail that is not a reply to us.\r\n"
            * rng.randint(2, 12)
        )
        yield raw.encode(), message_id, None


def fill(
    client: IMAPClient,
    count: int,
    *,
    folder: str = "INBOX",
    reply_fraction: float = 0.01,
    replies_to: Sequence[str] = (),
    chunk: int = CHUNK,
    seed: int = 1,
) -> Filled:
    """Append `count` generated messages to `folder` over a logged-in client, unread."""
    filled = Filled(count=count, seconds=0.0)
    started = time.perf_counter()
    batch: list[bytes] = []
    generated = messages(count, reply_fraction=reply_fraction, replies_to=replies_to, seed=seed)
    for raw, message_id, parent in generated:
        batch.append(raw)
        if parent is not None:
            filled.replies[message_id] = parent
        if len(batch) >= chunk:
            client.multiappend(folder, batch)
            batch = []
    if batch:
        client.multiappend(folder, batch)
    filled.seconds = time.perf_counter() - started
    return filled


def fill_user(
    server: DovecotServer,
    user: str,
    count: int,
    *,
    reply_fraction: float = 0.01,
    replies_to: Sequence[str] = (),
    chunk: int = CHUNK,
) -> Filled:
    """`fill` of `user`'s INBOX on `server`, over a session of its own."""
    with server.client(user) as client:
        return fill(
            client, count, reply_fraction=reply_fraction, replies_to=replies_to, chunk=chunk
        )


def first_sync(server: DovecotServer, user: str, replies: int) -> float:
    """Seconds for the adapter to list every UID, read every header and `replies` bodies."""
    os.environ[PASSWORD_ENV] = PASSWORD
    started = time.perf_counter()
    with ImapInbox(server.config("none", user=user)) as inbox:
        inbox.open_folder("INBOX")
        uids = inbox.uids_after("INBOX", 0)
        heads = inbox.headers("INBOX", uids)
        wanted = [uid for uid, head in heads.items() if b"\r\nIn-Reply-To:" in head]
        bodies = inbox.fetch("INBOX", wanted)
    if len(heads) != len(uids) or len(bodies) != replies:
        raise SystemExit(
            f"read {len(heads)} headers of {len(uids)}, {len(bodies)}/{replies} replies"
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages to append")
    parser.add_argument("--replies", type=float, default=0.01, help="fraction that are replies")
    parser.add_argument("--chunk", type=int, default=CHUNK, help="messages per MULTIAPPEND")
    parser.add_argument("--sync", action="store_true", help="also time a first read")
    args = parser.parse_args()
    with dovecot_server() as server:
        user = server.new_user()
        filled = fill_user(
            server, user, args.messages, reply_fraction=args.replies, chunk=args.chunk
        )
        rate = filled.count / filled.seconds
        print(
            f"filled {filled.count} messages ({len(filled.replies)} replies) in "
            f"{filled.seconds:.2f} s ({rate:,.0f}/s)"
        )
        if args.sync:
            seconds = first_sync(server, user, len(filled.replies))
            print(
                f"first sync through ImapInbox (UIDs, all headers, reply bodies): {seconds:.2f} s"
            )


if __name__ == "__main__":
    main()
