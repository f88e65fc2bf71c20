"""One TLS policy for every client: verified by default, unverified only when configured."""

from __future__ import annotations

import ssl

from prospector.config import Server


def client_context(server: Server, given: ssl.SSLContext | None) -> ssl.SSLContext | None:
    """None for a plain connection; else `given` (e.g. a test CA) or the system CAs,
    with verification off only where the config says `verify_tls = false`."""
    if server.security == "none":
        return None
    if given is not None:
        return given
    context = ssl.create_default_context()
    if not server.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
