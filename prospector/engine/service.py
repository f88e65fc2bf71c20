"""The daemon: periodic jobs on APScheduler, a clean stop on SIGTERM/SIGINT, `--once` for cron.

Jobs are plain callables taking `now`; dispatch is the first, and the ingest, nurture and
digest jobs plug in the same way. A job that raises is logged and tried again on its next
run: one bad tick never stops the daemon.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from prospector.store import outbox
from prospector.store.db import transaction
from prospector.store.events import record_event

log = logging.getLogger("prospector.service")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[datetime], Any]


# A watcher runs on its own thread until the event is set, calling `wake` when the job it
# serves should run now rather than at its next interval (e.g. IMAP IDLE saw new mail).
Watcher = Callable[[Callable[[], None], threading.Event], None]


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Service:
    """Owns the stop flag every job checks between two items of work."""

    def __init__(
        self, engine: Engine, jobs: Sequence[Job], *, clock: Callable[[], datetime] = wall_clock
    ) -> None:
        self.engine = engine
        self.jobs = jobs
        self.clock = clock
        self.stop_requested = threading.Event()
        self.watchers: list[tuple[str, Watcher]] = []  # (job name, watcher)

    def stopping(self) -> bool:
        return self.stop_requested.is_set()

    def start_up(self) -> list[int]:
        """Rows a previous process left "sending" are marked uncertain: never resent blindly."""
        now = self.clock()
        with transaction(self.engine) as session:
            ids = outbox.mark_uncertain(session)
            for message_row in ids:
                record_event(
                    session,
                    "message.uncertain",
                    at=now,
                    data={"message": message_row, "why": "the sender stopped mid-send"},
                )
        if ids:
            log.warning(
                "%d message(s) were being sent when prospector last stopped; they are marked"
                " uncertain and will not be resent until checked (prospector status)",
                len(ids),
            )
        return ids

    def run_once(self) -> dict[str, Any]:
        """Every job once, in order; what each returned (or the error it raised)."""
        results: dict[str, Any] = {}
        for job in self.jobs:
            results[job.name] = self._run(job)
        return results

    def serve(self) -> None:
        """Run until SIGTERM or SIGINT; the item in flight finishes, then the process exits."""
        scheduler = BlockingScheduler(timezone=UTC)
        for job in self.jobs:
            scheduler.add_job(
                self._run,
                "interval",
                args=[job],
                seconds=job.every_seconds,
                id=job.name,
                next_run_time=self.clock() + timedelta(milliseconds=10),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info(
                "%s received: finishing the item in flight, then stopping",
                signal.Signals(signum).name,
            )
            self.stop_requested.set()
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}).start()

        for name, watcher in self.watchers:
            threading.Thread(
                target=watcher,
                args=(functools.partial(_wake, scheduler, name), self.stop_requested),
                name=f"watch-{name}",
                daemon=True,
            ).start()
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        log.info(
            "prospector running: %s",
            ", ".join(f"{job.name} every {job.every_seconds:g}s" for job in self.jobs),
        )
        try:
            scheduler.start()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("prospector stopped")

    def _run(self, job: Job) -> Any:
        if self.stopping():
            return None
        try:
            result = job.run(self.clock())
        except Exception as exc:  # one bad run is logged; the next run tries again
            log.exception("job %s failed: %s", job.name, exc)
            return exc
        if result:
            log.info("%s: %s", job.name, result)
        return result


def _wake(scheduler: BlockingScheduler, name: str) -> None:
    """Run the job now; a wake during a run coalesces into one more run."""
    try:
        scheduler.modify_job(name, next_run_time=datetime.now(UTC))
    except Exception:  # the scheduler is shutting down: nothing to wake
        log.debug("could not wake %s", name, exc_info=True)
