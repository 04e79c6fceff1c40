"""Where the keys of the notes encrypted at rest come from, and how they rotate.

Keys, newest first, come from:

1. `DASHBOARD_ENCRYPTION_KEYS`: Fernet keys separated by commas. Required for PostgreSQL:
   the application servers hold the key and the database server never does, so a dump,
   a replica or a stolen database password shows no note text.
2. Otherwise, for a SQLite database file, the key file `encryption.key` in the database's
   folder (`data/encryption.key` for the embedded default): beside the database file,
   never inside it, so a copied database file or a backup holds no key. It is created on
   first use, atomically and readable by its owner only, and never overwritten by
   anything but `rotate-key`, which keeps the older keys after the new one.

The keyring is one per process (`models.crypto`): every entry point calls
`configure_keys` once, after the schema is upgraded and before any note is read.
Nothing here ever prints, logs or puts in an error message a key or a note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, Table, Text, bindparam, or_, select
from sqlalchemy import tuple_, type_coerce, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dashboard.audit import record_event
from dashboard.key_fingerprints import NOTES, known_fingerprints, record_fingerprints
from dashboard.config import ENCRYPTION_KEYS_ENV, ConfigError, Settings
from dashboard.secret_files import create_private_file, read_private_file, replace_private_file
from models import Base, crypto

KEY_FILE_NAME = "encryption.key"
_KEY_FILE_HEADER = (
    "# Keys of the recovery dashboard's encrypted notes, one per line, newest first.\n"
    "# Not in the database and not in its backups: keep a copy apart from them, readable\n"
    "# by the dashboard's account only. Without it no note in the database can be read.\n"
)
# Rows read and rewritten per statement by the re-encryption: large enough that the
# round trips do not dominate, small enough to keep memory flat at any scale.
REENCRYPT_BATCH_ROWS = 2_000


@dataclass(frozen=True)
class KeySource:
    """The keys in use and where they came from (for messages; never shows a key)."""

    keys: tuple[bytes, ...] = field(repr=False)
    key_file: Path | None  # None: from DASHBOARD_ENCRYPTION_KEYS
    created: bool = False  # the key file was created just now

    @property
    def where(self) -> str:
        if self.key_file is None:
            return f"the environment variable {ENCRYPTION_KEYS_ENV}"
        return f"the key file {self.key_file}"


# ---------------------------------------------------------------------------------------
# The key file.


def key_file_for(*, database_url: str) -> Path | None:
    """The key file of a SQLite database file (in its folder); None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve().parent / KEY_FILE_NAME


def read_key_file(*, path: Path) -> tuple[bytes, ...]:
    """The keys of a key file, newest first; ConfigError if it is unsafe or malformed."""
    if not path.exists():
        raise ConfigError(f"there is no key file at {path}")
    content = read_private_file(path, what="The key file").decode("ascii", errors="replace")
    keys = tuple(dict.fromkeys(
        line.strip().encode() for line in content.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ))
    if not keys:
        raise ConfigError(f"the key file {path} holds no key")
    for position, key in enumerate(keys, start=1):
        if not crypto.is_valid_key(key):
            raise ConfigError(f"the key file {path}: key {position} of {len(keys)} "
                              "is not a Fernet key")
    return keys


def _key_file_content(keys: tuple[bytes, ...]) -> bytes:
    return (_KEY_FILE_HEADER + "".join(key.decode("ascii") + "\n" for key in keys)).encode("ascii")


def create_key_file(*, path: Path) -> bool:
    """Create the key file with one new key unless it exists; True if this call created it."""
    return create_private_file(path, _key_file_content((crypto.generate_key(),)))


def replace_key_file(*, path: Path, keys: tuple[bytes, ...]) -> None:
    """Write the key file anew with these keys (rotation only), atomically."""
    replace_private_file(path, _key_file_content(keys))


# ---------------------------------------------------------------------------------------
# Configuration.


def load_keys(*, settings: Settings, engine: Engine | None = None,
              may_create: bool = True) -> KeySource:
    """The keys for this database, creating the embedded key file on first use.

    A missing key file is created only when `may_create` (never by a read-only command)
    and, with `engine`, only for a database that never had a key: no encrypted note and
    no key fingerprint recorded. A restored database whose key file was left behind must
    stop with a clear error, not start writing notes under a new key beside notes nothing
    can open.
    """
    if settings.encryption_keys:
        return KeySource(keys=settings.encryption_keys, key_file=None)
    path = key_file_for(database_url=settings.database_url)
    if path is None:
        raise ConfigError(
            f"{ENCRYPTION_KEYS_ENV} must be set for this database: notes are encrypted at "
            "rest with keys the database server never holds (generate one with "
            '`python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`)'
        )
    created = False
    if not path.exists():
        if engine is not None and _had_a_key(engine):
            raise ConfigError(
                f"there is no key file at {path}, yet this database was written with one: "
                "restore the key file that belongs to this database (backups do not "
                f"contain it), or set {ENCRYPTION_KEYS_ENV}"
            )
        if not may_create:
            raise ConfigError(
                f"there is no key file at {path}; this command never creates one (start the "
                "dashboard, or run `python -m dashboard init`, to set up a new database)")
        created = create_key_file(path=path)
    return KeySource(keys=read_key_file(path=path), key_file=path, created=created)


def _had_a_key(engine: Engine) -> bool:
    """Whether notes of this database were ever encrypted: a key fingerprint recorded, or
    an encrypted note stored."""
    with engine.connect() as connection:
        if known_fingerprints(connection, NOTES):
            return True
    return any(crypto.looks_like_token(stored) for stored in _sample_stored_notes(engine))


def configure_keys(*, settings: Settings, engine: Engine | None = None,
                   check_notes: bool = True, may_create: bool = True) -> KeySource:
    """Configure this process's keyring for the database of `settings`; once per process.

    With `engine` (after the schema upgrade) and `check_notes`, one stored note per
    column is decrypted at once, so that a wrong key stops the start with a clear error
    instead of failing on some screen later, or worse, writing new notes under it.
    """
    source = load_keys(settings=settings, engine=engine, may_create=may_create)
    _activate(source)
    if engine is not None and check_notes:
        try:
            check_notes_readable(engine=engine)
        except Exception:
            # Keys that do not open this database must not write a single note to it.
            crypto.clear()
            raise
    return source


def _activate(source: KeySource) -> None:
    key_file = source.key_file
    # A key file may gain a key while the dashboard runs (`rotate-key` in another
    # process): a note that no key opens makes the keyring read the file again once.
    reload = (lambda: read_key_file(path=key_file)) if key_file is not None else None
    crypto.configure(keys=source.keys, reload=reload)


def key_location(*, settings: Settings) -> str:
    """Where the keys of this database are, in words (the backup reminder)."""
    if settings.encryption_keys:
        return f"the environment variable {ENCRYPTION_KEYS_ENV}"
    path = key_file_for(database_url=settings.database_url)
    return f"the key file {path}" if path is not None else f"{ENCRYPTION_KEYS_ENV} (not set)"


# ---------------------------------------------------------------------------------------
# The stored values of every EncryptedText column: the notes, and any other secret
# column (such as users.totp_secret) declared with the type.


def _encrypted_columns_by_table() -> dict[Table, list[Column]]:
    grouped: dict[Table, list[Column]] = defaultdict(list)
    for column in crypto.encrypted_columns(Base.metadata):
        grouped[column.table].append(column)
    return dict(grouped)


def _raw(column: Column):
    # The stored token as it is, without the column type's decryption.
    return type_coerce(column, Text).label(column.name)


def _sample_stored_notes(engine: Engine) -> Iterator[str]:
    """One stored value of each encrypted column that has any."""
    with engine.connect() as connection:
        for table, columns in _encrypted_columns_by_table().items():
            for column in columns:
                stored = connection.execute(
                    select(_raw(column)).where(column.is_not(None)).limit(1)
                ).scalar()
                if stored is not None:
                    yield stored


def check_notes_readable(*, engine: Engine) -> None:
    """Raise NoteDecryptionError (or UnencryptedNoteError) unless the keys open the notes."""
    for stored in _sample_stored_notes(engine):
        crypto.decrypt_note(stored)


@dataclass(frozen=True)
class Reencryption:
    checked: int  # stored values looked at
    reencrypted: int  # of which re-encrypted with the newest key
    were_unencrypted: int  # of those, stored as plain text before encryption at rest


def reencrypt_notes(*, connection: Connection, batch_rows: int = REENCRYPT_BATCH_ROWS,
                    progress: Callable[[int], None] | None = None) -> Reencryption:
    """Re-encrypt with the newest key every stored note that is under an older key (or
    not encrypted at all), in the caller's transaction; notes already under the newest
    key are left as they are, so a second run changes nothing.

    Raises NoteDecryptionError at the first note no key opens; the caller's rollback
    then leaves every note as it was. `progress(checked)` is told after each batch.
    """
    checked = reencrypted = were_unencrypted = 0
    for table, columns in _encrypted_columns_by_table().items():
        key_columns = list(table.primary_key.columns)
        statement = (
            update(table)
            .where(*(c == bindparam(f"key_{c.name}") for c in key_columns))
            .values({c.name: bindparam(f"new_{c.name}", type_=Text) for c in columns})
        )
        page = (
            select(*key_columns, *(_raw(c) for c in columns))
            .where(or_(*(c.is_not(None) for c in columns)))
            .order_by(*key_columns)
            .limit(batch_rows)
        )
        last_key: tuple | None = None
        while True:
            query = page if last_key is None else page.where(
                tuple_(*key_columns) > tuple_(*(
                    bindparam(None, value, type_=c.type) for c, value in zip(key_columns, last_key)
                ))
            )
            rows = connection.execute(query).all()
            if not rows:
                break
            changes = []
            for row in rows:
                values = row._mapping
                new_values = {}
                changed = False
                for column in columns:
                    stored = values[column.name]
                    new_values[f"new_{column.name}"] = stored
                    if stored is None:
                        continue
                    checked += 1
                    token = crypto.reencrypted_token(stored)
                    if token is not None:
                        new_values[f"new_{column.name}"] = token
                        changed = True
                        reencrypted += 1
                        were_unencrypted += not crypto.looks_like_token(stored)
                if changed:
                    changes.append(
                        {**{f"key_{c.name}": values[c.name] for c in key_columns}, **new_values}
                    )
            if changes:
                connection.execute(statement, changes)
            if progress is not None:
                progress(checked)
            last_key = tuple(rows[-1]._mapping[c.name] for c in key_columns)
    return Reencryption(checked=checked, reencrypted=reencrypted,
                        were_unencrypted=were_unencrypted)


@dataclass(frozen=True)
class Rotation:
    source: KeySource
    new_key_generated: bool
    result: Reencryption


def rotate_key(*, settings: Settings, engine: Engine, now: datetime) -> Rotation:
    """`python -m dashboard rotate-key`: every note under the newest key, in one transaction.

    With DASHBOARD_ENCRYPTION_KEYS the newest key is its first one: the operator puts a
    new key first (older ones after it) and restarts the dashboard before running this;
    a second run re-encrypts nothing. With the key file, this generates a new key and
    writes it first in the file (the older keys stay after it, for backups made before
    and for a dashboard still running with them) before re-encrypting, so that a crash
    at any point leaves every note readable.
    """
    source = load_keys(settings=settings, engine=engine)
    generated = False
    if source.key_file is not None and not source.created:
        keys = (crypto.generate_key(), *source.keys)
        replace_key_file(path=source.key_file, keys=keys)
        source = KeySource(keys=keys, key_file=source.key_file)
        generated = True
    _activate(source)
    with Session(engine) as session, session.begin():
        connection = session.connection()
        if engine.dialect.name == "sqlite":
            # The pages freed by rewriting a note are zeroed, not left holding the old
            # token or, for notes from before encryption, the plain text.
            connection.exec_driver_sql("PRAGMA secure_delete = ON")
        result = reencrypt_notes(connection=connection)
        record_fingerprints(connection, NOTES, source.keys, now=now)
        record_event(session, actor_id=None, action="notes_reencrypted", at=now,
                     detail=f"{result.reencrypted} of {result.checked} encrypted values "
                            "re-encrypted with the newest key")
    return Rotation(source=source, new_key_generated=generated, result=result)
