"""Counting the SQL statements of a run, timing its runs, and the process's peak memory."""

from __future__ import annotations

import resource
import statistics
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

# Threads of the app that work on their own schedule, not for any screen.
BACKGROUND_THREADS = frozenset({"audit-sealer", "sqlite-wal-checkpointer"})


class StatementCounter:
    """Counts the SQL statements any engine of this process sends, while installed.

    BEGIN is not counted: SQLite's transactions start with an explicit BEGIN IMMEDIATE
    while psycopg starts them implicitly, and the counts should compare across both.
    It also remembers the engines it saw, so that the benchmark can close the ones the
    AppTest page opened, and can record statements for their query plans.
    """

    def __init__(self) -> None:
        self.count = 0
        self.recorded: list[tuple[str, object]] | None = None
        self.engines: weakref.WeakSet[Engine] = weakref.WeakSet()
        self._lock = threading.Lock()

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip()[:5].upper() == "BEGIN":
            return
        if threading.current_thread().name in BACKGROUND_THREADS:
            return  # the app's own upkeep (WAL checkpoints, sealing the audit trail)
        with self._lock:
            self.count += 1
            self.engines.add(conn.engine)
            if self.recorded is not None and not executemany:
                self.recorded.append((statement, parameters))

    def __enter__(self) -> StatementCounter:
        event.listen(Engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(Engine, "before_cursor_execute", self._on_execute)

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, object]]]:
        self.recorded = []
        try:
            yield self.recorded
        finally:
            self.recorded = None


class Stopwatch:
    """Times one block of a run and counts its statements; a run may do untimed setup."""

    def __init__(self, counter: StatementCounter) -> None:
        self._counter = counter
        self.seconds: float | None = None
        self.statements = 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        self._counter.count = 0
        started = time.perf_counter()
        yield
        self.seconds = time.perf_counter() - started
        self.statements = self._counter.count


def measure(*, runs: int, counter: StatementCounter,
            run: Callable[[int, Stopwatch], None]) -> tuple[float, int]:
    """(median milliseconds, most statements) of `runs` runs after one warm-up run.

    The warm-up fills what any real process has warm after its first request: SQLite's
    page cache, SQLAlchemy's compiled statements, imported modules.
    """
    times, counts = [], []
    for index in range(runs + 1):
        watch = _timed(run, index, counter)
        if index:
            times.append(watch.seconds)
            counts.append(watch.statements)
    return statistics.median(times) * 1000, max(counts)


def _timed(run: Callable[[int, Stopwatch], None], index: int,
           counter: StatementCounter) -> Stopwatch:
    """Run `run` once, as its run number `index`; its stopwatch, which must have timed."""
    watch = Stopwatch(counter)
    run(index, watch)
    if watch.seconds is None:
        raise RuntimeError("a benchmark run did not time anything")
    return watch


def measure_beside(*, runs: int, counter: StatementCounter,
                   run: Callable[[int, Stopwatch], None],
                   reference: Callable[[int, Stopwatch], None]
                   ) -> tuple[tuple[float, int], float]:
    """((median milliseconds, most statements) of `run`, median milliseconds of
    `reference`), their runs taken in turn after one warm-up of each: both sides of a
    ratio see the same machine, whose speed on a shared host swings by half within
    minutes."""
    times, counts, reference_times = [], [], []
    for index in range(runs + 1):
        reference_watch = _timed(reference, index, counter)
        watch = _timed(run, index, counter)
        if index:
            reference_times.append(reference_watch.seconds)
            times.append(watch.seconds)
            counts.append(watch.statements)
    return ((statistics.median(times) * 1000, max(counts)),
            statistics.median(reference_times) * 1000)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
