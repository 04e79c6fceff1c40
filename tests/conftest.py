"""Fixtures shared by every test layer: a fresh, migrated database per test, and the clock.

SQLite always; PostgreSQL too when TEST_DATABASE_URL is set. In CI (CI=true) a
skipped test counts as a failure, so PostgreSQL and browser tests cannot quietly
drop out of the run.

The clock: the suite runs "now", or at the instant TEST_NOW names (an ISO 8601 time
with its offset, such as 2026-12-31T23:30:00+00:00), to which time-machine moves the
clock of the whole run before anything reads it. Each test but the browser tests then
runs with the clock stopped at `tests.factories.NOW`, the instant the run started at:
the data a test builds and the screens it drives see the same day in every time zone.
A test that needs time to pass moves the clock itself (the `time_machine` fixture).
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from dashboard import config
from dashboard.login_throttle import THROTTLE
from models import Base, crypto
from models.db import alembic_config, make_engine, make_session_factory, upgrade_to_head

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_NOW = os.environ.get("TEST_NOW")
if TEST_NOW:
    try:
        _instant = datetime.fromisoformat(TEST_NOW)
    except ValueError:
        raise pytest.UsageError(f"TEST_NOW must be an ISO 8601 time, not {TEST_NOW!r}") from None
    if _instant.tzinfo is None:
        raise pytest.UsageError(f"TEST_NOW needs its UTC offset, such as +00:00: {TEST_NOW!r}")
    # Started before any module of the suite reads the clock (tests.factories.NOW among them).
    time_machine.travel(_instant, tick=True).start()

from tests.factories import NOW  # noqa: E402 - after the clock has moved to TEST_NOW

# The key of the audit trail's hash chain (PostgreSQL has no key file beside the database).
os.environ.setdefault("DASHBOARD_SECRET_KEY", "test-audit-secret-not-for-production")
# The key of the notes encrypted at rest, for the whole run: set in the environment too, so
# that the app's own entry points (AppTest, the CLI, subprocesses) configure the same one.
TEST_ENCRYPTION_KEY = "NxY-4H-yrQgp6oisBL08HGNBnnidJ8c_P5ntfFPPlgw="  # tests only
os.environ["DASHBOARD_ENCRYPTION_KEYS"] = TEST_ENCRYPTION_KEY
crypto.configure(keys=[TEST_ENCRYPTION_KEY.encode()])
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config) -> None:
    # Each AppTest scans every installed package for Streamlit components when it first
    # runs: 0.2 s, half the time of a typical app test. The packages installed do not
    # change during a run, so one scan serves them all.
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(
        manifest_scanner.scan_component_manifests)


def pytest_report_header(config) -> str:
    where = f"TEST_NOW={TEST_NOW}" if TEST_NOW else "the wall clock"
    return f"clock: tests run at {NOW.isoformat()} ({where})"


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs PostgreSQL `postgres`, so that `-m "not postgres"` selects
    the SQLite run alone."""
    for item in items:
        params = getattr(item, "callspec", None)
        if ("postgresql_engine" in item.fixturenames
                or (params is not None and params.params.get("engine") == "postgresql")):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def stopped_clock(request) -> Iterator[datetime]:
    """The clock stopped at NOW for the test (not for the browser tests, whose app runs in a
    process of its own on the real clock)."""
    if request.node.get_closest_marker("browser"):
        yield NOW
        return
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


@pytest.fixture(autouse=True)
def settings_of_the_test() -> Iterator[None]:
    """Each test starts from settings read from the environment as it then stands (a test
    may change a variable for the CLI, or put settings of its own in force for the app)."""
    config.put_in_force(None)
    yield
    config.put_in_force(None)


@pytest.fixture(autouse=True)
def login_throttle_of_the_test() -> None:
    """The process's login throttle counts afresh for each test (the clock is stopped: a
    window would otherwise never pass)."""
    THROTTLE.forget()


@pytest.fixture(autouse=True)
def test_keyring():
    """Every test starts with the test key: a test that configured other keys (a key file,
    a rotation, the benchmark's scratch database) must not leave them to the next."""
    crypto.configure(keys=[TEST_ENCRYPTION_KEY.encode()])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file, copied for each test instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    # Closing the last connection checkpoints the WAL into the file, so one file is the copy.
    engine.dispose()
    return str(path)


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "dashboard.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_engine(sqlite_url) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


class _PostgresqlSchema:
    """A schema of this test process on the server of TEST_DATABASE_URL, migrated once and
    brought back to its migrated state for each test: emptied (TRUNCATE) and given the rows
    the migrations wrote. Faster than migrating a schema per test (0.15 s) or copying a
    template database (0.3 s); a test that left it at another revision (a migration test
    that failed half way) has it built again."""

    def __init__(self) -> None:
        self.name = f"test_{uuid.uuid4().hex[:12]}"
        self.admin = make_engine(TEST_DATABASE_URL)
        self.head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        self.build()

    def engine(self) -> Engine:
        return make_engine(TEST_DATABASE_URL,
                           connect_args={"options": f"-csearch_path={self.name}"})

    def build(self) -> None:
        with self.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{self.name}"'))
        engine = self.engine()
        upgrade_to_head(engine)
        with engine.connect() as connection:
            self.migrated_rows = {table: [dict(row._mapping) for row in connection.execute(
                table.select())] for table in Base.metadata.sorted_tables}
        engine.dispose()

    def reset(self, engine: Engine) -> None:
        with engine.begin() as connection:
            revision = connection.execute(text(
                "SELECT version_num FROM alembic_version")).scalar_one_or_none()
        if revision != self.head:
            self.build()
            return
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            for table, rows in self.migrated_rows.items():
                if rows:
                    connection.execute(table.insert(), rows)

    def drop(self) -> None:
        with self.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgresql_schema() -> Iterator[_PostgresqlSchema]:
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set, so the PostgreSQL variant does not run")
    schema = _PostgresqlSchema()
    yield schema
    schema.drop()


@pytest.fixture
def postgresql_engine(postgresql_schema) -> Iterator[Engine]:
    """The test process's schema on the PostgreSQL server of TEST_DATABASE_URL, as migrated."""
    engine = postgresql_schema.engine()
    postgresql_schema.reset(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request) -> Engine:
    """The database under test: every integration test runs on both backends."""
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def session_factory(engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session for arranging and asserting, beside the services' own transactions.

    On SQLite it uses deferred transactions, so that its reads never hold the
    write lock that the services' transactions take first.
    """
    if engine.dialect.name == "sqlite":
        inspector = make_engine(engine.url.render_as_string(hide_password=False),
                                sqlite_write_lock_first=False)
    else:
        inspector = engine
    with make_session_factory(inspector)() as session:
        yield session
    if inspector is not engine:
        inspector.dispose()
