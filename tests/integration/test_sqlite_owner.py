"""dashboard/sqlite_owner.py: one app process per SQLite file, claimed with a lock file
beside it, refused to a second process with a message saying why and what to do."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dashboard.config import ConfigError
from dashboard.sqlite_owner import (
    DatabaseInUse,
    claim_database,
    database_file,
    holds,
    lock_file,
    release_all,
    release_database,
)

ROOT = Path(__file__).resolve().parents[2]

# Another process claims the file: exit 0 if it got it, 3 with the message if refused.
CLAIM = """
import sys
from dashboard.config import ConfigError
from dashboard.sqlite_owner import claim_database
try:
    claim_database(database_url=sys.argv[1])
except ConfigError as error:
    print(error)
    sys.exit(3)
"""

# Another process claims the file and holds it until its standard input closes.
HOLD = CLAIM + """
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def url(tmp_path) -> str:
    (tmp_path / "dashboard.db").touch()
    yield f"sqlite:///{tmp_path / 'dashboard.db'}"
    release_all()


def claim_elsewhere(url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLAIM, url], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


@contextmanager
def held_elsewhere(url: str) -> Iterator[subprocess.Popen]:
    """Another process holding the file for the block (or until the block kills it)."""
    with subprocess.Popen([sys.executable, "-c", HOLD, url], cwd=ROOT, text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as process:
        try:
            assert process.stdout.readline() == "held\n"
            yield process
        finally:
            process.stdin.close()
            process.wait(timeout=60)


def test_a_second_process_is_refused_with_the_file_the_owner_and_what_to_do(url, tmp_path):
    claim_database(database_url=url)

    refused = claim_elsewhere(url)

    assert refused.returncode == 3, refused.stderr
    message = refused.stdout.strip()
    assert str(tmp_path / "dashboard.db") in message
    assert f"pid {os.getpid()}" in message
    assert "one app process per SQLite file" in message
    assert "PostgreSQL (DATABASE_URL)" in message


def test_the_file_is_free_again_once_released(url):
    claim_database(database_url=url)
    assert claim_elsewhere(url).returncode == 3

    release_database(database_url=url)

    assert not holds(database_url=url)
    assert claim_elsewhere(url).returncode == 0, claim_elsewhere(url).stdout


def test_this_process_may_claim_its_file_again_and_again(url):
    for _ in range(50):
        claim_database(database_url=url)
    # The same file by another spelling of its path is the same claim.
    claim_database(database_url=url.replace("dashboard.db", "./dashboard.db"))

    assert holds(database_url=url)
    release_all()
    assert not holds(database_url=url)
    assert claim_elsewhere(url).returncode == 0


def test_this_process_is_refused_a_file_another_holds(url, tmp_path):
    with held_elsewhere(url) as other, pytest.raises(DatabaseInUse) as refused:
        claim_database(database_url=url)

    assert isinstance(refused.value, ConfigError)  # shown as a configuration problem
    assert refused.value.database == tmp_path / "dashboard.db"
    assert refused.value.pid == other.pid
    assert not holds(database_url=url)
    claim_database(database_url=url)  # the owner is gone: the file is free
    assert holds(database_url=url)


def test_a_killed_owner_leaves_the_file_free(url):
    with held_elsewhere(url) as other:
        other.send_signal(signal.SIGKILL)
        other.wait(timeout=60)

        claim_database(database_url=url)

    assert holds(database_url=url)
    assert lock_file(database_file(url)).read_text() == f"{os.getpid()}\n"


def test_the_lock_file_is_private_and_names_the_owner(url, tmp_path):
    path = tmp_path / "dashboard.db.app-lock"
    path.write_text("12345\n")
    path.chmod(0o644)  # made by hand, or before this rule

    claim_database(database_url=url)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == f"{os.getpid()}\n"


def test_a_file_that_names_no_process_still_refuses(url, tmp_path):
    with held_elsewhere(url):
        # The owner's number is gone from the file (edited by hand): the claim still holds.
        (tmp_path / "dashboard.db.app-lock").write_text("")
        with pytest.raises(DatabaseInUse, match="in use by another app process;") as refused:
            claim_database(database_url=url)
    assert refused.value.pid is None


@pytest.mark.parametrize("other", [
    "postgresql://recovery:secret@db.example.org/recovery",
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///file:shared?mode=memory&cache=shared&uri=true",
])
def test_postgresql_and_memory_are_not_claimed(other, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    claim_database(database_url=other)

    assert not holds(database_url=other)
    assert database_file(other) is None
    assert list(tmp_path.iterdir()) == []


def test_a_uri_filename_names_its_file(tmp_path):
    assert database_file(f"sqlite:///file:{tmp_path}/d.db?uri=true") == tmp_path / "d.db"
    assert database_file(f"sqlite:///file://{tmp_path}/d.db?uri=true") == tmp_path / "d.db"
