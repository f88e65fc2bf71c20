"""The sandbox servers over real sockets: aiosmtplib in, files out; files in, imapclient out."""

from __future__ import annotations

import asyncio
import email
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from imapclient import IMAPClient

from prospector.adapters.sandbox import Endpoint, Sandbox, SandboxError, reply_to

SDR = "sdr@acme.example"
AE = "ae@acme.example"
PROSPECT = "maria.lopez@brightwave.example"


def outbound(number: int = 1, *, sender: str = SDR) -> bytes:
    """A first email as prospector sends it: CRLF, 8-bit UTF-8, a line that starts with a dot."""
    return (
        f"From: Sam Reyes <{sender}>\r\n"
        f"To: María López <{PROSPECT}>\r\n"
        f"Subject: Who handles onboarding at Brightwave? ({number})\r\n"
        f"Message-ID: <outbound-{number}@acme.example>\r\n"
        "Date: Tue, 24 Nov 2026 15:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "X-Spacing:   kept   as   sent\r\n"
        "\r\n"
        "Hi María,\r\n"
        ".a line starting with a dot\r\n"
        "\r\n"
        "who is the right person to talk to about onboarding?\r\n"
    ).encode()


def send(endpoint: Endpoint, raw: bytes, *, sender: str = SDR, login: bool = True) -> str:
    """One message over SMTP, logging in as the endpoint's user unless told not to."""
    credentials: dict[str, Any] = (
        {"username": endpoint.username, "password": endpoint.password} if login else {}
    )
    _, reply = asyncio.run(
        aiosmtplib.send(
            raw,
            sender=sender,
            recipients=[PROSPECT],
            hostname=endpoint.host,
            port=endpoint.port,
            start_tls=False,
            timeout=5,
            **credentials,
        )
    )
    return reply


@contextmanager
def imap(endpoint: Endpoint) -> Iterator[Any]:
    client = IMAPClient(endpoint.host, port=endpoint.port, ssl=False, timeout=5)
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        client.login(endpoint.username, endpoint.password)
        yield client
    finally:
        client.logout()


def inbox(endpoint: Endpoint) -> dict[int, bytes]:
    """Every INBOX message by UID, read the way the daemon will: UID SEARCH, BODY.PEEK[]."""
    with imap(endpoint) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
        fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return {uid: fetched[uid][b"BODY[]"] for uid in uids}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "sandbox", mailboxes=[SDR, AE]) as running:
        yield running


def test_smtp_keeps_the_exact_bytes_of_every_message_in_arrival_order(sandbox: Sandbox) -> None:
    messages = [outbound(n) for n in range(1, 4)]
    for raw in messages:
        reply = send(sandbox.endpoints.smtp, raw)
        assert reply.startswith("2.0.0 OK: queued as ")

    files = sandbox.delivered()
    assert [path.read_bytes() for path in files] == messages
    assert all(re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z-\d{6}\.eml", path.name) for path in files)
    assert reply.endswith(files[-1].stem)
    assert not [p for p in files[0].parent.iterdir() if not p.name.endswith(".eml")]


def test_smtp_wants_a_login_of_a_sending_mailbox(sandbox: Sandbox) -> None:
    endpoints = sandbox.endpoints
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        send(endpoints.smtp, outbound(), login=False)
    assert refused.value.code == 530

    wrong = Endpoint(endpoints.smtp.host, endpoints.smtp.port, SDR, "not-the-password")
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        send(wrong, outbound())
    stranger = Endpoint(endpoints.smtp.host, endpoints.smtp.port, PROSPECT, endpoints.smtp.password)
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        send(stranger, outbound())

    send(endpoints.for_mailbox(AE).smtp, outbound(sender=AE), sender=AE)
    assert len(sandbox.delivered()) == 1


def test_delivered_messages_survive_a_restart_and_order_carries_on(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    with Sandbox(root, mailboxes=[SDR]) as first:
        send(first.endpoints.smtp, outbound(1))
        password = first.endpoints.smtp.password

    with Sandbox(root, mailboxes=[SDR]) as second:
        assert second.endpoints.smtp.password == password  # kept in root/, not regenerated
        assert [p.read_bytes() for p in second.delivered()] == [outbound(1)]
        send(second.endpoints.smtp, outbound(2))
        assert [p.read_bytes() for p in second.delivered()] == [outbound(1), outbound(2)]

    assert len(Sandbox(root, mailboxes=[SDR]).delivered()) == 2  # readable while stopped
    assert (root / "password").stat().st_mode & 0o777 == 0o600


def test_a_dropped_reply_reads_back_unchanged_over_imap(sandbox: Sandbox) -> None:
    send(sandbox.endpoints.smtp, outbound())
    original = sandbox.delivered()[0].read_bytes()
    reply = reply_to(original, body="Hi Sam, talk to Jonas Berg, our VP Customer Success.")

    sandbox.drop_reply(SDR, reply)

    assert list(inbox(sandbox.endpoints.imap).values()) == [reply]
    assert inbox(sandbox.endpoints.for_mailbox(AE).imap) == {}  # each mailbox has its own
    with imap(sandbox.endpoints.imap) as client:
        assert {name for _, _, name in client.list_folders()} == {"INBOX", "Sent"}


def test_replies_dropped_while_stopped_are_there_after_a_restart_with_the_same_uids(
    tmp_path: Path,
) -> None:
    root = tmp_path / "sandbox"
    Sandbox(root, mailboxes=[SDR]).drop_reply(SDR, reply_to(outbound(1), body="Not me."))
    with Sandbox(root, mailboxes=[SDR]) as running:
        assert len(inbox(running.endpoints.imap)) == 1
        running.drop_reply(SDR, reply_to(outbound(2), body="Ask Jonas."))
        seen = inbox(running.endpoints.imap)
    with Sandbox(root, mailboxes=[SDR]) as again:
        assert inbox(again.endpoints.imap) == seen
    assert len(seen) == 2


def test_idle_wakes_when_a_reply_is_dropped(sandbox: Sandbox) -> None:
    with imap(sandbox.endpoints.imap) as client:
        client.select_folder("INBOX")
        client.idle()
        sandbox.drop_reply(SDR, reply_to(outbound(), body="Yes, me."))
        deadline = time.monotonic() + 5
        responses: list[Any] = []
        while not responses and time.monotonic() < deadline:
            responses = client.idle_check(timeout=1)
        client.idle_done()
    assert (1, b"EXISTS") in responses


def test_stop_is_prompt_frees_the_ports_and_leaves_no_thread(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    sandbox = Sandbox(tmp_path / "sandbox", mailboxes=[SDR])
    endpoints = sandbox.start()
    idle_imap = IMAPClient(endpoints.imap.host, port=endpoints.imap.port, ssl=False, timeout=5)
    idle_imap.login(endpoints.imap.username, endpoints.imap.password)
    idle_imap.select_folder("INBOX")
    idle_imap.idle()
    idle_smtp = socket.create_connection((endpoints.smtp.host, endpoints.smtp.port), timeout=5)
    idle_smtp.recv(1024)  # the greeting: the session is open

    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 2.0
    assert set(threading.enumerate()) <= before
    sandbox.stop()  # idempotent
    idle_smtp.close()
    idle_imap.shutdown()

    fixed = Sandbox(
        tmp_path / "sandbox",
        mailboxes=[SDR],
        smtp_port=endpoints.smtp.port,
        imap_port=endpoints.imap.port,
    )
    with fixed:
        assert (fixed.endpoints.smtp.port, fixed.endpoints.imap.port) == (
            endpoints.smtp.port,
            endpoints.imap.port,
        )
        send(fixed.endpoints.smtp, outbound())
    assert set(threading.enumerate()) <= before


def test_two_sandboxes_on_different_roots_do_not_collide(tmp_path: Path) -> None:
    with (
        Sandbox(tmp_path / "one", mailboxes=[SDR]) as one,
        Sandbox(tmp_path / "two", mailboxes=[SDR]) as two,
    ):
        ports = {one.endpoints.smtp.port, one.endpoints.imap.port}
        ports |= {two.endpoints.smtp.port, two.endpoints.imap.port}
        assert len(ports) == 4
        assert one.endpoints.smtp.password != two.endpoints.smtp.password
        send(one.endpoints.smtp, outbound(1))
        send(two.endpoints.smtp, outbound(2))
        two.drop_reply(SDR, reply_to(outbound(2), body="Talk to Jonas."))

        assert [p.read_bytes() for p in one.delivered()] == [outbound(1)]
        assert [p.read_bytes() for p in two.delivered()] == [outbound(2)]
        assert inbox(one.endpoints.imap) == {}
        assert len(inbox(two.endpoints.imap)) == 1

        with pytest.raises(SandboxError, match="in use by another sandbox"):
            Sandbox(tmp_path / "one", mailboxes=[SDR]).start()


def test_a_taken_fixed_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sandbox = Sandbox(tmp_path / "sandbox", mailboxes=[SDR], imap_port=port)
        with pytest.raises(SandboxError, match="cannot listen"):
            sandbox.start()
    with sandbox:  # nothing half-started is left behind: the root and ports are free
        send(sandbox.endpoints.smtp, outbound())


def test_state_on_another_file_system_than_the_temp_dir(tmp_path: Path) -> None:
    """pymap renames its temp files into place: that must work off /tmp's file system too."""
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == Path(tempfile.gettempdir()).stat().st_dev:
        pytest.skip("no second file system to put the sandbox on")
    root = Path(tempfile.mkdtemp(prefix="prospector-sandbox-", dir=other))
    try:
        with Sandbox(root, mailboxes=[SDR]) as running:
            running.drop_reply(SDR, reply_to(outbound(), body="Me."))
            assert len(inbox(running.endpoints.imap)) == 1
    finally:
        shutil.rmtree(root)


def test_mailboxes_are_plain_addresses_and_known(tmp_path: Path) -> None:
    for bad in ["", "no-at-sign", "../etc@x", "a/b@x.example", "a:b@x.example"]:
        with pytest.raises(ValueError):
            Sandbox(tmp_path, mailboxes=[bad])
    with pytest.raises(ValueError):
        Sandbox(tmp_path, mailboxes=[])
    sandbox = Sandbox(tmp_path, mailboxes=["SDR@Acme.Example"])
    assert sandbox.mailboxes == (SDR,)
    with pytest.raises(KeyError):
        sandbox.drop_reply(PROSPECT, b"x")
    endpoint = Endpoint("127.0.0.1", 1, SDR, "secret-value")
    assert "secret-value" not in repr(endpoint)


def test_reply_to_answers_in_the_thread_from_the_prospect() -> None:
    original = outbound(7)
    reply = email.message_from_bytes(
        reply_to(original, body="Talk to Jonas.\n"), policy=policy.default
    )
    assert reply["From"] == f"María López <{PROSPECT}>"
    assert reply["To"] == f"Sam Reyes <{SDR}>"
    assert reply["Subject"] == "Re: Who handles onboarding at Brightwave? (7)"
    assert reply["In-Reply-To"] == "<outbound-7@acme.example>"
    assert reply["References"] == "<outbound-7@acme.example>"
    assert reply["Message-ID"].endswith("@brightwave.example>")
    body = reply.get_content().replace("\r\n", "\n")
    assert body.startswith("Talk to Jonas.\n")
    assert "> who is the right person to talk to about onboarding?" in body

    wire = reply_to(original, body="Talk to Jonas.")
    assert b"\r\n" in wire and not re.search(rb"(?<!\r)\n", wire)


def test_reply_to_a_follow_up_keeps_one_re_and_the_whole_chain() -> None:
    follow_up = (
        b"From: sdr@acme.example\r\nTo: maria@brightwave.example\r\n"
        b"Reply-To: Sam <sam@acme.example>\r\nSubject: RE: onboarding\r\n"
        b"Message-ID: <two@acme.example>\r\nReferences: <one@acme.example>\r\n\r\nAny news?\r\n"
    )
    reply = email.message_from_bytes(
        reply_to(follow_up, body="Jonas.", sender="Jonas <jonas@brightwave.example>", quote=False),
        policy=policy.default,
    )
    assert reply["From"] == "Jonas <jonas@brightwave.example>"
    assert reply["To"] == "Sam <sam@acme.example>"
    assert reply["Subject"] == "RE: onboarding"
    assert reply["References"] == "<one@acme.example> <two@acme.example>"
    assert reply.get_content() == "Jonas.\r\n"
    with pytest.raises(ValueError, match="no To"):
        reply_to(b"From: a@b.example\r\n\r\nx\r\n", body="y")


def test_imap_sees_the_same_bytes_as_the_file_system(sandbox: Sandbox) -> None:
    """LF-only messages are served with CRLF, as IMAP requires; CRLF ones byte for byte."""
    lf_only = outbound().replace(b"\r\n", b"\n")
    sandbox.drop_reply(SDR, lf_only)
    sandbox.drop_reply(SDR, outbound())
    assert list(inbox(sandbox.endpoints.imap).values()) == [outbound(), outbound()]


def test_submitted_mail_is_filed_in_the_senders_sent_folder(tmp_path: Path) -> None:
    """As at Gmail: what a mailbox sends over SMTP appears in its Sent folder, seen."""
    raw = (
        b"From: a@x.test\r\nTo: b@y.test\r\nSubject: hi\r\nMessage-ID: <s1@x.test>\r\n\r\nhello\r\n"
    )
    with Sandbox(tmp_path / "sb", mailboxes=["a@x.test"]) as box:
        endpoints = box.endpoints
        assert endpoints is not None

        async def send() -> None:
            await aiosmtplib.send(
                raw,
                sender="a@x.test",
                recipients=["b@y.test"],
                hostname=endpoints.smtp.host,
                port=endpoints.smtp.port,
                username=endpoints.smtp.username,
                password=endpoints.smtp.password,
                use_tls=False,
                start_tls=False,
            )

        asyncio.run(send())
        with IMAPClient(endpoints.imap.host, port=endpoints.imap.port, ssl=False) as client:
            client.login(endpoints.imap.username, endpoints.imap.password)
            client.select_folder("Sent", readonly=True)
            uids = client.search(["HEADER", "Message-ID", "<s1@x.test>"])
            assert len(uids) == 1
            fetched = client.fetch(uids, ["FLAGS"])
            assert b"\\Seen" in fetched[uids[0]][b"FLAGS"]
