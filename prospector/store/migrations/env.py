"""Alembic environment: runs against the engine prospector hands it."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import prospector.store.tables  # noqa: F401  (registers the tables on the metadata)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
        )
        context.run_migrations()


run_migrations_online()
