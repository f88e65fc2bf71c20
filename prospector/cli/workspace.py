"""The composition root: the one place that turns a config path into live objects."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from prospector.config import CONFIG_NAME, Settings, load_settings
from prospector.store.db import make_engine, upgrade


def config_path(option: Path | None) -> Path:
    """--config wins, then $PROSPECTOR_CONFIG, then ./config.toml."""
    if option is not None:
        return option
    return Path(os.environ.get("PROSPECTOR_CONFIG", CONFIG_NAME))


@dataclass
class Workspace:
    """Settings plus a migrated database engine, built lazily so `--help` stays instant."""

    settings: Settings

    @classmethod
    def open(cls, path: Path) -> Workspace:
        return cls(load_settings(path))

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.database_url)
        upgrade(engine)
        return engine
