"""The keys of a database, opened and checked at every start.

Two kinds of key protect a database without being in it: the audit key, which signs the
audit trail (dashboard/audit.py), and the keys of the notes encrypted at rest
(dashboard/encryption_keys.py). Either can be lost or swapped: a key file deleted, a
backup restored beside the wrong one, a key file emptied by a crash while it was made.
Each of those once led the dashboard to make a new key and go on writing under it,
after which the trail read as tampered with and the old notes could not be opened.

So, at every start (the app, and every command):
- a key whose fingerprint (dashboard/key_fingerprints.py) the database does not know is
  refused, with a message that says which key and what to do;
- a key file is created only for a database that never had that key, and never by a
  read-only command (`verify-audit`, `backup`, `sweep`);
- an empty or short key is refused (dashboard/audit.py, dashboard/secret_files.py);
- a database from before fingerprints were kept has its keys proven on its data (the
  newest audit event's HMAC, a stored note) and their fingerprints recorded.

While the app runs, `missing_key_files` notices a key file that disappeared: the app goes
on with the keys it holds, and says the file must be put back before the next start.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.audit import (
    audit_key_file,
    create_audit_key_file,
    read_audit_key_file,
    signed_with,
    use_audit_secret,
)
from dashboard.config import AUDIT_SECRET_ENV, ConfigError, Settings
from dashboard.encryption_keys import KeySource, configure_keys, key_file_for
from dashboard.key_fingerprints import (
    AUDIT,
    NOTES,
    fingerprint,
    known_fingerprints,
    record_fingerprints,
)
from dashboard.legacy_notes import Progress, encrypt_legacy_notes, plain_notes_stored
from models import AuditEvent, crypto

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenedKeys:
    audit_where: str  # where the audit key came from, in words
    notes: KeySource
    created: tuple[Path, ...]  # key files made by this start (a new database)


def open_keys(*, settings: Settings, engine: Engine, now: datetime, may_create: bool = True,
              record: bool = True, check_notes: bool = True,
              progress: Progress | None = None) -> OpenedKeys:
    """Open and check both kinds of key for the database of `settings`, after its schema
    is current; ConfigError (or NoteDecryptionError) with a plain message when a key is
    missing, short, or not the one the database was written with.

    `may_create=False` for a read-only command: nothing is created. `record=False` writes
    nothing to the database either (a read-only command on a full disk).

    Notes stored before encryption at rest (an upgraded old database) are encrypted here,
    after a verified copy (dashboard/legacy_notes.py), unless `record` is False; their
    progress goes to `progress(done, total)`."""
    created: list[Path] = []
    audit_where = _open_audit_key(settings=settings, engine=engine, now=now,
                                  may_create=may_create, record=record, created=created)
    legacy = plain_notes_stored(engine)
    notes = configure_keys(settings=settings, engine=engine,
                           check_notes=check_notes and not legacy, may_create=may_create)
    if notes.created and notes.key_file is not None:
        created.append(notes.key_file)
    try:
        _check_notes_keys(notes, engine=engine, now=now, record=record)
    except Exception:
        crypto.clear()  # keys that do not belong here must not write a single note
        raise
    if legacy and record:
        encrypt_legacy_notes(engine=engine, now=now, progress=progress)
    _watch(settings)
    return OpenedKeys(audit_where=audit_where, notes=notes, created=tuple(created))


def _open_audit_key(*, settings: Settings, engine: Engine, now: datetime, may_create: bool,
                    record: bool, created: list[Path]) -> str:
    with Session(engine) as session:
        known = known_fingerprints(session.connection(), AUDIT)
        newest_signed = session.scalars(
            select(AuditEvent).where(AuditEvent.row_hash.is_not(None))
            .order_by(AuditEvent.id.desc()).limit(1)
        ).first()
    if settings.audit_secret:
        secret, where = settings.audit_secret, f"the environment variable {AUDIT_SECRET_ENV}"
    else:
        path = audit_key_file(settings.database_url)
        if path is None:
            raise ConfigError(f"{AUDIT_SECRET_ENV} must be set for this database: it keys "
                              "the tamper-evident audit trail")
        where = f"the key file {path}"
        if not path.exists():
            if known or newest_signed is not None:
                raise ConfigError(
                    f"the audit key file {path} is missing, and this database's audit trail "
                    "was written with it: put the file back from where you keep its copy "
                    "(backups of the database do not contain it). A new key would make the "
                    "whole trail unverifiable, so none is made")
            if not may_create:
                raise ConfigError(
                    f"there is no audit key file at {path}; this command never creates one "
                    "(start the dashboard, or run `python -m dashboard init`, to set up a "
                    "new database)")
            if create_audit_key_file(path):
                created.append(path)
        secret = read_audit_key_file(path)
        use_audit_secret(settings.database_url, secret)
    if known:
        if fingerprint(secret) not in known:
            raise ConfigError(_swapped("audit key", where))
    elif newest_signed is not None and not signed_with(secret, newest_signed):
        raise ConfigError(_swapped("audit key", where))
    if record and fingerprint(secret) not in known:
        with engine.begin() as connection:
            record_fingerprints(connection, AUDIT, [secret], now=now)
    return where


def _check_notes_keys(notes: KeySource, *, engine: Engine, now: datetime,
                      record: bool) -> None:
    """At least one key in use must be one the database knows (a rotation puts a new key
    first and keeps the older ones after it); the new ones are then recorded. A database
    without fingerprints yet had its keys proven on a stored note by configure_keys."""
    with engine.connect() as connection:
        known = known_fingerprints(connection, NOTES)
    prints = {fingerprint(key) for key in notes.keys}
    if known and not prints & known:
        raise ConfigError(_swapped("notes' encryption key", notes.where))
    if record and prints - known:
        with engine.begin() as connection:
            record_fingerprints(connection, NOTES, notes.keys, now=now)


def _swapped(what: str, where: str) -> str:
    return (f"the {what} in {where} is not the one this database was written with: put back "
            "the key that belongs to this database (a backup restored beside another "
            "database's key file, or a key file made anew, causes this). Nothing was changed")


# --- key files that disappear while the app runs ---------------------------------------

_in_use: dict[Path, str] = {}  # key file -> what it holds, for the files this process read
_missing: set[Path] = set()
_watch_lock = threading.Lock()


def _watch(settings: Settings) -> None:
    files = {}
    if not settings.audit_secret:
        path = audit_key_file(settings.database_url)
        if path is not None:
            files[path] = "audit key"
    if not settings.encryption_keys:
        path = key_file_for(database_url=settings.database_url)
        if path is not None:
            files[path] = "notes' encryption key"
    with _watch_lock:
        _in_use.update(files)


def missing_key_files() -> list[tuple[Path, str]]:
    """The key files this process opened at start that are gone now, with what each holds.
    A file that disappears is logged once as a warning (and once when it is back)."""
    gone = []
    with _watch_lock:
        for path, what in _in_use.items():
            if path.exists():
                if path in _missing:
                    _missing.discard(path)
                    logger.warning("The %s file %s is back.", what, path)
                continue
            gone.append((path, what))
            if path not in _missing:
                _missing.add(path)
                logger.warning(
                    "The %s file %s has disappeared. The dashboard goes on with the key it "
                    "holds in memory, but will not start again without the file: put it "
                    "back from where you keep its copy now.", what, path)
    return gone


def forget_watched_files() -> None:
    """Stop watching (tests that open many databases in one process)."""
    with _watch_lock:
        _in_use.clear()
        _missing.clear()
