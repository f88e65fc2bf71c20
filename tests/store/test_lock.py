"""One daemon per database, on SQLite (a file lock) and PostgreSQL (an advisory lock)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from prospector.store.lock import AlreadyRunning, daemon_lock


def test_a_second_holder_is_refused_until_the_first_lets_go(any_engine: Engine) -> None:
    with (
        daemon_lock(any_engine),
        pytest.raises(AlreadyRunning, match="another prospector daemon"),
        daemon_lock(any_engine),
    ):
        pass
    with daemon_lock(any_engine):  # released: taken again
        pass
