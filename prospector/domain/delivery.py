"""What one SMTP attempt came to, in the terms the sending engine acts on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """`sent`: the server took the message; `temporary`: try again later, same Message-ID;
    `permanent`: trying again cannot help."""

    SENT = "sent"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


class Scope(StrEnum):
    """Whose problem a failure is, because each is handled differently.

    `recipient`: the address (5xx at RCPT: a hard bounce, suppress it); `message`: this
    message's content (5xx after DATA: hold it for a human); `mailbox`: the sending side
    (connect, TLS, AUTH, MAIL FROM, 421): pause the mailbox, never blame the prospect.
    """

    NONE = "none"
    RECIPIENT = "recipient"
    MESSAGE = "message"
    MAILBOX = "mailbox"


@dataclass(frozen=True)
class Delivery:
    verdict: Verdict
    scope: Scope = Scope.NONE
    code: int | None = None  # the SMTP reply code, when the server gave one
    detail: str = ""  # the server's text or the local error, for the log and `status`
    copies_sent: bool = False  # the prospect's address failed, but the copies (an AE) got it

    @property
    def sent(self) -> bool:
        return self.verdict is Verdict.SENT


SENT = Delivery(Verdict.SENT)
