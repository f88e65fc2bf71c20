"""Spread the CPU half of an import over worker processes, keeping chunks in file order.

Parsing and validating a row costs more than writing it, and SQLite has one writer: so
workers prepare chunks while the main process writes. At most a few chunks are in
flight, so memory stays flat however large the file.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from prospector.engine.batching import chunked
from prospector.engine.csv_source import Layout
from prospector.engine.import_prep import ImportRules, PreparedChunk, Row, prepare
from prospector.engine.import_stage import StagedChunk, staged

CHUNK = 1000
IN_FLIGHT_PER_WORKER = 3
_state: tuple[Layout, ImportRules, bool] | None = None


def default_workers() -> int:
    """One worker per core: the writer spends much of its time waiting on the database.

    Measured on 2 cores (bench/contacts.py, 200,000 rows): 1 worker 14,200 rows/s,
    2 workers 15,100 rows/s.
    """
    return max(1, os.cpu_count() or 1)


def prepared_chunks(
    rows: Iterable[Row],
    layout: Layout,
    rules: ImportRules,
    *,
    workers: int,
    size: int = CHUNK,
    stage: bool = False,
) -> Iterator[PreparedChunk | StagedChunk]:
    """Prepared chunks of `size` rows in file order; `workers=0` prepares them here.

    With `stage`, each chunk comes staged for a SQLite writer (see import_stage.py).
    """
    chunks = chunked(rows, size)
    if workers <= 0:
        for chunk in chunks:
            yield _prepared(chunk, layout, rules, stage)
        return
    context = multiprocessing.get_context("spawn")  # no fork: the parent may hold threads
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init, initargs=(layout, rules, stage)
    ) as pool:
        pending: deque[Future[PreparedChunk | StagedChunk]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_prepare, chunk))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _init(layout: Layout, rules: ImportRules, stage: bool) -> None:
    global _state
    _state = (layout, rules, stage)


def _prepare(chunk: list[Row]) -> PreparedChunk | StagedChunk:
    assert _state is not None, "worker used before its initializer ran"
    return _prepared(chunk, *_state)


def _prepared(
    chunk: list[Row], layout: Layout, rules: ImportRules, stage: bool
) -> PreparedChunk | StagedChunk:
    prepared = prepare(chunk, layout, rules)
    return staged(prepared, rules) if stage else prepared
