"""dashboard/faults.py: which failures are told plainly, and in which words."""

import errno
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from dashboard.config import ConfigError
from dashboard.faults import (
    BUSY,
    CONFIGURATION,
    DATABASE_UNREACHABLE,
    DISK_FULL,
    KEYS,
    fault_of,
    is_disconnect,
)
from models.crypto import NoteDecryptionError


class PgError(Exception):
    """Stands for a psycopg error: they carry the server's SQLSTATE."""

    def __init__(self, message: str, sqlstate: str):
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(orig: Exception) -> OperationalError:
    return OperationalError("INSERT INTO checkins ...", {}, orig)


@pytest.mark.parametrize(("error", "kind"), [
    (wrapped(sqlite3.OperationalError("database or disk is full")), DISK_FULL),
    (OSError(errno.ENOSPC, "No space left on device"), DISK_FULL),
    (wrapped(PgError("could not extend file", "53100")), DISK_FULL),
    (wrapped(PgError("terminating connection due to administrator command", "57P01")),
     DATABASE_UNREACHABLE),
    (wrapped(PgError("connection failed: Connection refused", "08006")), DATABASE_UNREACHABLE),
    (wrapped(sqlite3.OperationalError("database is locked")), BUSY),
    (ConfigError("the audit key file x is missing"), CONFIGURATION),
    (NoteDecryptionError(), KEYS),
])
def test_each_failure_of_the_machinery_has_its_plain_account(error, kind):
    fault = fault_of(error)
    assert fault.kind == kind
    assert "Nothing was changed." in fault.for_everyone
    for words in ("Traceback", "OperationalError", "sqlite3", "53100"):
        assert words not in fault.for_everyone


def test_the_disk_is_full_in_plain_words():
    fault = fault_of(wrapped(sqlite3.OperationalError("database or disk is full")))
    assert fault.for_everyone.startswith("The disk that holds the database is full")
    assert "python -m dashboard backup" in fault.admin_to_do


def test_a_bug_is_not_dressed_up_as_a_database_failure():
    assert fault_of(ValueError("a bug")) is None
    assert fault_of(KeyError("mood")) is None


def test_only_a_dropped_connection_makes_a_save_worth_repeating():
    assert is_disconnect(wrapped(PgError("server closed the connection", "08006")))
    assert not is_disconnect(wrapped(sqlite3.OperationalError("database or disk is full")))
    assert not is_disconnect(wrapped(PgError("duplicate key", "23505")))
