"""The benchmark of SPEC section 10: what the screens' data costs at clinic scale, beside the floor.

Developer tooling, run from a checkout of the repository (`python -m dashboard bench`);
not part of the installed app.

`run_benchmark` (run.py) builds the deterministic demo caseload in a database of its own
(scratch.py: a temporary SQLite file, or a fresh PostgreSQL database on the server of
the settings' database, dropped afterwards: real data and real keys are never touched),
adds one counselor to whom every client consents (cast.py), then measures each screen's
figure as the median of its runs after a warm-up (screens.py, timing.py), then every
screen's whole page run through AppTest beside Today's (page_runs.py).

Beside each figure it measures the floor: the same numbers computed by one hand-written
SQL statement over the same tables (floors.py, also used by the tests to check that
floor and service agree). The ratio between the two is the overhead of the service:
consent checks, audit events, the flags sweep, the ORM and Python.

Then concurrent writers save check-ins at once, and every save that returned is checked
against the database (writes.py). report.py prints the figures, or writes them as JSON;
plans.py shows the query plans of the screens' statements.
"""

from benchmarks.cast import add_bench_counselor
from benchmarks.errors import BenchError
from benchmarks.floors import (
    RISK_BY_RANK,
    floor_alert_queue,
    floor_caseload,
    floor_checkin_save,
    floor_client_detail,
    floor_weekly_review,
    zones_in_use,
)
from benchmarks.plans import explain, full_scans
from benchmarks.report import FIGURES, PAGE_FIGURES, BenchReport, format_report
from benchmarks.run import run_benchmark, validate_options
from benchmarks.screens import caseload_data
from benchmarks.timing import StatementCounter
from benchmarks.writes import find_lost_writes, run_concurrent_checkins

__all__ = [
    "FIGURES",
    "PAGE_FIGURES",
    "RISK_BY_RANK",
    "BenchError",
    "BenchReport",
    "StatementCounter",
    "add_bench_counselor",
    "caseload_data",
    "explain",
    "find_lost_writes",
    "floor_alert_queue",
    "floor_caseload",
    "floor_checkin_save",
    "floor_client_detail",
    "floor_weekly_review",
    "format_report",
    "full_scans",
    "run_benchmark",
    "run_concurrent_checkins",
    "validate_options",
    "zones_in_use",
]
