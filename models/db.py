"""Engine, sessions and schema upgrades for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# SQLite copies the write-ahead log back into the database file (a checkpoint) inside the
# commit that takes the log past this many pages. The app does it in the background
# instead (WalCheckpointer); this is the backstop for a process without one (the CLI).
SQLITE_AUTOCHECKPOINT_PAGES = 16_000  # 64 MB at 4 KiB pages
CHECKPOINT_EVERY_SECONDS = 1.0
# PostgreSQL: how long a connection attempt, and one statement, may take before they fail
# with a message instead of leaving a page spinning. The app's statements take
# milliseconds; a minute leaves room for the largest upgrade and re-encryption batches.
POSTGRESQL_CONNECT_TIMEOUT_SECONDS = 5
POSTGRESQL_STATEMENT_TIMEOUT_MS = 60_000
# SQLite reuses its write-ahead log file after a checkpoint instead of shrinking it, so one
# burst of writes (a demo load, a day of caseload views) would keep its largest size on
# disk for good. Each time the log starts over, SQLite cuts the file back to this size: on
# a disk that fills up, that space is the room the next saves need.
SQLITE_JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024
# Emptying the log (a TRUNCATE checkpoint) waits for the write lock, and new writers wait
# behind it: when idle, the checkpointer tries that briefly and leaves it to a later round
# rather than make a save wait.
TRUNCATE_BUSY_TIMEOUT_MS = 100
# A background chore that fails every second (a full disk) logs the failure with its
# traceback once, then the same failure at most this often, as one line with its count.
REPEATED_FAILURE_LOG_SECONDS = 300.0
# A SQLite database is its owner's alone: member data, and another local user must not read
# it. The files SQLite adds beside it take the database file's own mode.
PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def make_engine(url: str, *, sqlite_write_lock_first: bool = True, read_only: bool = False,
                **kwargs) -> Engine:
    """Create the engine for a database URL, with the settings each backend needs.

    On SQLite every transaction takes the write lock when it begins (see below);
    `sqlite_write_lock_first=False` gives plain deferred transactions, for a
    read-mostly inspector such as a test's assertions.

    `read_only=True` is for commands that only read (verifying, backing up): on SQLite the
    database file must exist, and nothing is written to its disk, not even SQLite's own
    -shm file, so that they work on a full disk; on PostgreSQL every transaction is read
    only. The engine's URL stays the database's own (its key files are found from it).
    """
    # No statement parameters in error messages or logs: they may be a member's notes.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        is_file = bool(database) and database != ":memory:" and not database.startswith("file:")
        if read_only:
            if not is_file:
                raise ValueError(f"a read-only engine needs a SQLite file, not {url}")
            kwargs["creator"] = lambda: connect_read_only(Path(database))
        elif is_file:
            private_sqlite_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine, write_lock_first=sqlite_write_lock_first and not read_only,
                          read_only=read_only)
        return engine
    if read_only:
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args["options"] = " ".join(filter(None, [
            connect_args.get("options"), "-c default_transaction_read_only=on"]))
        kwargs["connect_args"] = connect_args
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # A bare postgresql:// URL means psycopg 3, the driver this project ships.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # JIT compilation costs more than it saves on these short aggregate queries
    # (measured: hundreds of milliseconds on the caseload); merged with the caller's options.
    connect_args = dict(kwargs.pop("connect_args", {}))
    from_url = make_url(url).query.get("options")
    if from_url is not None:
        url = make_url(url).difference_update_query(["options"]).render_as_string(
            hide_password=False)
    connect_args["options"] = " ".join(filter(None, [
        from_url if isinstance(from_url, str) else " ".join(from_url or ()),
        connect_args.get("options"), "-c jit=off",
        # psycopg prepares a statement run 5 times, and PostgreSQL may then plan it once
        # for any values: a caseload's queue, planned without its viewer and clients, went
        # from 220 to 340 ms. Each run is planned for its own values instead.
        "-c plan_cache_mode=force_custom_plan",
        # A screen's statements are short, and many users' run at once: parallel workers
        # cost more to start than they save (the caseload at 2,000 clients: 160 to 151 ms
        # without them), and they take cores from the other screens being served.
        "-c max_parallel_workers_per_gather=0",
        f"-c statement_timeout={POSTGRESQL_STATEMENT_TIMEOUT_MS}"]))
    # A dead or unreachable host fails a page in seconds instead of hanging it (the
    # operating system's own connect timeout is minutes); a URL's own value wins.
    if "connect_timeout" not in make_url(url).query:
        connect_args.setdefault("connect_timeout", POSTGRESQL_CONNECT_TIMEOUT_SECONDS)
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def private_sqlite_file(path: Path) -> None:
    """Make sure the SQLite file at `path` is readable by its owner only, before SQLite
    opens it: a new folder is created 0700 and a new (empty) database file 0600, whatever
    the process's umask; its -wal and -shm files then take that mode from it. A database
    of ours that others can read (made before this rule) is made private, with a warning."""
    path.parent.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
        return
    except FileExistsError:
        pass
    for file in [path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)]:
        try:
            info = file.stat()
        except FileNotFoundError:
            continue
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) and info.st_uid == os.geteuid():
            os.chmod(file, stat.S_IMODE(info.st_mode) & ~(stat.S_IRWXG | stat.S_IRWXO))
            logger.warning("%s was readable by other users (mode %o); it is now private",
                           file, stat.S_IMODE(info.st_mode))


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection to the SQLite file at `path` that writes nothing to the database's disk.

    A reader of a database in WAL mode uses its shared-memory index (the -shm file), and
    one that finds it missing or short (no process has the database open) grows it: on a
    full disk that fails as "disk I/O error". Then the connection reads as SQLite reads a
    database on read-only media: the index opened read-only, or rebuilt in the reader's
    own memory from the log when no other process keeps it."""
    location = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        return _opened_for_reading(location)
    except sqlite3.OperationalError as error:
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary code
        if code not in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL):
            raise
    return _opened_for_reading(f"{location}&readonly_shm=1")


def _opened_for_reading(location: str) -> sqlite3.Connection:
    connection = sqlite3.connect(location, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                                 check_same_thread=False)
    try:
        # SQLite opens the -shm file at the first read, not on connecting.
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def _configure_sqlite(engine: Engine, *, write_lock_first: bool, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" hook below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if read_only:
            # None of the settings below: they are about writing, and setting the journal
            # mode may itself write to the database file.
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Take the write lock at the start: a deferred transaction that reads and then
        # writes can fail at once with "database is locked" instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_lock_first else "BEGIN")


def wal_checkpoint(engine: Engine, mode: str = "PASSIVE", *,
                   busy_timeout_ms: int | None = None) -> tuple[int, int]:
    """Copy a SQLite database's write-ahead log into its file now, outside any transaction:
    (pages in the log, pages copied back). TRUNCATE waits for readers and empties the log;
    `busy_timeout_ms` bounds that wait (the log is then left as it is)."""
    if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
        raise ValueError(f"not a checkpoint mode: {mode}")
    connection = engine.raw_connection()
    try:
        if busy_timeout_ms is not None:
            connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        try:
            _busy, in_log, copied = connection.execute(
                f"PRAGMA wal_checkpoint({mode})").fetchone()
        finally:
            if busy_timeout_ms is not None:  # the pooled connection goes back as it came
                connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        connection.close()
    return in_log, copied


class EngineChore:
    """Work done for one engine by a background thread every few seconds, until stopped,
    or until the engine or its database is gone (`once` raises LookupError). Weak on the
    engine: the thread never keeps a database open."""

    thread_name = "engine-chore"
    failure = "background work on the database failed"

    def __init__(self, engine: Engine, *, every_seconds: float):
        self._engine = weakref.ref(engine)
        self.every_seconds = every_seconds
        self.rounds = 0
        self.failures = FailureLog(self.failure)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def engine(self) -> Engine:
        engine = self._engine()
        if engine is None:
            raise LookupError("the engine is gone")
        return engine

    def once(self) -> object:
        raise NotImplementedError

    def run_round(self) -> bool:
        """One round of the chore now; False once its engine or database is gone."""
        try:
            self.once()
        except LookupError:
            return False
        except Exception as error:  # noqa: BLE001 - the next round tries again
            self.failures.failed(error)
        else:
            self.rounds += 1
            self.failures.succeeded()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            if not self.run_round():
                return


class FailureLog:
    """The log of a failure that repeats every round of a chore (a full disk fails each
    checkpoint until there is room), without a traceback a second: the first failure with
    its traceback, the same failure again at most once every `quiet_seconds` as one line
    with how many times it happened, and one line when the chore works again."""

    def __init__(self, failure: str, *, quiet_seconds: float = REPEATED_FAILURE_LOG_SECONDS,
                 seconds: Callable[[], float] = time.monotonic):
        self.failure = failure  # what failed, in words: "background WAL checkpoint failed"
        self.quiet_seconds = quiet_seconds
        self._seconds = seconds
        self._ongoing: str | None = None  # the failure that keeps happening, in one line
        self._in_a_row = 0
        self._since_logged = 0
        self._logged_at = 0.0

    def failed(self, error: Exception) -> None:
        lines = str(error).strip().splitlines()
        said = f"{type(error).__name__}: {lines[0] if lines else ''}"
        now = self._seconds()
        if said != self._ongoing:
            self._ongoing, self._in_a_row, self._since_logged, self._logged_at = said, 1, 0, now
            logger.warning(self.failure, exc_info=error)
            return
        self._in_a_row += 1
        self._since_logged += 1
        if now - self._logged_at >= self.quiet_seconds:
            logger.warning("%s again, %d times since the last report (%d in a row): %s",
                           self.failure, self._since_logged, self._in_a_row, said)
            self._since_logged, self._logged_at = 0, now

    def succeeded(self) -> None:
        if self._ongoing is None:
            return
        # At the failures' own level: whoever saw them must see that they ended.
        logger.warning("%s %d times in a row, and works again", self.failure, self._in_a_row)
        self._ongoing = None


class WalCheckpointer(EngineChore):
    """Checkpoints a SQLite database from a background thread, so that no person's save
    or page view pays for it.

    Why: a caseload view writes an audit event per client, and each lands on its own page
    of the (member, time) index, so one commit adds thousands of pages to the log. With
    SQLite's default (a checkpoint inside the commit that passes 1,000 pages) nearly every
    such commit also copied them all back into the database file: measured, 70 ms of a
    caseload's 280. A PASSIVE checkpoint here never waits for or blocks readers and
    writers; SQLite releases the GIL while it copies.
    """

    thread_name = "sqlite-wal-checkpointer"
    # The next commit's backstop (wal_autocheckpoint) still checkpoints.
    failure = "background WAL checkpoint failed"

    def __init__(self, engine: Engine, *, every_seconds: float = CHECKPOINT_EVERY_SECONDS):
        super().__init__(engine, every_seconds=every_seconds)
        self.path = Path(engine.url.database)
        self._previous: tuple | None = None  # the log as the previous round left it

    @property
    def checkpoints(self) -> int:
        return self.rounds

    def once(self) -> tuple[int, int]:
        in_log, copied = self.checkpoint()
        # Idle: the whole log was copied back already in the previous round and nothing
        # was written since (the log file was not touched: a save of as many pages as the
        # one before leaves the same counts). The file then holds nothing the database
        # needs: empty it, so that its space is free for whatever needs it next (the log
        # reuses its file, and never shrinks by itself below SQLITE_JOURNAL_SIZE_LIMIT_BYTES).
        state = (in_log, copied, self._log_file_written())
        idle = in_log > 0 and copied == in_log and state == self._previous
        self._previous = state
        if idle:
            self.truncate()
        return in_log, copied

    def _log_file_written(self) -> tuple[int, int] | None:
        try:
            info = self.path.with_name(self.path.name + "-wal").stat()
        except FileNotFoundError:
            return None
        return info.st_size, info.st_mtime_ns

    def truncate(self) -> bool:
        """Empty the log file now, unless a writer holds the database for more than a
        moment (then a later round does it); True if it was emptied."""
        in_log, _copied = wal_checkpoint(self.engine(), "TRUNCATE",
                                          busy_timeout_ms=TRUNCATE_BUSY_TIMEOUT_MS)
        self._previous = None
        return in_log == 0

    def checkpoint(self) -> tuple[int, int]:
        """One passive checkpoint now: (pages in the log, pages copied back)."""
        engine = self.engine()
        if not self.path.exists():
            raise LookupError("the database is gone")
        return wal_checkpoint(engine)


def start_wal_checkpointer(engine: Engine) -> WalCheckpointer | None:
    """A running WalCheckpointer for a SQLite file's engine; None for other databases."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return WalCheckpointer(engine).start()


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict]) -> None:
    """Insert rows that all have the same keys, in the connection's transaction: with
    COPY on PostgreSQL (psycopg), else one executemany insert.

    An insert round trip per row costs PostgreSQL several times a COPY, for the demo's
    half a million check-ins as for a caseload's thousands of audit events (measured:
    COPY is faster from one row up). A COPY passes by SQLAlchemy's statement events, so
    statement logs and counts do not show it. Each value
    still goes through its column type's own bind processing (UTC timestamps stored
    naive, booleans checked, notes encrypted), so the rows are the very ones an
    `insert(table)` would have written; but a column left out of the rows gets its
    server default, never a Python-side one, so give every such column a value.
    """
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    processors = [
        (index, processor)
        for index, name in enumerate(names)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        is not None
    ]
    preparer = dialect.identifier_preparer
    column_list = ", ".join(preparer.quote(name) for name in names)
    statement = f"COPY {preparer.format_table(table)} ({column_list}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, \
            cursor.copy(statement) as copy:
        write_row = copy.write_row
        for row in rows:
            values = [row[name] for name in names]
            for index, processor in processors:
                values[index] = processor(values[index])
            write_row(values)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    command.upgrade(alembic_config(engine), "head")


def schema_is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
