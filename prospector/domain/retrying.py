"""How long to wait after a failed attempt: growing delays, so a sick server is not hammered."""

from __future__ import annotations

from datetime import timedelta

MESSAGE_FIRST_DELAY = timedelta(minutes=1)
MAILBOX_FIRST_PAUSE = timedelta(minutes=15)
LONGEST_WAIT = timedelta(hours=6)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt of one message: 1 min, 4, 16, 64, 4 h 16, then 6 h."""
    if attempts < 1:
        raise ValueError(f"attempts counts from 1, got {attempts}")
    growth: int = 4 ** (attempts - 1)
    return min(MESSAGE_FIRST_DELAY * growth, LONGEST_WAIT)


def mailbox_pause(failures: int, *, threshold: int) -> timedelta | None:
    """A mailbox rests once `threshold` failures in a row were its own: 15 min, doubling, 6 h.

    None below the threshold: one dropped connection is not worth a pause.
    """
    if failures < threshold:
        return None
    growth: int = 2 ** (failures - threshold)
    return min(MAILBOX_FIRST_PAUSE * growth, LONGEST_WAIT)
