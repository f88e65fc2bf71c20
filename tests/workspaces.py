"""Workspaces made the way a user makes them: `prospector init`, then the config edited."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from prospector.cli import app


def make_workspace(
    tmp_path: Path, *, extra: str = "", replace: dict[str, str] | None = None
) -> Path:
    """`prospector init`, then the config edited the way a user would."""
    ws = tmp_path / "ws"
    result = CliRunner().invoke(app, ["init", str(ws)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    config = ws / "config.toml"
    text = config.read_text()
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    config.write_text(text + extra)
    return ws
