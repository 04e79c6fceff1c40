"""Engine, sessions and schema upgrades for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import os
import stat
import threading
import weakref
from pathlib import Path
from typing import Self

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
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
# A SQLite database is its owner's alone: member data, and another local user must not read
# it. The files SQLite adds beside it take the database file's own mode.
PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def make_engine(url: str, *, sqlite_write_lock_first: bool = True, **kwargs) -> Engine:
    """Create the engine for a database URL, with the settings each backend needs.

    On SQLite every transaction takes the write lock when it begins (see below);
    `sqlite_write_lock_first=False` gives plain deferred transactions, for a
    read-mostly inspector such as a test's assertions.
    """
    # No statement parameters in error messages or logs: they may be a member's notes.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine, write_lock_first=sqlite_write_lock_first)
        return engine
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
    connect_args["options"] = " ".join(filter(None, [from_url if isinstance(from_url, str) else
                                                     " ".join(from_url or ()),
                                                     connect_args.get("options"), "-c jit=off"]))
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


def _configure_sqlite(engine: Engine, *, write_lock_first: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" hook below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Take the write lock at the start: a deferred transaction that reads and then
        # writes can fail at once with "database is locked" instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_lock_first else "BEGIN")


def wal_checkpoint(engine: Engine, mode: str = "PASSIVE") -> tuple[int, int]:
    """Copy a SQLite database's write-ahead log into its file now, outside any transaction:
    (pages in the log, pages copied back). TRUNCATE waits for readers and empties the log."""
    if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
        raise ValueError(f"not a checkpoint mode: {mode}")
    connection = engine.raw_connection()
    try:
        _busy, in_log, copied = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
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

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            try:
                self.once()
            except LookupError:
                return
            except Exception:  # noqa: BLE001 - the next round tries again
                logger.warning(self.failure, exc_info=True)
            else:
                self.rounds += 1


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

    @property
    def checkpoints(self) -> int:
        return self.rounds

    def once(self) -> tuple[int, int]:
        return self.checkpoint()

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
