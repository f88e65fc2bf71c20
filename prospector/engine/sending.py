"""The dispatch job of the daemon: keeps its sequences fresh and runs one tick per call.

Sequences and templates are re-read when a file in their folders changes, so an SDR's
edit applies on the next tick without a restart. A sequence that fails validation is not
sent (its steps wait, and the problem is logged once); nothing is lost while it is fixed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from prospector.config import Settings
from prospector.engine.catalog import load_sequences
from prospector.engine.dispatch import Dispatcher, TickReport, TransportFactory
from prospector.engine.reconcile import SentFolders
from prospector.engine.validation import concerns, validate_workspace
from prospector.mail.render import environment

log = logging.getLogger("prospector.dispatch")


class SendingJob:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        transports: TransportFactory,
        *,
        rng: random.Random | None = None,
        stopping: Callable[[], bool] = lambda: False,
        sent_folders: SentFolders | None = None,
    ) -> None:
        self.engine = engine
        self.sent_folders = sent_folders
        self.settings = settings
        self.transports = transports
        self.rng = rng or random.Random()
        self.stopping = stopping
        self._signature: tuple[tuple[str, float], ...] | None = None
        self._dispatcher: Dispatcher | None = None

    def __call__(self, now: datetime) -> TickReport:
        return asyncio.run(self.dispatcher().tick(now))

    def dispatcher(self) -> Dispatcher:
        """The current Dispatcher, rebuilt when a sequence or template file changed."""
        signature = self._files_signature()
        if self._dispatcher is None or signature != self._signature:
            self._dispatcher = self._build()
            self._signature = signature
        return self._dispatcher

    def _build(self) -> Dispatcher:
        sequences, _ = load_sequences(self.settings)
        problems = [p for p in validate_workspace(self.settings) if p.severity == "error"]
        broken = {
            name: next((str(p) for p in problems if concerns(p, self.settings, seq)), None)
            for name, seq in sequences.items()
        }
        for name, problem in broken.items():
            if problem is not None:
                log.error("sequence %s is not sent until fixed: %s", name, problem)
        usable = {name: seq for name, seq in sequences.items() if broken[name] is None}
        return Dispatcher(
            self.engine,
            self.settings,
            usable,
            environment(self.settings.templates_dir),
            self.transports,
            rng=self.rng,
            stopping=self.stopping,
            unusable={name for name, problem in broken.items() if problem is not None},
            sent_folders=self.sent_folders,
        )

    def _files_signature(self) -> tuple[tuple[str, float], ...]:
        files: list[Path] = []  # config changes need a restart: they reshape everything
        for folder in (self.settings.sequences_dir, self.settings.templates_dir):
            if folder.is_dir():
                files.extend(sorted(folder.iterdir()))
        return tuple((str(path), _mtime(path)) for path in files)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0
