"""A full disk: the database can still be verified and copied to another disk, the command
line says "the disk is full" in plain words, and the background checkpoints do not flood
the log while it lasts.

The disk is a real 2 MB tmpfs filled to the last byte, where the machine lets the tests
mount one (as root). Elsewhere a full disk is simulated at the driver: every connection to
the database that may write fails as SQLite fails on a full disk, and only SQLite's way of
reading read-only media succeeds. Either way the tests run: none of them skips.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import text

import models.db
from models.db import FailureLog, WalCheckpointer, make_engine
from tests.integration.cli_runs import run

DISK_SIZE = "2m"


class FullDisk:
    """A small disk for the database, filled up and freed on demand."""

    def __init__(self, folder: Path, *, real: bool, monkeypatch):
        self.folder, self.real, self._monkeypatch = folder, real, monkeypatch
        self.full = False

    def fill(self) -> None:
        self.full = True
        if self.real:
            # Unbuffered: a buffered file would meet the full disk again when it closes.
            with open(self.folder / "filler", "wb", buffering=0) as filler:
                try:
                    while True:
                        filler.write(b"\0" * 65536)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
            assert shutil.disk_usage(self.folder).free == 0
        else:
            self._simulate()

    def free(self) -> None:
        self.full = False
        if self.real:
            (self.folder / "filler").unlink()

    def _simulate(self) -> None:
        # What SQLite does on a full disk, at the driver: a connection that may write (or
        # must grow the -shm file to read) fails; reading as from read-only media works.
        real_connect, real_checkpoint = sqlite3.connect, models.db.wal_checkpoint

        def connect(database, *args, **kwargs):
            where = unquote(str(database))
            if not self.full or str(self.folder) not in where or "readonly_shm=1" in where:
                return real_connect(database, *args, **kwargs)
            if "mode=ro" in where:
                # A reader creates the -shm file, then cannot grow it.
                path = where.removeprefix("file:").split("?")[0]
                Path(f"{path}-shm").touch()
                raise _driver_error("disk I/O error", sqlite3.SQLITE_IOERR_SHMSIZE)
            raise _driver_error("database or disk is full", sqlite3.SQLITE_FULL)

        def checkpoint(engine, *args, **kwargs):
            if self.full and str(self.folder) in str(engine.url):
                raise _driver_error("database or disk is full", sqlite3.SQLITE_FULL)
            return real_checkpoint(engine, *args, **kwargs)

        # SQLAlchemy connects through sqlite3.dbapi2, models/db.py through sqlite3.
        self._monkeypatch.setattr(sqlite3, "connect", connect)
        self._monkeypatch.setattr(sqlite3.dbapi2, "connect", connect)
        self._monkeypatch.setattr(models.db, "wal_checkpoint", checkpoint)


def _driver_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def _mount_tmpfs(folder: Path) -> bool:
    if os.geteuid() != 0:
        return False
    try:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700",
                                 "tmpfs", str(folder)], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


@pytest.fixture
def disk(tmp_path, monkeypatch):
    folder = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    folder.mkdir(mode=0o700)
    real = _mount_tmpfs(folder)
    try:
        yield FullDisk(folder, real=real, monkeypatch=monkeypatch)
    finally:
        if real:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


@pytest.fixture
def database_on_disk(disk, sqlite_template, monkeypatch):
    path = disk.folder / "dashboard.db"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path




def _some_audited_work(capsys, monkeypatch) -> None:
    for username in ("ada", "bea"):
        code, _, err = run(["create-user", username, "--role", "admin"], capsys, monkeypatch,
                           stdin="a sturdy passphrase\n")
        assert code == 0, err


def test_verify_audit_works_on_a_full_disk(disk, database_on_disk, capsys, monkeypatch):
    _some_audited_work(capsys, monkeypatch)
    disk.fill()
    code, out, err = run(["verify-audit"], capsys, monkeypatch)
    assert code == 0, err
    assert out.startswith("The audit trail is intact:")
    assert "2 newer events not sealed yet, their HMACs verified" in out


def test_backup_to_another_disk_works_on_a_full_disk(disk, database_on_disk, tmp_path,
                                                     capsys, monkeypatch):
    _some_audited_work(capsys, monkeypatch)
    disk.fill()
    target = tmp_path / "elsewhere" / "copy.db"
    target.parent.mkdir()
    code, out, err = run(["backup", str(target)], capsys, monkeypatch)
    assert code == 0, err
    assert "Verified the copy: integrity check passed, audit trail intact" in out
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT username FROM users ORDER BY username").fetchall() == [
            ("ada",), ("bea",)]


def test_a_save_on_a_full_disk_says_so_in_plain_words(disk, database_on_disk, capsys,
                                                      monkeypatch):
    run(["init"], capsys, monkeypatch)
    disk.fill()
    code, out, err = run(["create-user", "cleo", "--role", "member"], capsys, monkeypatch,
                         stdin="a sturdy passphrase\n")
    assert code == 1 and out == ""
    assert err.startswith("error: The disk that holds the database is full")
    assert "python -m dashboard backup PATH" in err
    assert "disk I/O error" not in err and err.count("\n") == 1


def test_the_checkpointer_reports_a_full_disk_without_flooding_the_log(
        disk, database_on_disk, caplog):
    engine = make_engine(f"sqlite:///{database_on_disk}")
    with engine.begin() as connection:  # pages in the log, to be copied into the file
        connection.execute(text("CREATE TABLE filler (words TEXT)"))
        connection.execute(text("INSERT INTO filler VALUES (:words)"),
                           [{"words": "x" * 1000} for _ in range(300)])
    checkpointer = WalCheckpointer(engine)
    seconds = [0.0]
    checkpointer.failures = FailureLog(checkpointer.failure, seconds=lambda: seconds[0])
    caplog.set_level(logging.WARNING, logger="models.db")
    try:
        disk.fill()
        for _ in range(120):  # two minutes of rounds
            assert checkpointer.run_round()
            seconds[0] += 1
        assert [r.getMessage() for r in caplog.records] == ["background WAL checkpoint failed"]
        assert caplog.records[0].exc_info is not None  # the first one with its traceback
        caplog.clear()
        seconds[0] += 300
        checkpointer.run_round()  # five minutes on: one line, with how often it happened
        (line,) = [r.getMessage() for r in caplog.records]
        assert line.startswith("background WAL checkpoint failed again, 120 times since the "
                               "last report (121 in a row): OperationalError: ")
        assert "full" in line or "disk I/O error" in line
        assert caplog.records[0].exc_info is None
        caplog.clear()
        disk.free()
        checkpointer.run_round()
        assert [r.getMessage() for r in caplog.records] == [
            "background WAL checkpoint failed 121 times in a row, and works again"]
        assert checkpointer.rounds == 1
    finally:
        engine.dispose()
