"""The benchmark of SPEC section 10 from start to end: its options, its scratch database
built at scale, the screens' figures, the concurrent writers, and the report."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

from sqlalchemy import Engine

from benchmarks.browser_runs import measure_in_browser
from benchmarks.cast import BENCH_COUNSELOR, add_bench_counselor, pick_cast
from benchmarks.login_flood import FLOODERS, saves_under_login_flood
from benchmarks.report import BenchReport
from benchmarks.scratch import ScratchDatabase, scratch_database, scratch_settings
from benchmarks.screens import measure_screens
from benchmarks.timing import peak_rss_mb
from benchmarks.writes import find_lost_writes, run_concurrent_checkins
from dashboard import clock
from dashboard.config import Settings
from dashboard.demo import (
    DEMO_PASSWORD,
    MAX_DAYS,
    MAX_MEMBERS,
    MIN_DAYS,
    MIN_MEMBERS,
    load_demo,
)
from dashboard.encryption_keys import configure_keys
from dashboard.errors import ValidationError
from models.db import (
    make_engine,
    make_session_factory,
    start_wal_checkpointer,
    upgrade_to_head,
    wal_checkpoint,
)

BENCH_SEED = 7
DEFAULT_MEMBERS, DEFAULT_DAYS, DEFAULT_RUNS = 2_000, 365, 7
MAX_RUNS = 100
DEFAULT_WRITERS, MAX_WRITERS = 8, 64
DEFAULT_WRITE_SECONDS, MAX_WRITE_SECONDS = 5.0, 600.0

ProgressCallback = Callable[[str], None]


def validate_options(*, members: int, days: int, runs: int, writers: int,
                     write_seconds: float) -> None:
    """ValidationError, one message per bad option, before anything is built."""
    errors = {}
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        errors["members"] = f"--members must be between {MIN_MEMBERS} and {MAX_MEMBERS:,}."
    if not MIN_DAYS <= days <= MAX_DAYS:
        errors["days"] = f"--days must be between {MIN_DAYS} and {MAX_DAYS:,}."
    if not 1 <= runs <= MAX_RUNS:
        errors["runs"] = f"--runs must be between 1 and {MAX_RUNS}."
    if not 1 <= writers <= MAX_WRITERS:
        errors["writers"] = f"--writers must be between 1 and {MAX_WRITERS}."
    if not 0 < write_seconds <= MAX_WRITE_SECONDS:
        errors["write_seconds"] = (
            f"--write-seconds must be above 0 and at most {MAX_WRITE_SECONDS:g}.")
    if errors:
        raise ValidationError(errors)


def run_benchmark(
    *, settings: Settings, members: int = DEFAULT_MEMBERS, days: int = DEFAULT_DAYS,
    runs: int = DEFAULT_RUNS, writers: int = DEFAULT_WRITERS,
    write_seconds: float = DEFAULT_WRITE_SECONDS, explain_plans: bool = False,
    browser: bool = False, progress: ProgressCallback | None = None,
) -> BenchReport:
    """Build the demo at this scale in a scratch database, measure every figure, clean up.

    The scratch database is a temporary SQLite file, or a new database on the PostgreSQL
    server of `settings.database_url`: never that database itself. The rest of `settings`
    (flag thresholds, milestones, lockout) is what the app's code runs on meanwhile.
    `browser`: also every screen in Chromium (browser_runs.py).
    """
    validate_options(members=members, days=days, runs=runs, writers=writers,
                     write_seconds=write_seconds)
    say = progress or (lambda message: None)
    with (scratch_database(database_url=settings.database_url) as scratch,
          scratch_settings(settings, scratch=scratch) as ours):
        # As the app opens it, with its background checkpoints on SQLite (models/db.py).
        engine = make_engine(scratch.url)
        checkpointer = start_wal_checkpointer(engine)
        try:
            return _run(engine=engine, scratch=scratch, settings=ours, members=members,
                        days=days, runs=runs, writers=writers, write_seconds=write_seconds,
                        explain_plans=explain_plans, browser=browser, say=say)
        finally:
            gc.unfreeze()  # the measurements froze what the load left (see _run)
            if checkpointer is not None:
                checkpointer.stop()
            engine.dispose()


def _run(*, engine: Engine, scratch: ScratchDatabase, settings: Settings, members: int,
         days: int, runs: int, writers: int, write_seconds: float, explain_plans: bool,
         browser: bool, say: ProgressCallback) -> BenchReport:
    now = clock.now()  # every figure is "as of" the start of the run
    say(f"Building {members:,} members x {days} days in a {scratch.where}")
    upgrade_to_head(engine)
    # The notes are encrypted at rest, so the figures include that cost, as the app's.
    configure_keys(settings=settings, engine=engine)
    summary = load_demo(
        engine=engine, members=members, days=days, seed=BENCH_SEED, now=now,
        progress=lambda fraction, message: say(f"{fraction:4.0%} {message}"),
    )
    counselor_id = add_bench_counselor(engine, now=now)
    if scratch.dialect == "postgresql":
        # Autovacuum would vacuum and analyze the new rows within minutes in a real clinic;
        # the benchmark measures that steady state (planner statistics, and a visibility
        # map that lets index-only scans skip the table) rather than the minute after a load.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        # Likewise on SQLite: the load's write-ahead log copied into the database file, as
        # the app's background checkpoints would have done long before a counselor looks.
        wal_checkpoint(engine, "TRUNCATE")
    # The app's process holds no half-million rows it just built: leave the load's objects
    # out of the garbage collector's full passes, which would otherwise walk them all
    # during the measurements.
    gc.collect()
    gc.freeze()
    cast = pick_cast(engine, counselor_id=counselor_id, now=now, savers=2 * (runs + 1),
                     writers=writers)
    factory = make_session_factory(engine)
    figures, plans = measure_screens(engine=engine, factory=factory, settings=settings,
                                     cast=cast, runs=runs, explain_plans=explain_plans,
                                     now=now, say=say)
    # Before the writers and the login flood change the data and the counselor's logins.
    browser_loads = (measure_in_browser(settings=settings, cast=cast, runs=runs, say=say)
                     if browser else [])

    say(f"{writers} writers saving check-ins for {write_seconds:g} s")
    load = run_concurrent_checkins(session_factory=factory, writers=cast.writers,
                                   shared=cast.shared_writer, seconds=write_seconds, now=now)
    load.lost_writes = find_lost_writes(factory, load)

    flood_seconds = min(write_seconds, 3.0)
    say(f"One member's saves alone, then under a flood of {FLOODERS} logins")
    flood = saves_under_login_flood(
        factory=factory, saver=cast.shared_writer, username=BENCH_COUNSELOR,
        password=DEMO_PASSWORD, settings=settings, seconds=flood_seconds, now=now)

    return BenchReport(
        members=members, days=days, checkins=summary.checkins, database=scratch.dialect,
        where=scratch.where, runs=runs, figures=figures, write_load=load, login_flood=flood,
        peak_rss_mb=peak_rss_mb(), load_average=os.getloadavg(), cpus=os.cpu_count() or 1,
        plans=plans, browser_loads=browser_loads,
    )
