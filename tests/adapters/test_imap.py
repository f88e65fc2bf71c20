"""ImapMailbox against a real Dovecot on 127.0.0.1, over real sockets and real TLS.

What the adapter did is checked with a separate imapclient session (`dovecot.client`)
or in Dovecot's own log, never by trusting the adapter's return values alone.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from datetime import UTC, datetime

import pytest
import trustme

from prospector.adapters.imap import ImapError, ImapMailbox, pick_sent_folder
from prospector.config import Server
from tests.imap_server import PASSWORD_ENV, DovecotServer, Security
from tests.servers import free_port

SENT_AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def message(message_id: str, *, fold: bool = False) -> bytes:
    header = f"Message-ID:\r\n {message_id}" if fold else f"Message-ID: {message_id}"
    return (
        "From: Maria <maria@northwind.example>\r\nTo: <prospect@acme.example>\r\n"
        f"Subject: Quick question\r\n{header}\r\n\r\n"
        "Who is the right person to talk to about logistics?\r\n"
    ).encode()


def mailbox(dovecot: DovecotServer, config: Server) -> ImapMailbox:
    return ImapMailbox(config, timeout=10, tls_context=dovecot.client_tls())


def flags_of(dovecot: DovecotServer, user: str, folder: str) -> dict[int, set[bytes]]:
    """Every message's stored flags, read without changing them (EXAMINE).

    \\Recent is left out: it belongs to whichever session saw the message first.
    """
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search("ALL"), ["FLAGS"])
        return {int(uid): set(data[b"FLAGS"]) - {b"\\Recent"} for uid, data in fetched.items()}


def login_line(dovecot: DovecotServer, user: str) -> str:
    """Dovecot's log line for `user`'s login (its log process may write it a moment later)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in dovecot.log().splitlines() if f"Login: user=<{user}>" in line]
        if lines or time.monotonic() > deadline:
            assert lines, f"no login logged for {user}"
            return lines[-1]
        time.sleep(0.02)


# --- logging in ---------------------------------------------------------------------------


def test_login_with_the_right_password(dovecot: DovecotServer) -> None:
    config = dovecot.config("none")
    with mailbox(dovecot, config) as box:
        assert box.sent_folder() == "Sent"
    assert "method=PLAIN" in login_line(dovecot, config.username)


def test_a_wrong_password_is_refused_clearly_and_never_shown(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-password-1234"
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    config = dovecot.config("starttls")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ImapError) as caught:
        mailbox(dovecot, config).connect()
    text = str(caught.value)
    assert "login refused" in text and config.username in text
    assert "127.0.0.1" in text
    assert wrong not in text and wrong not in caplog.text
    assert wrong not in str(caught.value.__context__)  # hidden (`from None`), but still


def test_a_missing_password_is_said_before_connecting(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(ImapError, match=f"no password for .*{PASSWORD_ENV}"):
        mailbox(dovecot, dovecot.config("none")).connect()


def test_nothing_listening_is_a_clear_error(dovecot: DovecotServer) -> None:
    config = dovecot.config("tls", port=free_port())
    with pytest.raises(ImapError, match="connection refused"):
        ImapMailbox(config, timeout=5).connect()


def test_using_it_outside_with_is_an_error(dovecot: DovecotServer) -> None:
    with pytest.raises(ImapError, match="not connected"):
        mailbox(dovecot, dovecot.config("none")).sent_folder()


# --- TLS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_verified_against_the_servers_ca(dovecot: DovecotServer, security: Security) -> None:
    config = dovecot.config(security)
    with mailbox(dovecot, config) as box:
        assert box.sent_folder() == "Sent"
        sock = box._connected().socket()
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert sock.version() in {"TLSv1.2", "TLSv1.3"}
    assert ", TLS," in login_line(dovecot, config.username)


@pytest.mark.parametrize("security", ["starttls", "tls"])
@pytest.mark.parametrize("trust", ["another CA", "system CAs"])
def test_an_untrusted_certificate_is_refused(
    dovecot: DovecotServer, security: Security, trust: str
) -> None:
    config = dovecot.config(security)
    context = None
    if trust == "another CA":
        context = ssl.create_default_context()
        trustme.CA().configure_trust(context)
    with pytest.raises(ImapError, match="certificate not trusted") as caught:
        ImapMailbox(config, timeout=10, tls_context=context).connect()
    assert str(config.port) in str(caught.value)
    assert "Login: user=<" + config.username not in dovecot.log()


def test_verification_can_be_turned_off_explicitly(dovecot: DovecotServer) -> None:
    config = dovecot.config("tls", verify_tls=False)
    with ImapMailbox(config, timeout=10) as box:
        assert box.sent_folder() == "Sent"


# --- append and find ------------------------------------------------------------------------


def test_append_files_the_exact_bytes_seen_at_the_given_time(dovecot: DovecotServer) -> None:
    config = dovecot.config("none")
    raw = message("<m1@northwind.example>")
    with mailbox(dovecot, config) as box:
        uid = box.append("Sent", raw, when=SENT_AT)
    assert uid is not None
    with dovecot.client(config.username) as client:
        client.select_folder("Sent", readonly=True)
        fetched = client.fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"])[uid]
    assert fetched[b"BODY[]"] == raw
    assert flags_of(dovecot, config.username, "Sent") == {uid: {b"\\Seen"}}
    assert fetched[b"INTERNALDATE"].astimezone(UTC) == SENT_AT


def test_find_by_message_id_is_exact(dovecot: DovecotServer) -> None:
    config = dovecot.config("none")
    wanted = "<m1@northwind.example>"
    others = ["<am1@northwind.example>", "<m1@northwind.example.org>", "<M1@northwind.example>"]
    with mailbox(dovecot, config) as box:
        for other in others[:2]:
            box.append("Sent", message(other))
        uid = box.append("Sent", message(wanted, fold=True))
        box.append("Sent", message(others[2]))
        found = box.find_by_message_id("Sent", wanted)
        bare = box.find_by_message_id("Sent", "m1@northwind.example")
    assert found == bare == [uid]
    with dovecot.client(config.username) as client:  # the server alone finds more
        client.select_folder("Sent", readonly=True)
        assert len(client.search(["HEADER", "Message-ID", "m1@northwind.example"])) == 4


def test_nothing_found_is_an_empty_list(dovecot: DovecotServer) -> None:
    with mailbox(dovecot, dovecot.config("none")) as box:
        assert box.find_by_message_id("Sent", "<m1@northwind.example>") == []
        box.append("Sent", message("<m2@northwind.example>"))
        assert box.find_by_message_id("Sent", "<m1@northwind.example>") == []
        assert box.find_by_message_id("INBOX", "<m2@northwind.example>") == []


def test_searching_changes_no_flags(dovecot: DovecotServer) -> None:
    config = dovecot.config("none")
    with mailbox(dovecot, config) as box:
        unread = box.append("INBOX", message("<r1@acme.example>"), seen=False)
        read = box.append("INBOX", message("<r2@acme.example>"))
        before = flags_of(dovecot, config.username, "INBOX")
        assert before == {unread: set(), read: {b"\\Seen"}}
        assert box.find_by_message_id("INBOX", "<r1@acme.example>") == [unread]
        assert box.find_by_message_id("INBOX", "<r2@acme.example>") == [read]
    assert flags_of(dovecot, config.username, "INBOX") == before


def test_a_missing_folder_is_a_clear_error(dovecot: DovecotServer) -> None:
    with mailbox(dovecot, dovecot.config("none")) as box:
        with pytest.raises(ImapError, match="'Nope'"):
            box.find_by_message_id("Nope", "<m1@northwind.example>")
        with pytest.raises(ImapError, match="appending to 'Nope'"):
            box.append("Nope", message("<m1@northwind.example>"))


def test_an_empty_message_id_is_refused(dovecot: DovecotServer) -> None:
    with mailbox(dovecot, dovecot.config("none")) as box, pytest.raises(ValueError):
        box.find_by_message_id("Sent", " <> ")


# --- the Sent folder ------------------------------------------------------------------------


def test_sent_folder_is_the_special_use_one(dovecot: DovecotServer) -> None:
    config = dovecot.config("none")
    with dovecot.client(config.username) as client:
        client.create_folder("Sent Items")
        folders = {name: flags for flags, _, name in client.list_folders()}
    assert b"\\Sent" in folders["Sent"] and b"\\Sent" not in folders["Sent Items"]
    with mailbox(dovecot, config) as box:
        assert box.sent_folder() == "Sent"


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        ([((b"\\HasNoChildren",), "Sent Items"), ((b"\\Sent",), "Outbox")], "Outbox"),
        ([((), "INBOX"), ((), "sent messages")], "sent messages"),
        ([((), "INBOX.Sent"), ((), "Sent Items")], "Sent Items"),
        ([((), "INBOX.Sent")], "INBOX.Sent"),
        ([((), "INBOX"), ((b"\\Drafts",), "Drafts")], None),
    ],
)
def test_the_sent_folder_is_marked_else_named(
    listing: list[tuple[tuple[bytes, ...], str]], expected: str | None
) -> None:
    """Servers that do not mark it (no RFC 6154): the usual names, in order of preference."""
    assert pick_sent_folder(listing) == expected
