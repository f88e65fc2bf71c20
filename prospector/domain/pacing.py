"""Human pacing: a randomised gap between two sends from one mailbox, never a burst."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def _check_bounds(min_seconds: float, max_seconds: float) -> None:
    """A bad gap setting is a configuration error, reported whether or not a draw happens."""
    if min_seconds < 0 or max_seconds < 0:
        raise ValueError(f"gap bounds must not be negative, got {min_seconds}-{max_seconds}")
    if min_seconds > max_seconds:
        raise ValueError(f"gap minimum {min_seconds} is above its maximum {max_seconds}")


def gap(rng: random.Random, *, min_seconds: float, max_seconds: float) -> float:
    """Seconds to wait before the next send, uniform in [min, max] so no rhythm shows.

    The generator is passed in so that tests (and replays) are deterministic; 0-0 is allowed
    so that tests need not wait.
    """
    _check_bounds(min_seconds, max_seconds)
    return min(max(rng.uniform(min_seconds, max_seconds), min_seconds), max_seconds)


def next_send_after(
    last_sent: datetime | None,
    *,
    rng: random.Random,
    min_seconds: float,
    max_seconds: float,
) -> datetime | None:
    """The earliest time the mailbox may send again; None when it has never sent.

    Nothing is drawn for a first send, so the generator's sequence is only spent on real gaps.
    """
    if last_sent is None:
        _check_bounds(min_seconds, max_seconds)
        return None
    return last_sent + timedelta(seconds=gap(rng, min_seconds=min_seconds, max_seconds=max_seconds))
