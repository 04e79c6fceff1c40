"""The benchmark of SPEC section 10: what the screens' data costs at clinic scale, beside the floor.

`run_benchmark` builds the deterministic demo caseload in a database of its own (a
temporary SQLite file, or a fresh PostgreSQL database on the server of DATABASE_URL,
dropped afterwards: real data is never touched), adds one counselor to whom every
client consents, then measures each figure as the median of its runs after a warm-up.

Beside each figure it measures the floor: the same numbers computed by one hand-written
SQL statement over the same tables (`floor_*` below, also used by the tests to check
that floor and service agree). The ratio between the two is the overhead of the
service: consent checks, audit events, the flags sweep, the ORM and Python.

Statements are counted with a `before_cursor_execute` listener on every engine of the
process (the AppTest page opens its own engine), so a statement per client would show
as a count that grows with the caseload.

Every figure runs "as of" the moment the run starts: the demo is loaded as of it and
the services are given it as `now`, so every date is relative to it and runs on
different days read rows of the same shape. The AppTest page run reads the clock itself,
as the app does, a few minutes later at most. Days are each member's own: the floors
take "today" per time zone, as the services do.

Concurrent writers (`run_concurrent_checkins`) are threads with a session each, as the
browser sessions of one app process are; `find_lost_writes` checks every save that
returned against the database.

Nothing here imports Streamlit except the AppTest figure, inside its functions.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import resource
import secrets
import statistics
import sys
import tempfile
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import (
    Boolean,
    Date,
    Engine,
    Float,
    Integer,
    String,
    bindparam,
    event,
    func,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from dashboard import clock, two_factor
from dashboard.config import AUDIT_SECRET_ENV as SECRET_ENV
from dashboard.auth import Actor, actor_from_user, log_in
from dashboard.caseload import alert_queue, caseload_for
from dashboard.checkins import CheckInForm, save_checkin
from dashboard.config import ENCRYPTION_KEYS_ENV, load_settings
from dashboard.demo import DEMO_PASSWORD, MAX_DAYS, MAX_MEMBERS, MIN_DAYS, MIN_MEMBERS, load_demo
from dashboard.errors import ValidationError
from dashboard.encryption_keys import configure_keys
from dashboard.policy import consent_is_active
from dashboard.member_record import member_record
from dashboard.write_turns import run_transaction
from dashboard.timeutil import local_today
from dashboard.weekly_review import CONTEXT_WEEKS, iso_week_of, week_monday, weekly_review_for
from models import AuditEvent, CheckIn, Consent, Flag, MemberProfile, User, UserRole
from models.base import UTCDateTime
from models.db import (
    make_engine,
    make_session_factory,
    start_wal_checkpointer,
    upgrade_to_head,
    wal_checkpoint,
)

BENCH_SEED = 7
BENCH_COUNSELOR = "bench_counselor"
APP_ENTRY = Path(__file__).resolve().parent / "app.py"
CASELOAD_PAGE = "../pages/caseload.py"  # relative to the entry script, as AppTest wants it

DEFAULT_MEMBERS, DEFAULT_DAYS, DEFAULT_RUNS = 2_000, 365, 7
MAX_RUNS = 100
DEFAULT_WRITERS, MAX_WRITERS = 8, 64
DEFAULT_WRITE_SECONDS, MAX_WRITE_SECONDS = 5.0, 600.0
# Enough for any sane number of seconds; the time limit is what normally ends a writer.
MAX_WRITES_PER_WRITER = 100_000
PAGE_TIMEOUT_SECONDS = 120

ProgressCallback = Callable[[str], None]


class BenchError(Exception):
    """A problem that stops the benchmark, told in one line (no CREATEDB, a page failed)."""


# ---------------------------------------------------------------------------------------
# The figures.


@dataclass(frozen=True)
class FigureSpec:
    name: str  # stable, for the JSON
    label: str  # for the printed table
    budget_ms: float | None


CASELOAD = FigureSpec("caseload", "caseload data", 300)
WEEKLY_REVIEW = FigureSpec("weekly_review", "weekly review data", 100)
CLIENT_DETAIL = FigureSpec("client_detail", "client detail data, 365 days", 100)
ALERT_QUEUE = FigureSpec("alert_queue", "alert queue", 100)
CHECKIN_SAVE = FigureSpec("checkin_save", "check-in save with flags", 30)
CASELOAD_PAGE_RUN = FigureSpec("caseload_page", "Caseload page (AppTest)", 2_000)
LOGIN = FigureSpec("login", "login (argon2id verify)", None)
FIGURES = (CASELOAD, WEEKLY_REVIEW, CLIENT_DETAIL, ALERT_QUEUE, CHECKIN_SAVE, CASELOAD_PAGE_RUN,
           LOGIN)


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    median_ms: float
    budget_ms: float | None
    floor_ms: float | None
    statements: int  # SQL statements of one run (the most seen in any run)
    peak_rss_mb: float  # of this process, once the figure's runs are done
    detail: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor_ms is None or self.floor_ms <= 0:
            return None
        return self.median_ms / self.floor_ms

    @property
    def within_budget(self) -> bool | None:
        return None if self.budget_ms is None else self.median_ms <= self.budget_ms


@dataclass(frozen=True)
class SavedWrite:
    writer: int
    sequence: int  # the writer's own count, in the order it saved
    member_id: int
    local_date: date
    journal: str  # unique to the write: how it is found again afterwards


@dataclass
class WriteLoad:
    """What concurrent writers did: every save that returned, and every error a user saw."""

    threads: int
    seconds: float
    saved: list[SavedWrite]
    errors: list[str]
    member_ids: list[int]  # every member written to
    audit_events_before: int  # their saves audited before the writers started
    latencies: list[float] = field(default_factory=list)  # seconds per save that returned
    lost_writes: list[str] = field(default_factory=list)  # filled in by `find_lost_writes`

    @property
    def writes(self) -> int:
        return len(self.saved)

    def latency_ms(self, fraction: float) -> float | None:
        """The save time that this fraction of saves stayed within (0.5: the median)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    @property
    def saves_per_writer(self) -> tuple[int, int]:
        """(fewest, most) saves of one writer: far apart means someone waited on others."""
        counts = Counter(write.writer for write in self.saved)
        per_writer = [counts.get(n, 0) for n in range(self.threads)]
        return min(per_writer, default=0), max(per_writer, default=0)

    @property
    def writes_per_second(self) -> float:
        return self.writes / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class QueryPlan:
    figure: str
    statement: str  # shortened: a long IN list reads as "?, ..."
    plan: tuple[str, ...]


@dataclass
class BenchReport:
    members: int
    days: int
    checkins: int
    database: str  # "sqlite" or "postgresql"
    where: str  # the scratch database, in words
    runs: int
    figures: list[Figure]
    write_load: WriteLoad | None
    peak_rss_mb: float
    load_average: tuple[float, float, float]
    cpus: int
    plans: list[QueryPlan] = field(default_factory=list)

    def figure(self, name: str) -> Figure:
        return next(f for f in self.figures if f.name == name)

    def as_json(self) -> dict:
        load = self.write_load
        return {
            "scale": {"members": self.members, "days": self.days, "checkins": self.checkins},
            "database": self.database,
            "runs": self.runs,
            "figures": [
                {
                    "name": f.name,
                    "median_ms": round(f.median_ms, 3),
                    "budget_ms": f.budget_ms,
                    "floor_ms": None if f.floor_ms is None else round(f.floor_ms, 3),
                    "statements": f.statements,
                    "within_budget": f.within_budget,
                    "peak_rss_mb": round(f.peak_rss_mb, 1),
                    "detail": f.detail,
                }
                for f in self.figures
            ],
            "concurrent_writes": None if load is None else {
                "threads": load.threads,
                "seconds": round(load.seconds, 3),
                "writes": load.writes,
                "writes_per_second": round(load.writes_per_second, 1),
                "median_save_ms": _rounded(load.latency_ms(0.5)),
                "p99_save_ms": _rounded(load.latency_ms(0.99)),
                "slowest_save_ms": _rounded(load.latency_ms(1.0)),
                "saves_per_writer": list(load.saves_per_writer),
                "errors": len(load.errors),
                "error_messages": sorted(set(load.errors)),
                "lost_writes": len(load.lost_writes),
            },
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "load_average": [round(x, 2) for x in self.load_average],
            "cpus": self.cpus,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


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


# ---------------------------------------------------------------------------------------
# Counting statements, and timing.


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


def _measure(*, runs: int, counter: StatementCounter,
             run: Callable[[int, Stopwatch], None]) -> tuple[float, int]:
    """(median milliseconds, most statements) of `runs` runs after one warm-up run.

    The warm-up fills what any real process has warm after its first request: SQLite's
    page cache, SQLAlchemy's compiled statements, imported modules.
    """
    times, counts = [], []
    for index in range(runs + 1):
        watch = Stopwatch(counter)
        run(index, watch)
        if watch.seconds is None:
            raise RuntimeError("a benchmark run did not time anything")
        if index:
            times.append(watch.seconds)
            counts.append(watch.statements)
    return statistics.median(times) * 1000, max(counts)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# ---------------------------------------------------------------------------------------
# The floors: one hand-written statement each, the same numbers as the service.

_ACTIVE_CONSENT = """
    consents.recipient_id = :viewer_id AND consents.purpose = :purpose
    AND consents.starts_at <= :now AND consents.expires_at > :now
    AND (consents.revoked_at IS NULL OR consents.revoked_at > :now)"""

_SEVERITY_RANK = "CASE {0} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END"

# Per client: the week's check-ins by a join grouped once, the flags and steps by joined
# aggregates, and the latest check-in and contact by one index seek each. (Correlated
# subqueries for flags and steps cost PostgreSQL twice as much; SQLite finds no index for
# a grouped check-ins CTE joined after the fact: hence this shape.)
_TO_TODAY = "checkins.local_date BETWEEN zone_days.week_to_today AND zone_days.today"
_TO_YESTERDAY = ("checkins.local_date BETWEEN zone_days.week_to_yesterday "
                 "AND zone_days.yesterday")
_FLOOR_CASELOAD = f"""
WITH zone_days (timezone, today, yesterday, week_to_today, week_to_yesterday) AS (
    {{zone_days}}
),
clients AS (
    SELECT DISTINCT consents.member_id FROM consents WHERE {_ACTIVE_CONSENT}
),
open_flags AS (
    SELECT flags.member_id, COUNT(*) AS open_flags,
           COUNT(CASE WHEN flags.severity = 'high' THEN 1 END) AS open_high_flags,
           MAX({_SEVERITY_RANK.format("flags.severity")}) AS risk_rank
    FROM clients JOIN flags ON flags.member_id = clients.member_id
    WHERE flags.status = 'open'
    GROUP BY flags.member_id
),
steps AS (
    SELECT step_progress.member_id, MIN(step_progress.step) AS lowest_open_step
    FROM clients JOIN step_progress ON step_progress.member_id = clients.member_id
    WHERE step_progress.status <> 'completed'
    GROUP BY step_progress.member_id
),
per_client AS (
    SELECT users.id AS member_id, users.display_name, member_profiles.sobriety_date,
           MAX(CASE WHEN checkins.local_date = zone_days.today THEN 1 ELSE 0 END)
               AS checked_in_today,
           COUNT(CASE WHEN {_TO_TODAY} THEN 1 END) AS n_to_today,
           AVG(CASE WHEN {_TO_TODAY} THEN checkins.mood END) AS mood_to_today,
           MAX(CASE WHEN {_TO_TODAY} THEN checkins.craving END) AS craving_to_today,
           COUNT(CASE WHEN {_TO_YESTERDAY} THEN 1 END) AS n_to_yesterday,
           AVG(CASE WHEN {_TO_YESTERDAY} THEN checkins.mood END) AS mood_to_yesterday,
           MAX(CASE WHEN {_TO_YESTERDAY} THEN checkins.craving END) AS craving_to_yesterday
    FROM clients
    JOIN users ON users.id = clients.member_id
    JOIN zone_days ON zone_days.timezone = users.timezone
    LEFT JOIN member_profiles ON member_profiles.user_id = users.id
    -- The days of every zone, as constants, so that the index on (member, day) serves the
    -- join; each zone's own days are picked in the aggregates.
    LEFT JOIN checkins ON checkins.member_id = users.id
        AND checkins.local_date BETWEEN :earliest AND :latest
    GROUP BY users.id, users.display_name, member_profiles.sobriety_date
)
SELECT per_client.member_id, per_client.display_name, per_client.sobriety_date,
       (SELECT MAX(latest.local_date) FROM checkins AS latest
        WHERE latest.member_id = per_client.member_id) AS last_checkin,
       CASE WHEN checked_in_today = 1 THEN n_to_today ELSE n_to_yesterday END AS checkins_7d,
       CAST(CASE WHEN checked_in_today = 1 THEN mood_to_today ELSE mood_to_yesterday END
            AS FLOAT) AS mean_mood_7d,
       CASE WHEN checked_in_today = 1 THEN craving_to_today ELSE craving_to_yesterday END
           AS max_craving_7d,
       COALESCE(steps.lowest_open_step, 12) AS current_step,
       COALESCE(open_flags.open_flags, 0) AS open_flags,
       COALESCE(open_flags.open_high_flags, 0) AS open_high_flags,
       COALESCE(open_flags.risk_rank, 0) AS risk_rank,
       (SELECT MAX(contact.at) FROM (
            SELECT MAX(flags.acknowledged_at) AS at FROM flags
            WHERE flags.member_id = per_client.member_id
            UNION ALL
            SELECT MAX(weekly_reviews.created_at) FROM weekly_reviews
            WHERE weekly_reviews.member_id = per_client.member_id) AS contact) AS last_contact
FROM per_client
LEFT JOIN open_flags ON open_flags.member_id = per_client.member_id
LEFT JOIN steps ON steps.member_id = per_client.member_id
ORDER BY per_client.member_id
"""
_ZONE_DAY_COLUMNS = ("today", "yesterday", "week_to_today", "week_to_yesterday")

RISK_BY_RANK = {3: "high", 2: "medium", 1: "low", 0: "none"}


def zones_in_use(connection) -> list[str]:
    """The time zones of the accounts, for `floor_caseload` (read before it is timed: the
    service, too, learns its clients' zones from rows it reads anyway)."""
    return list(connection.scalars(select(User.timezone).distinct().order_by(User.timezone)))


def floor_caseload(connection, *, counselor_id: int, zones: Sequence[str], now: datetime
                   ) -> list:
    """Per client of the counselor: the caseload's figures, as one statement.

    "Today" is each client's own at `now`, given per time zone (`zones`, those of the
    clients at least) as a table of constants. The 7-day window ends today once the client
    has checked in today, else yesterday.
    """
    # PostgreSQL types the constants by the cast; SQLite stores dates as text, and its
    # CAST AS DATE would make numbers of them.
    typed = "CAST(:{} AS DATE)" if connection.dialect.name == "postgresql" else ":{}"
    rows, values, todays = [], {}, []
    for n, zone in enumerate(zones):
        today = local_today(zone, now)
        todays.append(today)
        days = (today, today - timedelta(days=1), today - timedelta(days=6),
                today - timedelta(days=7))
        values[f"zone_{n}"] = zone
        values.update({f"{name}_{n}": day for name, day in zip(_ZONE_DAY_COLUMNS, days)})
        rows.append(f"(:zone_{n}, "
                    + ", ".join(typed.format(f"{name}_{n}") for name in _ZONE_DAY_COLUMNS) + ")")
    statement = sql_text(_FLOOR_CASELOAD.replace("{zone_days}", "VALUES " + ", ".join(rows)))
    statement = statement.bindparams(
        bindparam("now", type_=UTCDateTime), bindparam("earliest", type_=Date),
        bindparam("latest", type_=Date),
        *(bindparam(f"{name}_{n}", type_=Date)
          for n in range(len(zones)) for name in _ZONE_DAY_COLUMNS),
    ).columns(
        member_id=Integer, display_name=String, last_checkin=Date, sobriety_date=Date,
        checkins_7d=Integer, mean_mood_7d=Float, max_craving_7d=Integer,
        current_step=Integer, open_flags=Integer, open_high_flags=Integer, risk_rank=Integer,
        last_contact=UTCDateTime,
    )
    return connection.execute(statement, {
        "viewer_id": counselor_id, "purpose": "counseling", "now": now,
        "earliest": min(todays) - timedelta(days=7), "latest": max(todays), **values,
    }).all()


_FLOOR_WEEKLY_REVIEW = sql_text(f"""
SELECT sponsees.member_id,
       COUNT(CASE WHEN checkins.local_date >= :monday THEN 1 END) AS checkins_made,
       CAST(AVG(CASE WHEN checkins.local_date >= :monday THEN checkins.mood END) AS FLOAT)
           AS mean_mood,
       MAX(CASE WHEN checkins.local_date >= :monday THEN checkins.craving END)
           AS highest_craving,
       COALESCE(SUM(CASE WHEN checkins.local_date >= :monday THEN checkins.meetings END), 0)
           AS meetings,
       COUNT(CASE WHEN checkins.local_date >= :monday AND checkins.used_substances THEN 1 END)
           AS use_days,
       COUNT(CASE WHEN checkins.local_date >= :monday AND checkins.hard_day THEN 1 END)
           AS hard_days,
       COUNT(checkins.local_date) AS chart_points,
       (SELECT COUNT(*) FROM flags
        WHERE flags.member_id = sponsees.member_id AND flags.status = 'open') AS open_flags,
       (SELECT COUNT(*) FROM step_progress
        WHERE step_progress.member_id = sponsees.member_id
          AND (step_progress.started_on BETWEEN :monday AND :sunday
               OR step_progress.completed_on BETWEEN :monday AND :sunday)) AS step_changes,
       (SELECT MAX(weekly_reviews.created_at) FROM weekly_reviews
        WHERE weekly_reviews.reviewer_id = :viewer_id
          AND weekly_reviews.member_id = sponsees.member_id
          AND weekly_reviews.iso_week = :iso_week) AS reviewed_at
FROM (SELECT DISTINCT consents.member_id FROM consents WHERE {_ACTIVE_CONSENT}) AS sponsees
LEFT JOIN checkins ON checkins.member_id = sponsees.member_id
    AND checkins.local_date BETWEEN :context_start AND :sunday
GROUP BY sponsees.member_id
ORDER BY sponsees.member_id
""").bindparams(
    bindparam("now", type_=UTCDateTime), bindparam("monday", type_=Date),
    bindparam("sunday", type_=Date), bindparam("context_start", type_=Date),
).columns(
    member_id=Integer, checkins_made=Integer, mean_mood=Float, highest_craving=Integer,
    meetings=Integer, use_days=Integer, hard_days=Integer, chart_points=Integer,
    open_flags=Integer, step_changes=Integer, reviewed_at=UTCDateTime,
)


def floor_weekly_review(connection, *, sponsor_id: int, iso_week: str, now: datetime) -> list:
    """Per sponsee of the sponsor: the week's figures and the chart's days, as one statement."""
    monday = week_monday(iso_week)
    return connection.execute(_FLOOR_WEEKLY_REVIEW, {
        "viewer_id": sponsor_id, "purpose": "sponsorship", "now": now, "monday": monday,
        "sunday": monday + timedelta(days=6), "iso_week": iso_week,
        "context_start": monday - timedelta(weeks=CONTEXT_WEEKS),
    }).all()


# Check-ins, steps and flags of one member in one statement: three parts of one shape.
_FLOOR_CLIENT_DETAIL = sql_text("""
SELECT 0 AS part, checkins.local_date AS day, checkins.mood, checkins.craving,
       checkins.used_substances, checkins.meetings, checkins.prayer_meditation,
       checkins.called_support, checkins.read_literature, checkins.step_work,
       checkins.sleep_hours, checkins.hard_day, checkins.is_late,
       CAST(NULL AS INTEGER) AS number, CAST(NULL AS VARCHAR(16)) AS status,
       CAST(NULL AS VARCHAR(8)) AS severity, CAST(NULL AS TEXT) AS reason
FROM checkins WHERE checkins.member_id = :member_id AND checkins.local_date > :start
UNION ALL
SELECT 1, step_progress.started_on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, step_progress.step, step_progress.status, NULL, NULL
FROM step_progress WHERE step_progress.member_id = :member_id
UNION ALL
SELECT 2, flags.raised_on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       flags.id, flags.status, flags.severity, flags.reason
FROM flags WHERE flags.member_id = :member_id
ORDER BY 1, 2 DESC, 14 DESC
""").bindparams(bindparam("start", type_=Date)).columns(
    part=Integer, day=Date, mood=Integer, craving=Integer, used_substances=Boolean,
    meetings=Integer, prayer_meditation=Boolean, called_support=Boolean,
    read_literature=Boolean, step_work=Boolean, sleep_hours=Float, hard_day=Boolean,
    is_late=Boolean, number=Integer, status=String, severity=String, reason=String,
)


def floor_client_detail(connection, *, member_id: int, today: date, days: int) -> list:
    """The member's check-ins of the last `days` days (part 0), steps (1) and flags (2)."""
    return connection.execute(_FLOOR_CLIENT_DETAIL, {
        "member_id": member_id, "start": today - timedelta(days=days),
    }).all()


# The window counts are taken over every unresolved flag, before the LIMIT cuts the page.
_FLOOR_ALERT_QUEUE = sql_text(f"""
SELECT flags.id, flags.member_id, users.display_name, users.timezone, flags.severity,
       flags.rule_id, flags.raised_on, flags.reason, flags.quoted_text, flags.status,
       flags.acknowledged_at, flags.outreach_method, flags.acknowledged_by_id,
       COUNT(*) OVER () AS total,
       COUNT(CASE WHEN flags.severity = 'high' THEN 1 END) OVER () AS high,
       COUNT(CASE WHEN flags.severity = 'medium' THEN 1 END) OVER () AS medium,
       COUNT(CASE WHEN flags.severity = 'low' THEN 1 END) OVER () AS low
FROM flags JOIN users ON users.id = flags.member_id
WHERE flags.status IN ('open', 'acknowledged')
  AND flags.member_id IN (SELECT consents.member_id FROM consents
                          WHERE {_ACTIVE_CONSENT} AND consents.share_flags)
ORDER BY {_SEVERITY_RANK.format("flags.severity")} DESC, flags.raised_on, flags.id
LIMIT :page_size
""").bindparams(bindparam("now", type_=UTCDateTime)).columns(
    id=Integer, member_id=Integer, raised_on=Date, acknowledged_at=UTCDateTime,
    total=Integer, high=Integer, medium=Integer, low=Integer,
)
ALERTS_PAGE_SIZE = 20  # the first page of the Alerts screen (pages/alerts.py)


def floor_alert_queue(connection, *, counselor_id: int, now: datetime,
                      page_size: int = ALERTS_PAGE_SIZE) -> list:
    """The first page of the unresolved flags of the clients who share flags (most severe,
    then oldest first), each row with the counts of the whole queue, by severity."""
    return connection.execute(_FLOOR_ALERT_QUEUE, {
        "viewer_id": counselor_id, "purpose": "counseling", "now": now,
        "page_size": page_size,
    }).all()


_CHECKIN_VALUES = ("mood", "craving", "used_substances", "meetings", "prayer_meditation",
                   "called_support", "read_literature", "step_work", "sleep_hours",
                   "gratitude", "journal", "hard_day", "hard_day_reason", "updated_at")
_FLOOR_CHECKIN_SAVE = sql_text(f"""
INSERT INTO checkins (member_id, local_date, is_late, created_at, {", ".join(_CHECKIN_VALUES)})
VALUES (:member_id, :local_date, :is_late, :now, :{", :".join(_CHECKIN_VALUES[:-1])}, :now)
ON CONFLICT (member_id, local_date) DO UPDATE SET
    {", ".join(f"{name} = excluded.{name}" for name in _CHECKIN_VALUES)}
""").bindparams(
    # Each value bound with its column's own type, as the ORM binds it: booleans, dates,
    # and the notes, which the column type encrypts at rest.
    bindparam("now", type_=UTCDateTime),
    *(bindparam(name, type_=CheckIn.__table__.c[name].type)
      for name in ("local_date", "is_late", *_CHECKIN_VALUES[:-1])),
)


def floor_checkin_save(connection, *, member_id: int, form, today: date, now: datetime) -> None:
    """The check-in as one upsert: what the save writes, without policy, audit or flags."""
    actions = set(form.actions)
    connection.execute(_FLOOR_CHECKIN_SAVE, {
        "member_id": member_id, "local_date": form.local_date,
        "is_late": form.local_date < today, "now": now, "mood": form.mood,
        "craving": form.craving, "used_substances": form.used_substances,
        "meetings": form.meetings,
        **{name: name in actions for name in ("prayer_meditation", "called_support",
                                              "read_literature", "step_work")},
        "sleep_hours": form.sleep_hours, "gratitude": form.gratitude, "journal": form.journal,
        "hard_day": form.hard_day, "hard_day_reason": form.hard_day_reason,
    })


# ---------------------------------------------------------------------------------------
# The services as the screens call them.


def caseload_data(session: Session, *, actor: Actor, now: datetime) -> list:
    return caseload_for(session=session, actor=actor, now=now)


def alert_queue_data(session: Session, *, actor: Actor, now: datetime):
    """The Alerts screen's first page, with the counts of the whole queue."""
    return alert_queue(session=session, actor=actor, page=1, page_size=ALERTS_PAGE_SIZE,
                       now=now)


def flags_raised_for(engine: Engine, *, member_ids: Sequence[int], now: datetime) -> int:
    """How many flags were raised at `now` for these members (by the saves measured)."""
    with engine.connect() as connection:
        return connection.scalar(
            select(func.count()).select_from(Flag)
            .where(Flag.member_id.in_(member_ids), Flag.created_at == now)
        )


# ---------------------------------------------------------------------------------------
# Concurrent writers.


def run_concurrent_checkins(
    *, session_factory: sessionmaker[Session], writers: Sequence[Actor], shared: Actor,
    seconds: float, now: datetime, max_writes_per_writer: int = MAX_WRITES_PER_WRITER,
    in_turn: bool = True,
) -> WriteLoad:
    """One thread per writer saving check-ins at once, each with its own session.

    A writer alternates between its own member's day (rows nobody else writes) and one
    day of `shared` that every writer saves (the same row, the same flags episode). It
    stops after `seconds` or `max_writes_per_writer` saves, whichever comes first. Every
    exception a save raises is recorded: it is what a person would have seen.

    Each save is one transaction, saved as the app saves a check-in
    (`dashboard.write_turns.run_transaction`: in turn, again when busy); with `in_turn=False`,
    a plain `session_factory.begin()` that only SQLite's busy timeout makes wait.
    """

    def save(target: Actor, form: CheckInForm) -> None:
        def action(session: Session) -> None:
            save_checkin(session=session, actor=target, form=form, now=now)
        if in_turn:
            run_transaction(session_factory, action)
        else:
            with session_factory.begin() as session:
                action(session)

    saved: list[SavedWrite] = []
    errors: list[str] = []
    latencies: list[float] = []  # seconds from asking to save to the save returning
    involved = [w.id for w in writers] + [shared.id]
    with session_factory() as session:
        audit_before = _saves_audited(session, involved)
    started: list[float] = []
    # The clock starts when the last writer is ready, so that all of them start at once.
    barrier = threading.Barrier(len(writers), action=lambda: started.append(time.monotonic()))

    def write(number: int, own: Actor) -> None:
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            errors.append("BrokenBarrierError: the writers did not all start")
            return
        deadline = started[0] + seconds
        for sequence in range(max_writes_per_writer):
            if time.monotonic() >= deadline:
                break
            target = own if sequence % 2 == 0 else shared
            day = local_today(target.timezone, now)
            journal = f"writer {number} save {sequence}"
            hard = sequence % 3 == 0
            form = CheckInForm(
                local_date=day, mood=1 + sequence % 5, craving=sequence % 11,
                used_substances=False, meetings=sequence % 4, actions=("called_support",),
                sleep_hours=7.0, journal=journal, hard_day=hard,
                hard_day_reason="a long shift" if hard else None,
            )
            asked = time.perf_counter()
            try:
                save(target, form)
            except Exception as error:  # noqa: BLE001 - any failure is one a user would see
                first_line = (str(error).splitlines() or [""])[0]
                errors.append(f"{type(error).__name__}: {first_line}")
                continue
            latencies.append(time.perf_counter() - asked)
            saved.append(SavedWrite(number, sequence, target.id, day, journal))

    threads = [threading.Thread(target=write, args=(n, actor), name=f"bench-writer-{n}",
                                daemon=True)
               for n, actor in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A save waits at most the busy timeout (15 s) for the lock; far beyond that, a
        # writer is stuck and the load is reported as such instead of hanging the run.
        thread.join(timeout=seconds + 120)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        errors.append(f"stuck writers: {', '.join(stuck)}")
    # Until the last save in flight at the deadline has returned.
    elapsed = (time.monotonic() - started[0]) if started else 0.0
    return WriteLoad(threads=len(writers), seconds=elapsed, saved=saved, errors=errors,
                     member_ids=involved, audit_events_before=audit_before,
                     latencies=latencies)


def _saves_audited(session: Session, member_ids: Sequence[int]) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "checkin_saved", AuditEvent.member_id.in_(member_ids))
    )


def find_lost_writes(session_factory: sessionmaker[Session], load: WriteLoad) -> list[str]:
    """Every way the database disagrees with the saves that returned; empty when none was lost.

    A member that one writer alone saves holds that writer's last save; the shared day
    holds one of the saves made to it; and every save that returned left its audit event.
    """
    problems = []
    last_by_row: dict[tuple[int, date], SavedWrite] = {}
    writers_by_row: dict[tuple[int, date], set[int]] = {}
    journals_by_row: dict[tuple[int, date], set[str]] = {}
    for write in load.saved:
        key = (write.member_id, write.local_date)
        writers_by_row.setdefault(key, set()).add(write.writer)
        journals_by_row.setdefault(key, set()).add(write.journal)
        if key not in last_by_row or write.sequence > last_by_row[key].sequence:
            last_by_row[key] = write
    with session_factory() as session:
        for key, journals in journals_by_row.items():
            member_id, day = key
            stored = session.scalars(
                select(CheckIn.journal).where(CheckIn.member_id == member_id,
                                              CheckIn.local_date == day)
            ).all()
            if len(stored) != 1:
                problems.append(f"member {member_id} has {len(stored)} check-ins on {day}")
                continue
            if len(writers_by_row[key]) == 1:
                expected = last_by_row[key].journal
                if stored[0] != expected:
                    problems.append(f"member {member_id} on {day} holds {stored[0]!r}, "
                                    f"not the last save {expected!r}")
            elif stored[0] not in journals:
                problems.append(f"member {member_id} on {day} holds {stored[0]!r}, "
                                "which no save wrote")
        audited = _saves_audited(session, load.member_ids)
    if audited - load.audit_events_before != load.writes:
        problems.append(f"{load.writes} saves returned but "
                        f"{audited - load.audit_events_before} were audited")
    return problems


# ---------------------------------------------------------------------------------------
# Query plans.


def _shorten(statement: str) -> str:
    one_line = " ".join(statement.split())
    # An expanded IN list of a whole caseload is thousands of placeholders long.
    return re.sub(r"((?:\?|%\(\w+\)s|\$\d+)(?:, ?)){3,}(?:\?|%\(\w+\)s|\$\d+)", r"\1...",
                  one_line)


def explain(engine: Engine, statements: Sequence[tuple[str, object]], *, figure: str,
            prefer_indexes: bool = False) -> list[QueryPlan]:
    """The query plan of every SELECT among the recorded statements.

    `prefer_indexes` turns PostgreSQL's sequential scans off for the plan, so that on a
    tiny test database the plan shows whether an index *can* serve the query (on a few
    rows the planner rightly prefers reading the whole table).
    """
    plans = []
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if prefer_indexes and not sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if sqlite:
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                  parameters).all()
                lines = tuple(row[-1] for row in rows)
            else:
                rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                lines = tuple(row[0] for row in rows)
            plans.append(QueryPlan(figure=figure, statement=_shorten(statement), plan=lines))
        connection.rollback()
    return plans


_FULL_SCAN = {
    "sqlite": re.compile(r"^\s*SCAN (\w+)"),
    "postgresql": re.compile(r"Seq Scan on (\w+)"),
}


def full_scans(plans: Sequence[QueryPlan], *, dialect: str,
               tables: Sequence[str] = ("checkins", "flags", "audit_events", "consents",
                                        "weekly_reviews", "step_progress")) -> list[str]:
    """Plan lines that read a whole large table (or a whole index of it) instead of a range."""
    pattern = _FULL_SCAN[dialect]
    found = []
    for plan in plans:
        for line in plan.plan:
            match = pattern.search(line)
            if match and match.group(1) in tables:
                found.append(f"{plan.figure}: {line.strip()} in {plan.statement[:120]}")
    return found


# ---------------------------------------------------------------------------------------
# The scratch database.


@dataclass(frozen=True)
class ScratchDatabase:
    url: str
    dialect: str
    where: str


@contextmanager
def scratch_database(database_url: str | None) -> Iterator[ScratchDatabase]:
    """A database of the benchmark's own, removed afterwards: never the real data.

    SQLite (and no DATABASE_URL): a file in a new temporary folder. PostgreSQL: a new
    database on the server of `database_url`, dropped at the end even after an error.
    """
    backend = make_url(database_url).get_backend_name() if database_url else "sqlite"
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as folder:
            path = Path(folder) / "bench.db"
            yield ScratchDatabase(f"sqlite:///{path}", "sqlite",
                                  f"temporary SQLite file {path} (removed afterwards)")
        return
    if backend != "postgresql":
        raise BenchError(f"the benchmark runs on SQLite or PostgreSQL, not {backend}")
    server = make_url(database_url)
    name = f"dashboard_bench_{secrets.token_hex(4)}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                # As README's "Running for a clinic" advises: the JIT compiler spends more
                # time compiling these short queries (200 ms and more) than they take to run.
                connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET jit = off')
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) == "42501":
                raise BenchError(
                    f"the PostgreSQL role {server.username or '(default)'} may not create "
                    "databases, and the benchmark works only in a database of its own; "
                    "grant it with ALTER ROLE ... CREATEDB, or use a role that has it"
                ) from None
            raise
        try:
            yield ScratchDatabase(
                server.set(database=name).render_as_string(hide_password=False), "postgresql",
                f"scratch PostgreSQL database {name} on {server.host or 'localhost'}"
                f"{':' + str(server.port) if server.port else ''}, jit off (dropped afterwards)",
            )
        finally:
            with admin.connect() as connection:
                # FORCE: a connection the AppTest page left open must not keep it alive.
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def _secrets_for(scratch: ScratchDatabase) -> Iterator[None]:
    """The audit chain's key and the notes' keys for the scratch database.

    On SQLite both live in key files beside the database file, in the temporary folder.
    PostgreSQL takes them from the environment: the ones set there are used as they are;
    any not set is a throwaway key for this run only, since the scratch database and
    everything encrypted or chained with it is dropped at the end.
    """
    if scratch.dialect == "sqlite":
        yield
        return
    throwaway = {
        SECRET_ENV: secrets.token_hex(32),
        ENCRYPTION_KEYS_ENV: Fernet.generate_key().decode(),
    }
    added = [name for name in throwaway if not os.environ.get(name)]
    for name in added:
        os.environ[name] = throwaway[name]
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


# ---------------------------------------------------------------------------------------
# The cast: who the figures are measured for.


@dataclass(frozen=True)
class Cast:
    counselor: Actor
    clients: int
    sponsor: Actor
    sponsees: int
    detail_member_id: int
    detail_member_name: str
    savers: list[Actor]  # members without a check-in today, with one yesterday
    writers: list[Actor]
    shared_writer: Actor


def add_bench_counselor(engine: Engine, *, now: datetime) -> int:
    """A counselor, with two-factor login set up, to whom every member (not the sponsors)
    consents for counseling.

    One consent per member, sharing check-ins, steps and flags (not notes), active from
    a year before `now` until three years after.
    """
    starts_at = now - timedelta(days=365)
    expires_at = now + timedelta(days=3 * 365)
    with make_session_factory(engine).begin() as session:
        # The demo accounts share one argon2 hash of the demo password: so does this one.
        password_hash = session.scalar(select(User.password_hash).order_by(User.id).limit(1))
        counselor = User(username=BENCH_COUNSELOR, display_name="Bench Counselor",
                         password_hash=password_hash, timezone="UTC", created_at=starts_at)
        session.add(counselor)
        session.flush()
        session.add(UserRole(user_id=counselor.id, role="counselor"))
        session.flush()
        # Counselors log in with a second factor: set it up as a person would, with the
        # first code their app shows.
        actor = actor_from_user(session.get(User, counselor.id))
        enrolment = two_factor.start_enrolment(actor=actor)
        two_factor.confirm_enrolment(session=session, actor=actor, secret=enrolment.secret,
                                     code=two_factor.code_at(enrolment.secret, now), now=now)
        sponsors = select(UserRole.user_id).where(UserRole.role == "sponsor")
        members = session.execute(
            select(User.id, User.display_name).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "member", User.id.not_in(sponsors)).order_by(User.id)
        ).all()
        session.execute(
            Consent.__table__.insert(),
            [
                {"member_id": member_id, "recipient_id": counselor.id, "purpose": "counseling",
                 "share_checkins": True, "share_steps": True, "share_flags": True,
                 "share_notes": False, "signature_name": name,
                 "signed_on": starts_at.date(), "revocation_acknowledged": True,
                 "starts_at": starts_at, "expires_at": expires_at, "revoked_at": None,
                 "revoked_by_id": None, "created_at": starts_at}
                for member_id, name in members
            ],
        )
        return counselor.id


def _cast(engine: Engine, *, counselor_id: int, now: datetime, savers: int,
          writers: int) -> Cast:
    with make_session_factory(engine)() as session:
        counselor = actor_from_user(session.get(User, counselor_id))
        clients = session.scalar(select(func.count()).select_from(Consent)
                                 .where(Consent.recipient_id == counselor_id))
        sponsees = func.count(Consent.member_id.distinct())
        sponsor_id, sponsee_count = session.execute(
            select(Consent.recipient_id, sponsees)
            .where(Consent.purpose == "sponsorship", consent_is_active(now))
            .group_by(Consent.recipient_id)
            .order_by(sponsees.desc(), Consent.recipient_id).limit(1)
        ).one()
        detail = session.scalar(select(User).where(User.username == "member1"))
        sponsors = select(UserRole.user_id).where(UserRole.role == "sponsor")
        members = select(User).join(MemberProfile).where(User.id.not_in(sponsors))

        def checked_in_on(day: date):
            return select(CheckIn.member_id).where(CheckIn.local_date == day)

        # A first save of the day on top of a history: the flag rules have days to read.
        # "Today" is each member's own: looked for zone by zone.
        fresh: list[User] = []
        for zone in zones_in_use(session.connection()):
            today = local_today(zone, now)
            fresh += session.scalars(
                members.where(User.timezone == zone,
                              User.id.in_(checked_in_on(today - timedelta(days=1))),
                              User.id.not_in(checked_in_on(today)), User.id != detail.id)
            )
        fresh.sort(key=lambda user: user.id)
        chosen_ids = {u.id for u in fresh[:savers]}
        others = list(session.scalars(
            members.where(User.id.not_in(chosen_ids), User.id != detail.id)
            .order_by(User.id.desc()).limit(writers + 1)
        ))
        pool = fresh[:savers] or others
        return Cast(
            counselor=counselor, clients=clients,
            sponsor=actor_from_user(session.get(User, sponsor_id)), sponsees=sponsee_count,
            detail_member_id=detail.id, detail_member_name=detail.username,
            # At a tiny scale there may be fewer fresh members than runs: reuse them.
            savers=[actor_from_user(pool[i % len(pool)]) for i in range(savers)],
            writers=[actor_from_user(u) for u in others[1:writers + 1]]
            or [actor_from_user(others[0])] * writers,
            shared_writer=actor_from_user(others[0]),
        )


# ---------------------------------------------------------------------------------------
# The AppTest page run.


def _no_missing_context_warning(record: logging.LogRecord) -> bool:
    return "missing ScriptRunContext" not in record.getMessage()


def _measure_caseload_page(*, database_url: str, counselor: Actor, runs: int,
                           counter: StatementCounter) -> tuple[float, int]:
    """The Caseload page run by AppTest through the real entry script, logged in."""
    from streamlit.testing.v1 import AppTest

    def run(index: int, watch: Stopwatch) -> None:
        at = AppTest.from_file(str(APP_ENTRY), default_timeout=PAGE_TIMEOUT_SECONDS)
        # Logged in just now: the page reads the clock itself, as in the app.
        logged_in = clock.now()
        at.session_state["auth"] = {"user_id": counselor.id, "logged_in_at": logged_in,
                                    "last_seen_at": logged_in,
                                    # passed at login, for the set-up the account has
                                    "second_factor": counselor.two_factor_enrolled_at}
        at.run()
        if at.exception:
            raise BenchError(f"the app failed before the Caseload page with "
                             f"{at.exception[0].proto.type} (its traceback is above)")
        try:
            at.switch_page(CASELOAD_PAGE)
        except ValueError:
            raise BenchError("the Caseload page is not in the benchmark counselor's menu "
                             f"(the app shows: {', '.join(t.value for t in at.title)})") from None
        with watch():
            at.run(timeout=PAGE_TIMEOUT_SECONDS)
        if at.exception:
            # The message itself is redacted (client.showErrorDetails); Streamlit has
            # logged the traceback above.
            raise BenchError(f"the Caseload page failed with {at.exception[0].proto.type}"
                             " (Streamlit logged its traceback above)")
        if "Caseload" not in [t.value for t in at.title] or not at.dataframe:
            raise BenchError("the Caseload page showed no table of clients")

    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database_url
    # AppTest sets session state from outside a script run, which Streamlit warns about
    # twice per run: noise in the middle of the report. (A filter, because Streamlit
    # resets its loggers' levels when it reads its configuration.)
    context_logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    context_logger.addFilter(_no_missing_context_warning)
    try:
        return _measure(runs=runs, counter=counter, run=run)
    finally:
        context_logger.removeFilter(_no_missing_context_warning)
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


# ---------------------------------------------------------------------------------------
# The benchmark.


def run_benchmark(
    *, members: int = DEFAULT_MEMBERS, days: int = DEFAULT_DAYS, runs: int = DEFAULT_RUNS,
    database_url: str | None = None, writers: int = DEFAULT_WRITERS,
    write_seconds: float = DEFAULT_WRITE_SECONDS, explain_plans: bool = False,
    progress: ProgressCallback | None = None,
) -> BenchReport:
    """Build the demo at this scale in a scratch database, measure every figure, clean up."""
    validate_options(members=members, days=days, runs=runs, writers=writers,
                     write_seconds=write_seconds)
    say = progress or (lambda message: None)
    with scratch_database(database_url) as scratch, _secrets_for(scratch):
        # As the app opens it, with its background checkpoints on SQLite (models/db.py).
        engine = make_engine(scratch.url)
        checkpointer = start_wal_checkpointer(engine)
        try:
            return _run(engine=engine, scratch=scratch, members=members, days=days, runs=runs,
                        writers=writers, write_seconds=write_seconds,
                        explain_plans=explain_plans, say=say)
        finally:
            gc.unfreeze()  # the measurements froze what the load left (see _run)
            if checkpointer is not None:
                checkpointer.stop()
            engine.dispose()


def _run(*, engine: Engine, scratch: ScratchDatabase, members: int, days: int, runs: int,
         writers: int, write_seconds: float, explain_plans: bool,
         say: ProgressCallback) -> BenchReport:
    now = clock.now()  # every figure is "as of" the start of the run
    say(f"Building {members:,} members x {days} days in a {scratch.where}")
    upgrade_to_head(engine)
    # The notes are encrypted at rest, so the figures include that cost, as the app's.
    configure_keys(settings=replace(load_settings(os.environ), database_url=scratch.url), engine=engine)
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
    cast = _cast(engine, counselor_id=counselor_id, now=now, savers=2 * (runs + 1),
                 writers=writers)
    factory = make_session_factory(engine)
    week = iso_week_of(local_today(cast.sponsor.timezone, now))
    with engine.connect() as connection:
        zones = zones_in_use(connection)
    figures: list[Figure] = []
    plans: list[QueryPlan] = []

    with StatementCounter() as counter:

        def transaction_run(work: Callable[[Session], object]) -> Callable[[int, Stopwatch], None]:
            # One user action, one transaction: the commit (of the audit events) counts.
            def run(index: int, watch: Stopwatch) -> None:
                with watch(), factory.begin() as session:
                    work(session)
            return run

        def floor_run(query: Callable[..., object]) -> Callable[[int, Stopwatch], None]:
            def run(index: int, watch: Stopwatch) -> None:
                with watch(), engine.begin() as connection:
                    query(connection)
            return run

        def add(spec: FigureSpec, median_ms: float, statements: int, floor_ms: float | None,
                detail: str) -> None:
            figures.append(Figure(name=spec.name, label=spec.label, median_ms=median_ms,
                                  budget_ms=spec.budget_ms, floor_ms=floor_ms,
                                  statements=statements, peak_rss_mb=peak_rss_mb(),
                                  detail=detail))
            say(f"{spec.label}: {median_ms:,.1f} ms")

        # Caseload.
        counselor = cast.counselor
        median, statements = _measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: caseload_data(s, actor=counselor, now=now)))
        caseload_floor, _ = _measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_caseload(c, counselor_id=counselor.id, zones=zones, now=now)))
        add(CASELOAD, median, statements, caseload_floor,
            f"{cast.clients:,} consenting clients")

        # Weekly review.
        sponsor = cast.sponsor
        median, statements = _measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: weekly_review_for(session=s, actor=sponsor, iso_week=week, now=now)))
        floor, _ = _measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_weekly_review(c, sponsor_id=sponsor.id, iso_week=week, now=now)))
        add(WEEKLY_REVIEW, median, statements, floor,
            f"{sponsor.username}, {cast.sponsees} sponsees sharing, week {week}")

        # Client detail.
        detail_id = cast.detail_member_id
        with factory() as session:
            detail_today = local_today(session.get(User, detail_id).timezone, now)
        median, statements = _measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: member_record(session=s, actor=counselor, member_id=detail_id,
                                    purpose="counseling", screen="Client detail", days=365,
                                    now=now)))
        floor, _ = _measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_client_detail(c, member_id=detail_id, today=detail_today,
                                          days=365)))
        add(CLIENT_DETAIL, median, statements, floor,
            f"{cast.detail_member_name}: check-ins, steps and flags as the counselor sees them")

        # Alert queue.
        median, statements = _measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: alert_queue_data(s, actor=counselor, now=now)))
        floor, _ = _measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_alert_queue(c, counselor_id=counselor.id, now=now)))
        with engine.connect() as connection:
            first_page = floor_alert_queue(connection, counselor_id=counselor.id, now=now)
        unresolved = first_page[0].total if first_page else 0
        add(ALERT_QUEUE, median, statements, floor,
            f"first page of {ALERTS_PAGE_SIZE}, of {unresolved:,} unresolved flags")

        if explain_plans:
            for spec, work in (
                (CASELOAD, lambda s: caseload_data(s, actor=counselor, now=now)),
                (WEEKLY_REVIEW, lambda s: weekly_review_for(session=s, actor=sponsor,
                                                            iso_week=week, now=now)),
                (CLIENT_DETAIL, lambda s: member_record(
                    session=s, actor=counselor, member_id=detail_id, purpose="counseling",
                    screen="Client detail", days=365, now=now)),
                (ALERT_QUEUE, lambda s: alert_queue_data(s, actor=counselor, now=now)),
            ):
                with counter.recording() as recorded, factory.begin() as session:
                    work(session)
                plans.extend(explain(engine, recorded, figure=spec.name))

        # Check-in save, each run for a member with nothing saved today.
        savers = cast.savers

        # A hard day with a high craving: the save raises two flags, the costly path. The
        # day is each saver's own today.
        form = CheckInForm(
            local_date=None, mood=2, craving=8, used_substances=False, meetings=1,
            actions=("called_support", "prayer_meditation"), sleep_hours=6.5,
            gratitude="A friend who just listened", journal="Rough afternoon.",
            hard_day=True, hard_day_reason="Argument with my brother",
        )

        def save_run(index: int, watch: Stopwatch) -> None:
            member = savers[index]
            with watch(), factory.begin() as session:
                save_checkin(session=session, actor=member, form=form, now=now)

        def save_floor_run(index: int, watch: Stopwatch) -> None:
            member = savers[runs + 1 + index]
            today = local_today(member.timezone, now)
            with watch(), engine.begin() as connection:
                floor_checkin_save(connection, member_id=member.id,
                                   form=replace(form, local_date=today), today=today, now=now)

        median, statements = _measure(runs=runs, counter=counter, run=save_run)
        floor, _ = _measure(runs=runs, counter=counter, run=save_floor_run)
        saved_members = sorted({m.id for m in savers[:runs + 1]})
        flags = flags_raised_for(engine, member_ids=saved_members, now=now)
        add(CHECKIN_SAVE, median, statements, floor,
            f"first check-in of the day, hard day, craving 8: {flags} flags raised by "
            f"{len(saved_members)} saves")

        # The Caseload page through AppTest; its floor is the caseload's.
        median, statements = _measure_caseload_page(
            database_url=scratch.url, counselor=counselor, runs=runs,
            counter=counter)
        for seen in list(counter.engines):
            if seen is not engine:
                seen.dispose()  # the page's own engine: close it before the database goes
        add(CASELOAD_PAGE_RUN, median, statements, caseload_floor,
            "pages/caseload.py through dashboard/app.py, logged in")

        # Login.
        settings = load_settings(os.environ)

        def login_run(index: int, watch: Stopwatch) -> None:
            with watch(), factory.begin() as session:
                result = log_in(session=session, username=BENCH_COUNSELOR,
                                password=DEMO_PASSWORD, settings=settings, now=now)
            if not result.ok:
                raise BenchError("the benchmark counselor could not log in")

        median, statements = _measure(runs=runs, counter=counter, run=login_run)
        add(LOGIN, median, statements, None, "argon2id verify, audit event, last login")

    say(f"{writers} writers saving check-ins for {write_seconds:g} s")
    load = run_concurrent_checkins(session_factory=factory, writers=cast.writers,
                                   shared=cast.shared_writer, seconds=write_seconds, now=now)
    load.lost_writes = find_lost_writes(factory, load)

    return BenchReport(
        members=members, days=days, checkins=summary.checkins, database=scratch.dialect,
        where=scratch.where, runs=runs, figures=figures, write_load=load,
        peak_rss_mb=peak_rss_mb(), load_average=os.getloadavg(), cpus=os.cpu_count() or 1,
        plans=plans,
    )


# ---------------------------------------------------------------------------------------
# The printed report.


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def format_report(report: BenchReport) -> str:
    """A fixed-width table, one line per figure; a figure over budget is marked."""
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[report.database]
    lines = [
        f"Benchmark: {report.members:,} members x {report.days} days "
        f"({report.checkins:,} check-ins) on {name}, median of {report.runs} "
        f"run{'s' if report.runs != 1 else ''} after a warm-up",
        f"Database: {report.where}",
        f"Load average {' '.join(f'{x:.2f}' for x in report.load_average)} "
        f"on {report.cpus} CPU{'s' if report.cpus != 1 else ''}",
        "",
        f"{'figure':<30} {'median ms':>10} {'budget ms':>10} {'floor ms':>9} {'ratio':>7} "
        f"{'statements':>10} {'peak MB':>8}",
    ]
    for f in report.figures:
        ratio = "-" if f.ratio is None else f"{f.ratio:,.1f}x"
        mark = "  OVER BUDGET" if f.within_budget is False else ""
        lines.append(
            f"{f.label:<30} {_ms(f.median_ms):>10} {_ms(f.budget_ms):>10} "
            f"{_ms(f.floor_ms):>9} {ratio:>7} {f.statements:>10} {f.peak_rss_mb:>8.0f}{mark}"
        )
    lines.append("")
    for f in report.figures:
        if f.detail:
            lines.append(f"  {f.label}: {f.detail}")
    load = report.write_load
    if load is not None:
        lines += [
            "",
            f"Concurrent writers: {load.threads} threads for {load.seconds:.1f} s saved "
            f"{load.writes:,} check-ins ({load.writes_per_second:,.1f} per second), "
            f"{len(load.errors)} error{'s' if len(load.errors) != 1 else ''}, "
            f"{len(load.lost_writes)} lost write{'s' if len(load.lost_writes) != 1 else ''}.",
            f"  save time: median {_ms(load.latency_ms(0.5))} ms, 99th percentile "
            f"{_ms(load.latency_ms(0.99))} ms, slowest {_ms(load.latency_ms(1.0))} ms; "
            "saves per writer from {} to {}.".format(*load.saves_per_writer),
        ]
        for message in sorted(set(load.errors))[:5]:
            lines.append(f"  error: {message}")
        for problem in load.lost_writes[:5]:
            lines.append(f"  lost: {problem}")
    over = [f.label for f in report.figures if f.within_budget is False]
    lines += ["", f"Over budget: {', '.join(over)}." if over else "Every figure is within budget."]
    if report.plans:
        lines += ["", "Query plans:"]
        for plan in report.plans:
            lines.append(f"  [{plan.figure}] {plan.statement[:200]}")
            lines.extend(f"      {line}" for line in plan.plan)
    return "\n".join(lines)
