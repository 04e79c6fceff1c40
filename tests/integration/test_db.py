"""models/db.py: how engines are set up, and the background checkpoints of SQLite."""

import os
import sqlite3
import stat
import time

import pytest
from sqlalchemy import text

from models.db import (
    SQLITE_AUTOCHECKPOINT_PAGES,
    WalCheckpointer,
    make_engine,
    start_wal_checkpointer,
)


def test_sqlite_connections_checkpoint_in_commits_only_as_a_backstop(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == (
            SQLITE_AUTOCHECKPOINT_PAGES)
    engine.dispose()


def _fill_the_log(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (n INTEGER, words TEXT)"))
        connection.execute(text("INSERT INTO filler VALUES (:n, :words)"),
                           [{"n": n, "words": "x" * 500} for n in range(2000)])


def test_a_checkpoint_copies_the_log_into_the_database_file(sqlite_url):
    engine = make_engine(sqlite_url)
    _fill_the_log(engine)
    in_log, copied = WalCheckpointer(engine).checkpoint()
    assert in_log > 100 and copied == in_log
    engine.dispose()


def test_the_background_checkpointer_runs_and_ends_with_its_database(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    checkpointer = WalCheckpointer(engine, every_seconds=0.05).start()
    try:
        _fill_the_log(engine)
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.checkpoints >= 2 and checkpointer.running
        engine.dispose()
        for path in tmp_path.glob("dashboard.db*"):
            path.unlink()
        checkpointer._thread.join(timeout=10)
        assert not checkpointer.running  # quietly, without creating the file again
        assert not (tmp_path / "dashboard.db").exists()
    finally:
        checkpointer.stop()


def test_only_a_sqlite_file_gets_a_checkpointer():
    assert start_wal_checkpointer(make_engine("sqlite://")) is None
    assert start_wal_checkpointer(
        make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")) is None


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask():
    """The umask of a careless shell: what the files' own modes must hold against."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_sqlite_database_is_private_whatever_the_umask(tmp_path, lax_umask):
    path = tmp_path / "data" / "dashboard.db"
    engine = make_engine(f"sqlite:///{path}")
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    with engine.connect() as connection:  # the log files exist while a connection is open
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
        connection.commit()
        sides = [path.with_name(path.name + side) for side in ("-wal", "-shm")]
        assert [mode(side) for side in sides] == [0o600, 0o600]
    engine.dispose()


def test_a_database_others_could_read_is_made_private(tmp_path, lax_umask, caplog):
    path = tmp_path / "dashboard.db"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600
    assert "readable by other users" in caplog.text
