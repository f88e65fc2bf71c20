"""HttpPoster against a real HTTP(S) server on 127.0.0.1, one test per outcome.

`WebhookServer` is a receiver that records every request and answers from a script; the
engine tests drive the hand-off job against it too.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest
import trustme

from prospector import __version__
from prospector.adapters.webhook import HttpPoster
from prospector.domain.signing import verify
from prospector.engine.webhooks import Posted, Request

SECRET = "whsec_0123456789"
BODY = json.dumps({"event": "handoff.created", "handoff": {"id": 7}}).encode()


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        found = json.loads(self.body)
        assert isinstance(found, dict)
        return found


@dataclass(frozen=True)
class Answer:
    status: int = 200
    stall: float = 0.0  # seconds to wait before answering (a hung receiver)
    body: bytes = b'{"ok": true}'
    location: str = ""


@dataclass
class WebhookServer:
    """A receiver on 127.0.0.1: answers from `script` in order (then 200), records requests."""

    script: list[Answer] = field(default_factory=list)
    tls: ssl.SSLContext | None = None
    received: list[Received] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/hooks/prospector"

    def next_answer(self) -> Answer:
        return self.script.pop(0) if self.script else Answer()

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.released.set()  # a stalled handler gives up
        self._server.shutdown()
        self._server.server_close()


def _handler(server: WebhookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            server.received.append(Received(self.path, dict(self.headers.items()), body))
            answer = server.next_answer()
            if answer.stall and server.released.wait(answer.stall):
                return
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.location:
                self.send_header("Location", answer.location)
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


def request(url: str, *, secret: str = SECRET, timeout: float = 5.0) -> Request:
    return Request(
        url=url, body=BODY, event="handoff.created", delivery="7", secret=secret, timeout=timeout
    )


def test_a_delivery_is_posted_signed_with_every_header(receiver: WebhookServer) -> None:
    posted = HttpPoster(clock=lambda: 1767225600.9)(request(receiver.url))
    assert posted == Posted(status=200)
    assert posted.delivered
    [got] = receiver.received
    assert got.path == "/hooks/prospector"
    assert got.json() == {"event": "handoff.created", "handoff": {"id": 7}}
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["User-Agent"] == f"prospector/{__version__}"
    assert got.headers["X-Prospector-Event"] == "handoff.created"
    assert got.headers["X-Prospector-Delivery"] == "7"
    assert got.headers["X-Prospector-Timestamp"] == "1767225600"
    assert verify(SECRET, 1767225600, got.body, got.headers["X-Prospector-Signature"])
    assert not verify(SECRET, 1767225600, got.body + b"x", got.headers["X-Prospector-Signature"])
    assert SECRET not in repr(request(receiver.url))


def test_without_a_secret_nothing_is_signed(receiver: WebhookServer) -> None:
    assert HttpPoster()(request(receiver.url, secret="")).delivered
    [got] = receiver.received
    assert "X-Prospector-Signature" not in got.headers
    assert "X-Prospector-Timestamp" in got.headers


def test_a_server_error_is_retried_and_a_gone_endpoint_is_not(receiver: WebhookServer) -> None:
    receiver.script = [Answer(500, body=b"database down"), Answer(410), Answer(429), Answer(408)]
    poster = HttpPoster()
    error = poster(request(receiver.url))
    assert (error.status, error.delivered, error.permanent) == (500, False, False)
    assert "database down" in error.error
    gone = poster(request(receiver.url))
    assert (gone.status, gone.permanent) == (410, True)
    assert gone.describe().startswith("HTTP 410")
    assert [poster(request(receiver.url)).permanent for _ in range(2)] == [False, False]
    assert len(receiver.received) == 4


def test_a_redirect_is_not_followed_and_fails_for_good(receiver: WebhookServer) -> None:
    receiver.script = [Answer(302, location="http://elsewhere.invalid/x")]
    posted = HttpPoster()(request(receiver.url))
    assert (posted.status, posted.permanent) == (302, True)
    assert "elsewhere.invalid" in posted.error
    assert len(receiver.received) == 1


def test_a_receiver_that_stalls_past_the_timeout_is_retried(receiver: WebhookServer) -> None:
    receiver.script = [Answer(stall=5.0)]
    posted = HttpPoster()(request(receiver.url, timeout=0.3))
    assert posted.status is None
    assert not posted.delivered and not posted.permanent
    assert "timed out" in posted.error


def test_a_refused_connection_is_retried() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    posted = HttpPoster()(request(f"http://127.0.0.1:{port}/hook", timeout=2))
    assert (posted.status, posted.permanent) == (None, False)
    assert "refused" in posted.error


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_https_needs_a_trusted_certificate(ca: trustme.CA) -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    with WebhookServer(tls=server_tls) as server:
        refused = HttpPoster()(request(server.url))  # the system CAs do not know this one
        assert (refused.status, refused.permanent) == (None, False)
        assert "certificate not trusted" in refused.error
        assert server.received == []
        assert HttpPoster(tls_context=client_tls)(request(server.url)).delivered
        assert len(server.received) == 1
