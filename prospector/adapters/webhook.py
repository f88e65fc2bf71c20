"""POSTing a hand-off to a webhook over HTTP(S), with the standard library only.

TLS is verified against the system CAs unless a context is given (a test CA, a private
one). Redirects are not followed: urllib would turn a redirected POST into a GET without
the body, and a signed hand-off must not be forwarded to a host nobody configured; a 3xx
is reported as a permanent failure (fix `webhook_url`). Nothing here raises for a network
or HTTP problem: the engine gets a `Posted` and decides about retrying.
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import IO, Any

from prospector import __version__
from prospector.domain.signing import signature
from prospector.engine.webhooks import Posted, Request

USER_AGENT = f"prospector/{__version__}"
ERROR_BODY_BYTES = 300  # of a refusal's body, kept in webhook_error to say why


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand the 3xx back as an HTTPError instead of following it."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


class HttpPoster:
    """The engine's `Poster` over urllib: one POST per call, answers returned, never raised."""

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tls_context = tls_context or ssl.create_default_context()
        self.clock = clock
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.tls_context), _NoRedirect()
        )

    def headers(self, request: Request, timestamp: int) -> dict[str, str]:
        """What the receiver reads (the README documents them); signed when a secret is set."""
        found = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Prospector-Event": request.event,
            "X-Prospector-Delivery": request.delivery,
            "X-Prospector-Timestamp": str(timestamp),
        }
        if request.secret:
            found["X-Prospector-Signature"] = signature(request.secret, timestamp, request.body)
        return found

    def __call__(self, request: Request) -> Posted:
        # Signed when sent, not when the run started: a receiver checks the timestamp's age.
        timestamp = int(self.clock())
        outgoing = urllib.request.Request(
            request.url,
            data=request.body,
            headers=self.headers(request, timestamp),
            method="POST",
        )
        try:
            with self._opener.open(outgoing, timeout=request.timeout) as response:
                response.read(ERROR_BODY_BYTES)  # a short read: the answer is the status
                return Posted(status=int(response.status))
        except urllib.error.HTTPError as refused:
            return Posted(status=refused.code, error=_refusal(refused))
        except urllib.error.URLError as failed:
            return Posted(error=_reason(failed.reason))
        except (OSError, http.client.HTTPException) as failed:  # timeouts, resets, bad replies
            return Posted(error=_reason(failed))


def _refusal(refused: urllib.error.HTTPError) -> str:
    """The status's reason, the Location of a redirect, the start of the body."""
    parts = [str(refused.reason or "")]
    if 300 <= refused.code < 400:
        parts.append(f"redirected to {refused.headers.get('Location', '?')}: fix webhook_url")
    try:
        body = refused.read(ERROR_BODY_BYTES).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        body = ""
    if body:
        parts.append(" ".join(body.split()))
    return ": ".join(p for p in parts if p)


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out waiting for the receiver"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {reason.verify_message or reason}"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return str(reason)
