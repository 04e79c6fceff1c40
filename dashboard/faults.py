"""What went wrong, in words: database and configuration failures as plain messages.

A failure of the machinery (the database is down, the disk is full, a key file is wrong)
is not the person's doing and must never reach them as a stack trace. `fault_of` names the
failure, says that nothing was changed, and says what to do: for a member or a sponsor,
to try again or tell an administrator; for an administrator, the exact thing to do. The
screens (dashboard/web/faults.py) and the command line both use it.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)

from dashboard.config import ConfigError
from dashboard.write_turns import is_busy
from models.crypto import EncryptionError

# PostgreSQL's error classes for "cannot reach or use the server now": connection
# exceptions (08), operator intervention such as a shutdown or a restart (57P), and
# insufficient resources (53), of which 53100 is a full disk.
_PG_UNREACHABLE_CLASSES = ("08", "57P")
_PG_DISK_FULL = "53100"
# Under this much free space, SQLite's "disk I/O error" on a write is a full disk.
_NEARLY_FULL_BYTES = 1 << 20

BUSY = "busy"
DATABASE_UNREACHABLE = "database_unreachable"
DISK_FULL = "disk_full"
CONFIGURATION = "configuration"
KEYS = "keys"
DATABASE = "database"


@dataclass(frozen=True)
class Fault:
    kind: str
    what: str  # what happened, in a sentence
    to_do: str  # what anyone seeing it can do
    admin_to_do: str  # what an administrator does about it

    def message(self, *, for_admin: bool) -> str:
        return f"{self.what} Nothing was changed. {self.admin_to_do if for_admin else self.to_do}"

    @property
    def for_everyone(self) -> str:
        return f"{self.what} Nothing was changed. {self.to_do}"


def _errors_in(error: BaseException):
    """The error and the errors it wraps (SQLAlchemy's .orig, __cause__, __context__)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and id(orig) not in seen:
            yield from _errors_in(orig)
        current = current.__cause__ or current.__context__


def _sqlstate(error: BaseException) -> str | None:
    for inner in _errors_in(error):
        state = getattr(inner, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def _database_folder(database_url: str | None) -> Path | None:
    if not database_url:
        return None
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve().parent


def is_disk_full(error: BaseException, *, database_url: str | None = None) -> bool:
    """Whether `error` comes from a full disk: SQLite's "database or disk is full", an
    OSError with ENOSPC, PostgreSQL's disk_full, or SQLite's "disk I/O error" while the
    database's disk has (almost) no space left."""
    if _sqlstate(error) == _PG_DISK_FULL:
        return True
    for inner in _errors_in(error):
        if isinstance(inner, OSError) and inner.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(inner).lower()
        if "database or disk is full" in text or "no space left on device" in text:
            return True
        if isinstance(inner, sqlite3.Error) and "disk i/o error" in text:
            folder = _database_folder(database_url)
            if folder is not None and _free_bytes(folder) < _NEARLY_FULL_BYTES:
                return True
    return False


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 1 << 62  # unknown: not evidence of a full disk


def is_disconnect(error: BaseException) -> bool:
    """Whether the database could not be reached, or dropped the connection: the
    transaction did not commit (or never began), so an idempotent save may be tried again."""
    if isinstance(error, DisconnectionError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if state is not None and state.startswith(_PG_UNREACHABLE_CLASSES):
        return True
    if isinstance(error, (OperationalError, InterfaceError)):
        text = str(error.orig or error).lower()
        return any(words in text for words in (
            "connection refused", "could not connect", "server closed the connection",
            "connection is closed", "connection timeout", "timeout expired",
            "terminating connection", "the database system is", "connection failed",
            "consuming input failed", "no route to host", "name or service not known"))
    return False


def _sentence(error: BaseException) -> str:
    text = str(error).strip()
    return text if text.endswith(".") else text + "."


def fault_of(error: BaseException, *, database_url: str | None = None) -> Fault | None:
    """The plain account of a database or configuration failure; None for anything else
    (a bug, which stays a bug)."""
    if is_busy(error):
        return Fault(
            BUSY, "The database is busy right now.", "Please try again in a moment.",
            "Many saves are waiting their turn; if this lasts, see the benchmark and "
            "PostgreSQL sections of the operations guide.")
    if is_disk_full(error, database_url=database_url):
        return Fault(
            DISK_FULL, "The disk that holds the database is full, so nothing new can be saved.",
            "Please tell an administrator; what you saved before is safe.",
            "Free space on the database's disk (the dashboard resumes by itself once there "
            "is room); `python -m dashboard backup PATH` can copy the database to another "
            "disk meanwhile.")
    if is_disconnect(error):
        return Fault(
            DATABASE_UNREACHABLE, "The dashboard cannot reach its database right now.",
            "Please try again in a minute: what you typed is kept, and comes back in the form.",
            "Check that the database server is running and reachable from this host (the "
            "address is DATABASE_URL); the dashboard reconnects by itself.")
    if isinstance(error, ConfigError):
        return Fault(
            CONFIGURATION, f"The dashboard is not set up correctly: {_sentence(error)}",
            "Please tell an administrator.",
            "Correct the setting named above and restart the dashboard; "
            "`python -m dashboard init` checks the setup and says what is wrong.")
    if isinstance(error, EncryptionError):
        return Fault(
            KEYS, f"The dashboard cannot use its encryption keys: {_sentence(error)}",
            "Please tell an administrator.",
            "Restore the key file that belongs to this database, or set the keys it was "
            "written with, then restart; `python -m dashboard init` checks them.")
    if isinstance(error, (SQLAlchemyError, sqlite3.Error)):
        return Fault(
            DATABASE, "The database could not complete the request.",
            "Please try again; if it happens again, tell an administrator.",
            "The server log has the database's own message; "
            "`python -m dashboard verify-audit` checks the database's audit trail.")
    return None
