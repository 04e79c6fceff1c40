"""Notes encrypted at rest: a column type that stores Fernet tokens, never plain text.

The free-text notes (journal, gratitude, hard-day reasons, step notes, review and outreach
notes) are among the most sensitive words a person writes. A copied database file, a
stolen backup or a read-only SQL account must not be enough to read them, so their
columns are `EncryptedText`: the value is encrypted when it is bound to a statement and
decrypted when a row is read, through one keyring per process.

The keyring is a `MultiFernet` (AES-128-CBC with HMAC-SHA256, from `cryptography`): the
first key encrypts, every key decrypts, so keys rotate without downtime (see
`reencrypted_token`). This package knows nothing of where keys come from: the application
calls `configure(keys=...)` once at start (`dashboard.encryption_keys`).

Failures are loud and say what is wrong without quoting anything: with no keys configured
nothing is written (never plain text by accident), and a token that no key opens raises
`NoteDecryptionError` instead of returning garbage. No message here ever contains note
text or key material.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, MetaData, Text
from sqlalchemy.sql import ClauseElement, operators
from sqlalchemy.types import TypeDecorator

# A Fernet token: version byte 0x80, 8-byte timestamp, 16-byte IV, ciphertext in whole
# AES blocks (at least one), 32-byte HMAC; stored as URL-safe base64.
_TOKEN_VERSION = 0x80
_TOKEN_OVERHEAD = 1 + 8 + 16 + 32
_AES_BLOCK = 16

KeyLoader = Callable[[], Sequence[bytes]]


class EncryptionError(RuntimeError):
    """A note could not be encrypted or decrypted. The message never quotes a note or a key."""


class KeysNotConfiguredError(EncryptionError):
    def __init__(self) -> None:
        super().__init__(
            "encryption keys are not configured: the application must call "
            "models.crypto.configure(keys=...) before reading or writing notes"
        )


class NoteDecryptionError(EncryptionError):
    """A stored note that none of the configured keys opens."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "a note could not be decrypted: the encryption key does not match this database"
        )


class UnencryptedNoteError(NoteDecryptionError):
    """A note stored as plain text, written before notes were encrypted at rest."""

    def __init__(self) -> None:
        super().__init__(
            "a note is stored unencrypted (written before notes were encrypted at rest): "
            "run `python -m dashboard rotate-key` once to encrypt every stored note"
        )


class EncryptedComparisonError(EncryptionError, TypeError):
    """SQL that compares an encrypted column with a value: it could never match."""

    def __init__(self, column: str) -> None:
        super().__init__(
            f"{column} is encrypted at rest: SQL can only test whether it is NULL; "
            "compare or search the decrypted text in Python"
        )


@dataclass(frozen=True)
class _Keyring:
    keys: tuple[bytes, ...]  # newest first; compared only, never shown
    newest: Fernet  # encrypts; also tells whether a token needs re-encrypting
    all_keys: MultiFernet  # decrypts with any key, newest first

    def __repr__(self) -> str:  # never the keys, should a keyring end up in a log
        return f"<keyring of {len(self.keys)} key(s)>"


# Replaced as a whole (one reference assignment), so that a thread reading a note never
# sees half of a new configuration.
_keyring: _Keyring | None = None
_reload_keys: KeyLoader | None = None
_reload_lock = threading.Lock()


def _build_keyring(keys: Sequence[bytes | str]) -> _Keyring:
    unique: list[bytes] = []
    for key in keys:
        key = key.strip() if isinstance(key, bytes) else str(key).strip().encode()
        if key not in unique:
            unique.append(key)
    if not unique:
        raise ValueError("at least one encryption key is needed")
    fernets = []
    for position, key in enumerate(unique, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, binascii.Error):
            # Which key, never the key itself.
            raise ValueError(
                f"encryption key {position} of {len(unique)} is not a Fernet key "
                "(32 random bytes in URL-safe base64, 44 characters)"
            ) from None
    return _Keyring(keys=tuple(unique), newest=fernets[0], all_keys=MultiFernet(fernets))


def configure(*, keys: Sequence[bytes | str], reload: KeyLoader | None = None) -> None:
    """Use these keys (newest first) for every note from now on, in every thread.

    `reload`, when given, is called once when a stored token opens with none of the keys,
    to pick up a key added meanwhile by `rotate-key` in another process (the embedded key
    file); the read is then retried with the keys it returns.
    Raises ValueError, naming the key's position only, for a key that is not a Fernet key.
    """
    global _keyring, _reload_keys
    keyring = _build_keyring(keys)
    with _reload_lock:
        _keyring, _reload_keys = keyring, reload


def clear() -> None:
    """Forget the keys (tests; a process that must stop handling notes)."""
    global _keyring, _reload_keys
    with _reload_lock:
        _keyring, _reload_keys = None, None


def is_configured() -> bool:
    return _keyring is not None


def key_count() -> int:
    return 0 if _keyring is None else len(_keyring.keys)


def _current() -> _Keyring:
    keyring = _keyring
    if keyring is None:
        raise KeysNotConfiguredError()
    return keyring


def is_valid_key(key: bytes) -> bool:
    """Whether `key` is a Fernet key (32 bytes in URL-safe base64)."""
    try:
        Fernet(key)
    except (ValueError, binascii.Error):
        return False
    return True


def generate_key() -> bytes:
    """A new random Fernet key (URL-safe base64, 44 characters)."""
    return Fernet.generate_key()


def looks_like_token(stored: str) -> bool:
    """Whether a stored value has the shape of a Fernet token (without checking any key).

    Tells an unreadable token (wrong key) from plain text written before encryption:
    plain words are not URL-safe base64 of the right length starting with byte 0x80.
    """
    if len(stored) < 100 or len(stored) % 4:
        return False
    try:
        raw = base64.urlsafe_b64decode(stored.encode("ascii"))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return False
    return (
        raw[0] == _TOKEN_VERSION
        and len(raw) >= _TOKEN_OVERHEAD + _AES_BLOCK
        and (len(raw) - _TOKEN_OVERHEAD) % _AES_BLOCK == 0
    )


def encrypt_note(text: str) -> str:
    """The token stored for a note: different every time, even for the same text."""
    return _current().newest.encrypt(text.encode("utf-8")).decode("ascii")


def _reloaded_keyring(failed: _Keyring) -> _Keyring | None:
    """A keyring with new keys from the reload hook, or None if it has nothing new."""
    global _keyring
    with _reload_lock:
        if _keyring is not failed and _keyring is not None:
            return _keyring  # another thread reloaded already
        if _reload_keys is None:
            return None
        try:
            fresh = _build_keyring(_reload_keys())
        except Exception:  # noqa: BLE001 - a broken key source must not hide the real error
            return None
        if fresh.keys == failed.keys:
            return None
        _keyring = fresh
        return fresh


def decrypt_note(stored: str) -> str:
    """The note text of a stored token; NoteDecryptionError if no configured key opens it."""
    keyring = _current()
    token = stored.encode("ascii", errors="replace")
    try:
        return keyring.all_keys.decrypt(token).decode("utf-8")
    except InvalidToken:
        pass
    fresh = _reloaded_keyring(keyring)
    if fresh is not None:
        try:
            return fresh.all_keys.decrypt(token).decode("utf-8")
        except InvalidToken:
            pass
    if not looks_like_token(stored):
        raise UnencryptedNoteError() from None
    raise NoteDecryptionError() from None


def reencrypted_token(stored: str) -> str | None:
    """The token re-encrypted with the newest key, or None if it is under the newest key.

    Plain text written before encryption at rest is encrypted; a token that no key opens
    raises NoteDecryptionError (nothing is changed, nothing is guessed).
    """
    keyring = _current()
    token = stored.encode("ascii", errors="replace")
    try:
        keyring.newest.decrypt(token)
        return None
    except InvalidToken:
        pass
    try:
        # Keeps the token's timestamp: when the note was written stays what it was.
        return keyring.all_keys.rotate(token).decode("ascii")
    except InvalidToken:
        if looks_like_token(stored):
            raise NoteDecryptionError() from None
    return encrypt_note(stored)


class EncryptedText(TypeDecorator):
    """Text stored as a Fernet token: encrypted on the way in, decrypted on the way out.

    The database column stays TEXT (the token is ASCII), so the schema and its
    migrations do not change. SQL can test only NULL-ness of such a column: every token
    differs, even for the same words, so comparing it with a value (`==`, LIKE, IN,
    startswith...) would silently match nothing; that raises EncryptedComparisonError.
    """

    impl = Text
    cache_ok = True

    class Comparator(TypeDecorator.Comparator):
        # Only a value from Python is refused (it would be encrypted afresh, so never
        # equal): SQLAlchemy itself compares column objects with `==` to find them.
        def operate(self, op, *other, **kwargs):
            _refuse_values(self.expr, op, other)
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op, other, **kwargs):
            _refuse_values(self.expr, op, (other,))
            return super().reverse_operate(op, other, **kwargs)

    comparator_factory = Comparator

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"a note must be text, not {type(value).__name__}")
        return encrypt_note(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return decrypt_note(value)


def _refuse_values(expression, op, operands) -> None:
    for operand in operands:
        if operand is None and op in (operators.eq, operators.ne, operators.is_,
                                      operators.is_not):
            continue  # IS NULL, IS NOT NULL: whether a note is there
        if not (isinstance(operand, ClauseElement) or hasattr(operand, "__clause_element__")):
            raise EncryptedComparisonError(_column_name(expression))


def _column_name(expression) -> str:
    table = getattr(expression, "table", None)
    name = getattr(expression, "key", None) or "an encrypted column"
    return f"{table.name}.{name}" if getattr(table, "name", None) else name


def encrypted_columns(metadata: MetaData) -> Iterator[Column]:
    """Every EncryptedText column of the schema, table by table in dependency order."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield column
