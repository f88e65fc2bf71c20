"""Shared fixtures: real SQLite files and a real PostgreSQL cluster, never mocks."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from prospector.store.db import make_engine, upgrade
from tests.servers import postgres_cluster

pytest_plugins = ["tests.conftest_smtp", "tests.conftest_imap"]

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_base() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_base: str) -> Iterator[Engine]:
    name = f"t{next(_names)}"
    admin = create_engine(f"{postgres_base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{postgres_base}/{name}")
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on both supported databases."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]
