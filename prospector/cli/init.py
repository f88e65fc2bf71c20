"""`prospector init`: a working folder with a config, sequences, templates and sample contacts.

The files ship inside the package (prospector/skeleton), so an installed prospector can
create a workspace without the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import typer

from prospector.cli.output import console
from prospector.config import CONFIG_NAME
from prospector.errors import ProspectorError

# skeleton path -> where it goes in the new workspace
_FILES = {"config.example.toml": CONFIG_NAME, "contacts.csv": "contacts.csv"}
_FOLDERS = ("sequences", "templates")


def register(app: typer.Typer) -> None:
    """Add `init` to the app."""
    app.command("init")(init_command)


def init_command(
    directory: Path = typer.Argument(Path("."), help="Folder to create the workspace in."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
) -> None:
    """Create config.toml, sequences/, templates/ and a sample contacts.csv in DIRECTORY.

    Existing files are never overwritten unless --force is given.

    Example: prospector init my-workspace && cd my-workspace && prospector validate
    """
    plan = skeleton_plan(directory)
    existing = [target for target in plan if target.exists()]
    if existing and not force:
        listed = "\n".join(f"  {path}" for path in existing)
        raise ProspectorError(
            f"these files already exist; nothing was written (use --force to overwrite):\n{listed}"
        )
    for target, source in plan.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        console.print(f"created {target}", markup=False)
    console.print(
        f"\nNext: edit {directory / CONFIG_NAME} (sender, mailboxes, ICP), then run "
        "`prospector validate`.",
        markup=False,
    )


def skeleton_plan(directory: Path) -> dict[Path, Traversable]:
    """Every file to write, target -> packaged source, in a stable order."""
    root = files("prospector") / "skeleton"
    plan: dict[Path, Traversable] = {}
    for name, target in _FILES.items():
        plan[directory / target] = root / name
    for folder in _FOLDERS:
        entries = sorted((root / folder).iterdir(), key=lambda entry: entry.name)
        for entry in entries:
            if entry.is_file() and not entry.name.startswith("."):
                plan[directory / folder / entry.name] = entry
    return plan
