"""One app process per SQLite file: the app server claims its database file for its life.

The transactions of one app process take their turns fairly (dashboard/write_turns.py),
but turns are kept in the memory of a process: two app processes on one SQLite file meet
only at SQLite's busy timeout, and some saves wait for seconds. So an app process claims
its SQLite file when it opens it, with an exclusive `flock` on a lock file beside it
(`dashboard.db.app-lock`, private, holding the owner's process id), and holds it as long
as it runs; the system releases it when the process ends, even when it is killed. A
second app process on the same file is refused with a message naming the file and the
owner, and saying to run several processes on PostgreSQL instead.

Only the app server claims the file (dashboard/web/database.py). The command line does
not: its commands are short and run beside the app (a cron job's `sweep`, a `backup`).
PostgreSQL and in-memory databases are not claimed: PostgreSQL takes many processes.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

from dashboard.config import ConfigError

LOCK_SUFFIX = ".app-lock"
_PRIVATE_FILE_MODE = 0o600
_PRIVATE_FOLDER_MODE = 0o700

# The files this process holds, by the database file's resolved path: claiming again is a
# no-op (the tests run many apps in one process, and a lock taken twice by one process on
# two descriptors would refuse itself).
_held: dict[Path, int] = {}
_held_lock = threading.Lock()


class DatabaseInUse(ConfigError):
    """Another app process holds this SQLite file."""

    def __init__(self, database: Path, pid: int | None) -> None:
        self.database = database
        self.pid = pid
        owner = f"another app process (pid {pid})" if pid else "another app process"
        super().__init__(
            f"the SQLite database {database} is already in use by {owner}; run one app "
            "process per SQLite file, or use PostgreSQL (DATABASE_URL) to run several"
        )


def database_file(database_url: str) -> Path | None:
    """The SQLite file a database URL names, resolved; None for another backend or an
    in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename (`?uri=true`)
        if url.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
        if database.startswith("//"):  # file://host/path: only an empty host is local
            database = "/" + database[2:].partition("/")[2]
    if database in ("", ":memory:"):
        return None
    return Path(database).resolve()


def lock_file(database: Path) -> Path:
    return database.with_name(database.name + LOCK_SUFFIX)


def claim_database(*, database_url: str) -> None:
    """Claim the SQLite file of `database_url` for this process until it ends (or
    `release_database`); `DatabaseInUse` if another process holds it. Nothing for
    PostgreSQL or an in-memory database; nothing more if this process holds it already."""
    database = database_file(database_url)
    if database is None:
        return
    with _held_lock:
        if database in _held:
            return
        _held[database] = _take(database)


def _take(database: Path) -> int:
    path = lock_file(database)
    path.parent.mkdir(mode=_PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _PRIVATE_FILE_MODE)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise DatabaseInUse(database, _owner(descriptor)) from None
        info = os.fstat(descriptor)
        if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.geteuid():
            os.fchmod(descriptor, _PRIVATE_FILE_MODE)  # made before this rule, or by hand
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(descriptor)  # also drops the lock, if it was taken
        raise
    return descriptor


def _owner(descriptor: int) -> int | None:
    """The process id the owner wrote into the lock file, if it did."""
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    pid = int(text) if text.isdigit() else 0
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)  # a number left by an owner that is gone is no owner
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return pid


def holds(*, database_url: str) -> bool:
    """Whether this process holds the SQLite file of `database_url`."""
    database = database_file(database_url)
    with _held_lock:
        return database is not None and database in _held


def release_database(*, database_url: str) -> None:
    """Give up the claim on one file: for a tool or a test done with that database."""
    database = database_file(database_url)
    with _held_lock:
        descriptor = _held.pop(database, None) if database is not None else None
    if descriptor is not None:
        os.close(descriptor)


def release_all() -> None:
    """Give up every claim of this process: for a tool or a test that ran the app inside
    its own process and is done with its databases (the app holds its own until it ends)."""
    with _held_lock:
        descriptors = list(_held.values())
        _held.clear()
    for descriptor in descriptors:
        os.close(descriptor)
