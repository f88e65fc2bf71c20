"""ImapInbox (the ingest job's read side) against a real Dovecot on 127.0.0.1.

Mail is put in and looked at with a separate imapclient session (`dovecot.client`);
UIDVALIDITY resets and dropped connections are made by the server itself (a folder
deleted and re-created, `doveadm mailbox update`, `doveadm kick`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from prospector.adapters.imap import ImapError
from prospector.adapters.imap_reader import ImapInbox, UidValidityChanged
from prospector.config import Server
from tests.imap_server import PASSWORD, DovecotServer, Security
from tests.servers import free_port


def raw(n: int, *, body: str = "Who is the right person to talk to about logistics?") -> bytes:
    return (
        f"From: Prospect <p{n}@acme.example>\r\nTo: <maria@northwind.example>\r\n"
        f"Subject: Re: Quick question {n}\r\nMessage-ID: <r{n}@acme.example>\r\n"
        f"In-Reply-To: <out{n}@northwind.example>\r\n\r\n{body}\r\n"
    ).encode()


def header_block(data: bytes) -> bytes:
    return data[: data.index(b"\r\n\r\n") + 4]


def append(dovecot: DovecotServer, user: str, *messages: bytes, folder: str = "INBOX") -> None:
    with dovecot.client(user) as client:
        for data in messages:
            client.append(folder, data)


def flags_of(dovecot: DovecotServer, user: str, folder: str = "INBOX") -> dict[int, set[bytes]]:
    """Stored flags, read with EXAMINE; \\Recent belongs to whichever session looked first."""
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search("ALL"), ["FLAGS"])
        return {int(uid): set(data[b"FLAGS"]) - {b"\\Recent"} for uid, data in fetched.items()}


@pytest.fixture
def config(dovecot: DovecotServer) -> Server:
    return dovecot.config("none")


@pytest.fixture
def inbox(dovecot: DovecotServer, config: Server) -> Iterator[ImapInbox]:
    reader = ImapInbox(config, timeout=10, tls_context=dovecot.client_tls())
    yield reader
    reader.close()


def later(seconds: float, action: Callable[[], object]) -> threading.Thread:
    """Run `action` in a thread after `seconds`, while the test blocks in the adapter."""

    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# --- new messages by UID ----------------------------------------------------------------------


def test_uids_after_counts_up_without_a_phantom_last_message(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    assert inbox.uids_after("INBOX", 0) == []
    append(dovecot, config.username, raw(1), raw(2), raw(3))
    assert inbox.uids_after("INBOX", 0) == [1, 2, 3]
    assert inbox.uids_after("INBOX", 2) == [3]
    assert inbox.uids_after("INBOX", 3) == []  # "UID 4:*" alone would answer 3
    assert inbox.uids_after("INBOX", 1_000_000) == []
    append(dovecot, config.username, raw(4), raw(5))
    assert inbox.uids_after("INBOX", 3) == [4, 5]
    state = inbox.open_folder("INBOX")
    assert (state.uidnext, state.exists) == (6, 5)


def test_open_folder_on_an_empty_folder(inbox: ImapInbox) -> None:
    state = inbox.open_folder("INBOX")
    assert state.uidvalidity > 0
    assert (state.uidnext, state.exists) == (1, 0)


def test_a_negative_last_uid_is_a_mistake(inbox: ImapInbox) -> None:
    with pytest.raises(ValueError):
        inbox.uids_after("INBOX", -1)


# --- reading without disturbing ---------------------------------------------------------------


def test_fetch_and_headers_return_the_stored_bytes_and_change_no_flags(
    dovecot: DovecotServer, config: Server
) -> None:
    sent = [raw(n, body="Grüße\r\n-- \r\nSam\r\n\r\n> quoted") for n in range(1, 8)]
    with dovecot.client(config.username) as client:
        for n, data in enumerate(sent, 1):
            client.append("INBOX", data, flags=(b"\\Flagged",) if n == 2 else ())
    before = flags_of(dovecot, config.username)
    reader = ImapInbox(config, timeout=10, header_batch=3, body_batch=2)  # several commands
    with reader:
        uids = reader.uids_after("INBOX", 0)
        assert reader.fetch("INBOX", uids) == dict(zip(uids, sent, strict=True))
        heads = reader.headers("INBOX", [uids[4], uids[0], uids[4]])
        assert heads == {uids[0]: header_block(sent[0]), uids[4]: header_block(sent[4])}
        assert reader.fetch("INBOX", []) == {}
        assert reader.fetch("INBOX", [99]) == {}  # no such UID: absent, not an error
    after = flags_of(dovecot, config.username)
    assert after == before
    assert after[2] == {b"\\Flagged"}
    assert all(b"\\Seen" not in flags for flags in after.values())


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_reads_over_verified_tls(dovecot: DovecotServer, security: Security) -> None:
    config = dovecot.config(security)
    append(dovecot, config.username, raw(1))
    with ImapInbox(config, timeout=10, tls_context=dovecot.client_tls()) as reader:
        assert reader.fetch("INBOX", reader.uids_after("INBOX", 0)) == {1: raw(1)}


def test_a_missing_folder_is_an_error_naming_the_server(
    dovecot: DovecotServer, inbox: ImapInbox
) -> None:
    with pytest.raises(ImapError, match=rf"127\.0\.0\.1:{dovecot.port}: opening 'Nope'"):
        inbox.uids_after("Nope", 0)
    assert inbox.uids_after("INBOX", 0) == []  # the same connection goes on


def test_nothing_listening_is_an_error_naming_the_server(dovecot: DovecotServer) -> None:
    port = free_port()
    reader = ImapInbox(dovecot.config("none", port=port), timeout=5)
    with pytest.raises(ImapError, match=rf"127\.0\.0\.1:{port}: connection refused"):
        reader.open_folder("INBOX")


# --- UIDVALIDITY resets -----------------------------------------------------------------------


def test_a_recreated_folder_has_a_new_uidvalidity(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    with dovecot.client(config.username) as client:
        client.create_folder("Replies")
    append(dovecot, config.username, raw(1), raw(2), folder="Replies")
    first = inbox.open_folder("Replies")
    assert inbox.uids_after("Replies", 0) == [1, 2]
    with dovecot.client(config.username) as client:  # same name, new folder: UIDs restart
        client.delete_folder("Replies")
        client.create_folder("Replies")
        client.append("Replies", raw(3))
    with pytest.raises(UidValidityChanged, match="re-sync"):
        inbox.uids_after("Replies", 2)
    with pytest.raises(UidValidityChanged):
        inbox.fetch("Replies", [1])  # never the new folder's UID 1 under the old validity
    second = inbox.open_folder("Replies")
    assert second.uidvalidity != first.uidvalidity
    assert inbox.uids_after("Replies", 0) == [1]
    assert inbox.fetch("Replies", [1]) == {1: raw(3)}


def test_an_inbox_uidvalidity_reset_by_the_server(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    append(dovecot, config.username, raw(1))
    first = inbox.open_folder("INBOX")
    inbox.close()
    new = first.uidvalidity + 1000
    dovecot.doveadm("mailbox", "update", "-u", config.username, "--uid-validity", str(new), "INBOX")
    with pytest.raises(UidValidityChanged):  # remembered across the reconnect
        inbox.headers("INBOX", [1])
    assert inbox.open_folder("INBOX").uidvalidity == new


# --- dropped connections ----------------------------------------------------------------------


def test_a_connection_kicked_mid_fetch_is_an_error_then_the_next_call_reconnects(
    dovecot: DovecotServer, config: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = [raw(n) for n in range(1, 7)]
    append(dovecot, config.username, *sent)
    reader = ImapInbox(config, timeout=10, body_batch=2)
    batches = []
    real_batch = reader._fetch_batch

    def kick_after_first(folder: str, uids: list[int], item: str, key: bytes) -> dict[int, bytes]:
        batches.append(uids)
        found = real_batch(folder, uids, item, key)
        if len(batches) == 1:
            dovecot.kick(config.username)  # the server drops us between two FETCH commands
        return found

    monkeypatch.setattr(reader, "_fetch_batch", kick_after_first)
    with pytest.raises(ImapError) as caught:
        reader.fetch("INBOX", [1, 2, 3, 4, 5, 6])
    text = str(caught.value)
    assert f"127.0.0.1:{dovecot.port}: fetching from 'INBOX' failed" in text
    assert PASSWORD not in text
    assert len(batches) == 2
    assert reader.fetch("INBOX", [1, 2, 3, 4, 5, 6]) == dict(zip(range(1, 7), sent, strict=True))
    reader.close()


def test_a_socket_closed_under_the_adapter_is_an_error_then_the_next_call_reconnects(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    append(dovecot, config.username, raw(1))
    assert inbox.uids_after("INBOX", 0) == [1]
    assert inbox._client is not None
    inbox._client.socket().shutdown(socket.SHUT_RDWR)
    with pytest.raises(ImapError, match=f"127.0.0.1:{dovecot.port}"):
        inbox.headers("INBOX", [1])
    assert inbox.headers("INBOX", [1]) == {1: header_block(raw(1))}


def test_close_is_safe_twice_and_the_next_call_reconnects(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    append(dovecot, config.username, raw(1))
    assert inbox.uids_after("INBOX", 0) == [1]
    inbox.close()
    inbox.close()
    assert inbox.uids_after("INBOX", 0) == [1]


# --- waiting for mail -------------------------------------------------------------------------


def test_wait_wakes_up_soon_after_another_client_appends(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    assert inbox.uids_after("INBOX", 0) == []
    started = time.monotonic()
    thread = later(0.3, lambda: append(dovecot, config.username, raw(1)))
    assert inbox.wait_for_change("INBOX", 10) is True
    thread.join()
    assert time.monotonic() - started < 5
    assert inbox.uids_after("INBOX", 0) == [1]


def test_wait_times_out_when_nothing_happens(inbox: ImapInbox) -> None:
    assert inbox.uids_after("INBOX", 0) == []
    started = time.monotonic()
    assert inbox.wait_for_change("INBOX", 0.5) is False
    assert 0.5 <= time.monotonic() - started < 3
    assert inbox.uids_after("INBOX", 0) == []  # the connection is usable after IDLE


def test_wait_returns_at_once_when_mail_came_since_the_last_look(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    assert inbox.uids_after("INBOX", 0) == []
    append(dovecot, config.username, raw(1))  # before IDLE starts: IDLE alone would miss it
    started = time.monotonic()
    assert inbox.wait_for_change("INBOX", 10) is True
    assert time.monotonic() - started < 1


def test_a_broken_idle_reconnects_and_asks_for_a_resync(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    assert inbox.uids_after("INBOX", 0) == []
    thread = later(0.3, lambda: dovecot.kick(config.username))
    assert inbox.wait_for_change("INBOX", 10) is True
    thread.join()
    append(dovecot, config.username, raw(1))
    assert inbox.uids_after("INBOX", 0) == [1]


def test_without_idle_wait_sleeps_and_asks_for_a_resync(
    inbox: ImapInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox.connect()
    assert inbox._client is not None
    monkeypatch.setattr(inbox._client, "has_capability", lambda name: name.upper() != "IDLE")
    started = time.monotonic()
    assert inbox.wait_for_change("INBOX", 0.3) is True
    assert time.monotonic() - started >= 0.3


def test_a_connection_dropped_before_waiting_reconnects_and_asks_for_a_resync(
    dovecot: DovecotServer, config: Server, inbox: ImapInbox
) -> None:
    assert inbox.uids_after("INBOX", 0) == []
    dovecot.kick(config.username)
    assert inbox.wait_for_change("INBOX", 10) is True
    assert inbox.wait_for_change("INBOX", 0.2) is False  # on the new connection


def test_waiting_on_a_missing_folder_is_an_error(dovecot: DovecotServer, inbox: ImapInbox) -> None:
    with pytest.raises(ImapError, match=rf"127\.0\.0\.1:{dovecot.port}: opening 'Nope'"):
        inbox.wait_for_change("Nope", 0.2)
