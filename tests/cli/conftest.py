"""CLI fixtures: a workspace made by `prospector init`, as a user would start."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from prospector.cli import app

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False)


def cli(ws: Path, *args: str) -> Result:
    """Run a command against the workspace's config."""
    return run("--config", str(ws / "config.toml"), *args)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A fresh workspace made by `prospector init`."""
    result = run("init", str(tmp_path / "ws"))
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"
