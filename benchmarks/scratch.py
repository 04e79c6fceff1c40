"""The benchmark's own database, and the settings the app's code runs on while it works there.

Real data is never touched: the database is a temporary SQLite file, or a fresh
PostgreSQL database on the server of the settings' database, dropped afterwards; and
the keys of the notes and of the audit chain are throwaway ones, never the real ones.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from benchmarks.errors import BenchError
from dashboard import config
from dashboard.config import Settings
from models.crypto import generate_key
from models.db import make_engine


@dataclass(frozen=True)
class ScratchDatabase:
    url: str
    dialect: str
    where: str


@contextmanager
def scratch_database(*, database_url: str) -> Iterator[ScratchDatabase]:
    """A database of the benchmark's own, removed afterwards: never the real data.

    SQLite: a file in a new temporary folder. PostgreSQL: a new database on the server of
    `database_url`, dropped at the end even after an error.
    """
    backend = make_url(database_url).get_backend_name()
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
                # As docs/operations.md advises for PostgreSQL: the JIT compiler spends more
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
def scratch_settings(settings: Settings, *, scratch: ScratchDatabase) -> Iterator[Settings]:
    """`settings` for the scratch database, in force in this process until the block ends.

    The app's code that the benchmark runs (the services, and the pages through AppTest)
    takes the process's settings, so these must be the ones in force: otherwise the audit
    chain of the scratch database would be keyed with the real key, or with none on
    PostgreSQL. The notes' key and the audit chain's key are throwaway ones for this run
    only, since the scratch database and everything encrypted or chained with it goes at
    the end.
    """
    ours = replace(settings, database_url=scratch.url, encryption_keys=(generate_key(),),
                   audit_secret=secrets.token_hex(32).encode())
    previous = config.settings()
    config.put_in_force(ours)
    try:
        yield ours
    finally:
        config.put_in_force(previous)
