"""Notes stored before encryption at rest, encrypted by the upgrade itself.

A database from before notes were encrypted upgrades its schema on start like any other,
but its notes are still plain text, which no screen may show as if nothing were wrong
(models.crypto refuses them). Rather than stop every screen until an operator runs
`rotate-key`, the start that finds them does it: first a verified copy of the SQLite
file (dashboard/backup.py), then every note encrypted in one transaction, so that a
crash leaves either the old database or the new, never a mix. On PostgreSQL the one
transaction is the safeguard (take a pg_dump first, as before any upgrade).

The copy holds the notes unencrypted: the log says where it is, and that it is to be
deleted once the upgrade is checked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, Text, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.audit import audit_secret, record_event
from dashboard.backup import back_up
from dashboard.encryption_keys import check_notes_readable, reencrypt_notes
from models import Base, crypto
from models.db import PRIVATE_FOLDER_MODE

logger = logging.getLogger(__name__)
BACKUP_FOLDER = "backups"
# Fernet tokens are URL-safe base64 of a version byte 0x80 and a timestamp whose first
# bytes are 0: every token begins with these letters, and no note a person wrote is one.
_TOKEN_START = "gAAAAA"

Progress = Callable[[int, int], None]  # (values done, values in all)


@dataclass(frozen=True)
class LegacyEncryption:
    encrypted: int  # notes that were plain text
    backup: Path | None  # the copy taken first (SQLite)


def _plain(column):
    raw = type_coerce(column, Text)
    return (raw.is_not(None)) & (raw.not_like(f"{_TOKEN_START}%"))


def plain_notes_stored(engine: Engine) -> bool:
    """Whether any encrypted column holds a value stored as plain text."""
    with engine.connect() as connection:
        for column in crypto.encrypted_columns(Base.metadata):
            if connection.execute(select(type_coerce(column, Text)).where(
                    _plain(column)).limit(1)).first() is not None:
                return True
    return False


def _stored_values(engine: Engine) -> int:
    total = 0
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, crypto.EncryptedText)]
            if columns:
                total += connection.execute(select(func.count()).select_from(table).where(
                    or_(*(c.is_not(None) for c in columns)))).scalar_one() * len(columns)
    return total


def backup_path(database: Path, now: datetime) -> Path:
    folder = database.parent / BACKUP_FOLDER
    folder.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
    return folder / f"{database.stem}-before-note-encryption-{now:%Y%m%d-%H%M%S}.db"


def encrypt_legacy_notes(*, engine: Engine, now: datetime,
                         progress: Progress | None = None) -> LegacyEncryption | None:
    """Encrypt the notes stored as plain text, after a verified copy of a SQLite file; None
    when there are none. Needs the keys configured (dashboard/key_guard.open_keys)."""
    if not plain_notes_stored(engine):
        return None
    backup = None
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        database = Path(engine.url.database).resolve()
        backup = backup_path(database, now)
        back_up(source=engine, target=backup, now=now,
                audit_secret=audit_secret(engine.url.render_as_string(hide_password=False)))
        logger.warning(
            "Before encrypting the notes stored unencrypted, the database was copied to %s. "
            "That copy holds those notes unencrypted: delete it once you have checked the "
            "upgrade.", backup)
    total = _stored_values(engine)
    with Session(engine) as session, session.begin():
        connection = session.connection()
        if engine.dialect.name == "sqlite":
            # Freed pages are zeroed, not left holding the plain text.
            connection.exec_driver_sql("PRAGMA secure_delete = ON")
        result = reencrypt_notes(
            connection=connection,
            progress=None if progress is None else (lambda done: progress(done, total)))
        record_event(session, actor_id=None, action="notes_reencrypted", at=now,
                     detail=f"upgrade: {result.were_unencrypted} notes stored unencrypted "
                            "were encrypted")
    check_notes_readable(engine=engine)
    logger.warning("Encrypted %d notes that were stored unencrypted.", result.were_unencrypted)
    return LegacyEncryption(encrypted=result.were_unencrypted, backup=backup)
