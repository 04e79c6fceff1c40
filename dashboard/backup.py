"""Backups of the embedded SQLite database: an online copy, checked before it counts.

Only SQLite's online backup copies a live database: a plain copy of the file (`cp`) can
miss the newest saves, still in the -wal file beside it, or catch a page half written.
The copy is then checked as a restore would use it: SQLite's integrity check, and its audit
trail verified under the key of the database it came from (the copy has no key file beside
it, and gets none). A copy that could not be made whole, or fails a check, is removed.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from dashboard.audit import SECRET_FILE, audit_secret
from dashboard.audit_verify import verify_log
from dashboard.config import AUDIT_SECRET_ENV, Settings
from dashboard.encryption_keys import key_location
from dashboard.faults import is_disk_full
from models.db import (
    SQLITE_SIDE_FILES,
    make_engine,
    make_session_factory,
    schema_is_current,
)


class BackupError(Exception):
    """The copy could not be made, or failed its check: nothing is left at the target."""


@dataclass(frozen=True)
class CheckedCopy:
    audit_events: int | None  # events of the copy whose HMAC verified; None: not checked
    audit_unchecked: str | None = None  # why the audit trail was not checked

    def summary(self) -> str:
        if self.audit_events is None:
            return f"Verified the copy: integrity check passed; {self.audit_unchecked}."
        return (f"Verified the copy: integrity check passed, audit trail intact "
                f"({self.audit_events:,} event{'' if self.audit_events == 1 else 's'}).")


def back_up(*, source: Engine, target: Path, audit_secret: bytes | None,
            now: datetime) -> CheckedCopy:
    """Copy the database of `source` (a SQLite engine) to the new file `target` and check
    the copy; on any failure the copy is removed (BackupError says why).
    `audit_secret` is the source database's audit key (None: none was found)."""
    # The copy holds every member's data: private (0600) from its first byte, whatever the
    # umask, and never over a file that appeared meanwhile.
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{target} exists already; choose a new file name") from None
    try:
        _copy(source, target)
        return check_copy(target, audit_secret=audit_secret, now=now)
    except BaseException:
        remove_copy(target)
        raise


def _copy(source: Engine, target: Path) -> None:
    # SQLite's online backup: one consistent snapshot, while the app keeps saving.
    connection = source.raw_connection()
    try:
        destination = sqlite3.connect(target)
        try:
            connection.driver_connection.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as error:
        if is_disk_full(error, database_url=f"sqlite:///{target.resolve()}"):
            raise BackupError(f"the disk that holds {target} is full, so no copy was made; "
                              "free space there, or back up to another disk") from None
        raise
    finally:
        connection.close()


def check_copy(target: Path, *, audit_secret: bytes | None, now: datetime) -> CheckedCopy:
    """SQLite's integrity check of the copy at `target`, then its audit trail under
    `audit_secret`; BackupError if either finds a fault."""
    engine = make_engine(f"sqlite:///{target.resolve()}", sqlite_write_lock_first=False)
    try:
        _check_integrity(engine, target)
        if audit_secret is None:
            return CheckedCopy(None, "its audit trail was not checked, as the audit key "
                                     "was not found")
        if not schema_is_current(engine):
            return CheckedCopy(None, "its audit trail is checked once the database is at "
                                     "the newest schema (`python -m dashboard init`)")
        return CheckedCopy(_verified_audit_events(engine, audit_secret=audit_secret, now=now))
    finally:
        engine.dispose()


def _check_integrity(engine: Engine, target: Path) -> None:
    try:
        with engine.connect() as connection:
            problems = [row for row in connection.exec_driver_sql(
                "PRAGMA integrity_check").scalars() if row != "ok"]
    except (DBAPIError, sqlite3.DatabaseError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        problems = [reason]
    if problems:
        raise BackupError(f"the copy failed SQLite's integrity check ({problems[0]}), so it "
                          f"was removed from {target}; if the next backup fails the same "
                          "way, the database itself may be damaged")


def _verified_audit_events(engine: Engine, *, audit_secret: bytes, now: datetime) -> int:
    # Unsealed events are pending however old: sealing is the database's matter, which
    # `verify-audit` reports; the copy must only hold what the key signed.
    with make_session_factory(engine)() as session:
        report = verify_log(session, now=now, secret=audit_secret, unsealed_limit=None)
    if not report.intact:
        raise BackupError(f"the copy's audit trail does not verify at event "
                          f"{report.problem_id} ({report.problem}), so the copy was "
                          "removed; `python -m dashboard verify-audit` checks the database")
    return report.checked + report.pending


def remove_copy(target: Path) -> None:
    """Remove a copy that did not pass, with any file SQLite made beside it."""
    for path in [target, *(target.with_name(target.name + side) for side in SQLITE_SIDE_FILES)]:
        path.unlink(missing_ok=True)


# The keys: never in the backup, and the backup is of no use without them.


def _key_folder(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database).resolve().parent


def source_audit_secret(*, settings: Settings) -> bytes | None:
    """The audit key of the SQLite database being backed up; None when there is none,
    rather than a new key file made beside it (the copy's audit trail is not checked)."""
    if not settings.audit_secret and not (_key_folder(settings) / SECRET_FILE).exists():
        return None
    return audit_secret(settings.database_url)


def audit_key_location(*, settings: Settings) -> str:
    """Where the audit key of a SQLite database is, in words (as dashboard/audit.py finds
    it)."""
    if settings.audit_secret:
        return f"the environment variable {AUDIT_SECRET_ENV}"
    return f"the key file {_key_folder(settings) / SECRET_FILE}"


def key_reminder(*, settings: Settings) -> str:
    return (f"The keys are not in the backup: the notes' encryption key is in "
            f"{key_location(settings=settings)}, the audit key in "
            f"{audit_key_location(settings=settings)}. Keep a copy of both apart from the "
            "backup; without them no note of the backup can be read, nor its audit trail "
            "verified.")
