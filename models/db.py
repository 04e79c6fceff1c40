"""Engine, sessions and schema upgrades for SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000


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
            Path(database).parent.mkdir(parents=True, exist_ok=True)
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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Take the write lock at the start: a deferred transaction that reads and then
        # writes can fail at once with "database is locked" instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_lock_first else "BEGIN")


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
