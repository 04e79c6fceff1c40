"""The benchmark's timing of a page beside its reference (benchmarks/timing.py)."""

from __future__ import annotations

import pytest

from benchmarks.timing import StatementCounter, measure_beside


def test_a_run_and_its_reference_are_taken_in_turn_after_a_warm_up_of_each(monkeypatch):
    order = []
    # Made-up seconds: each run's time is what the clock moves by while it runs.
    clock = iter(range(1000))
    monkeypatch.setattr("benchmarks.timing.time.perf_counter", lambda: next(clock) / 1000)

    def timed(name: str, ms: int):
        def run(index: int, watch) -> None:
            order.append((name, index))
            with watch():
                for _ in range(ms - 1):
                    next(clock)
        return run

    (median, statements), reference = measure_beside(
        runs=3, counter=StatementCounter(), run=timed("page", 7), reference=timed("today", 3))
    assert order == [("today", 0), ("page", 0), ("today", 1), ("page", 1), ("today", 2),
                     ("page", 2), ("today", 3), ("page", 3)]
    assert (median, statements, reference) == (pytest.approx(7.0), 0, pytest.approx(3.0))


def test_a_run_that_times_nothing_is_an_error():
    with pytest.raises(RuntimeError, match="did not time anything"):
        measure_beside(runs=1, counter=StatementCounter(), run=lambda index, watch: None,
                       reference=lambda index, watch: None)
