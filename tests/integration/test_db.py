"""models/db.py: how engines are set up, and the background checkpoints of SQLite."""

import os
import sqlite3
import stat
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from models.db import (
    SQLITE_AUTOCHECKPOINT_PAGES,
    SQLITE_JOURNAL_SIZE_LIMIT_BYTES,
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
        assert connection.exec_driver_sql("PRAGMA journal_size_limit").scalar() == (
            SQLITE_JOURNAL_SIZE_LIMIT_BYTES)
    engine.dispose()


def _wal_size(sqlite_url) -> int:
    log = sqlite_url.removeprefix("sqlite:///") + "-wal"
    return os.path.getsize(log) if os.path.exists(log) else 0


def test_the_log_file_is_cut_back_to_its_limit_when_it_starts_over(sqlite_url):
    engine = make_engine(sqlite_url)
    while _wal_size(sqlite_url) <= SQLITE_JOURNAL_SIZE_LIMIT_BYTES:
        _fill_the_log(engine)
    WalCheckpointer(engine).checkpoint()
    with engine.begin() as connection:  # the next write starts the log over
        connection.execute(text("INSERT INTO filler VALUES (0, 'again')"))
    assert _wal_size(sqlite_url) <= SQLITE_JOURNAL_SIZE_LIMIT_BYTES
    engine.dispose()


def test_an_idle_database_has_its_log_file_emptied(sqlite_url):
    engine = make_engine(sqlite_url)
    checkpointer = WalCheckpointer(engine)
    for _ in range(3):  # sustained writes, a checkpoint round after each
        _fill_the_log(engine)
        checkpointer.run_round()
    assert _wal_size(sqlite_url) > 1_000_000
    for _ in range(2):  # idle rounds: copied back, then nothing new since
        checkpointer.run_round()
    assert _wal_size(sqlite_url) == 0
    with engine.connect() as connection:  # and nothing lost
        assert connection.execute(text("SELECT count(*) FROM filler")).scalar() == 6000
    engine.dispose()


def test_emptying_the_log_gives_way_to_a_writer_at_once(sqlite_url):
    engine = make_engine(sqlite_url)
    _fill_the_log(engine)
    WalCheckpointer(engine).checkpoint()
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a save holding the write lock
    try:
        started = time.monotonic()
        assert WalCheckpointer(engine).truncate() is False
        assert time.monotonic() - started < 2  # not the 15 s busy timeout of a save
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert WalCheckpointer(engine).truncate() is True
    engine.dispose()


def test_a_read_only_engine_writes_nothing(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url, read_only=True)
    assert engine.url.render_as_string() == sqlite_url  # its key files are found beside it
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 0
        with pytest.raises(OperationalError, match="readonly|read-only|query_only"):
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
    engine.dispose()
    missing = tmp_path / "none" / "missing.db"
    with pytest.raises(OperationalError, match="unable to open"):
        make_engine(f"sqlite:///{missing}", read_only=True).connect()
    assert not missing.parent.exists()


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


def test_postgresql_statements_and_connections_have_time_limits(postgresql_engine):
    """So that a page never hangs on a dead host or a stuck statement."""
    with postgresql_engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "1min"
        assert connection.execute(text("SHOW jit")).scalar_one() == "off"
        assert connection.execute(text("SHOW max_parallel_workers_per_gather")
                                  ).scalar_one() == "0"


def test_an_unreachable_postgresql_fails_with_a_plain_fault():
    import socket

    from dashboard.faults import DATABASE_UNREACHABLE, fault_of

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = make_engine(f"postgresql://nobody@127.0.0.1:{port}/none")
    try:
        with pytest.raises(OperationalError) as failure:
            engine.connect()
    finally:
        engine.dispose()
    assert fault_of(failure.value).kind == DATABASE_UNREACHABLE
