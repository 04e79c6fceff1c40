"""The encrypted note type and the keyring, without a database."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.dialects import postgresql, sqlite

from dashboard.config import (
    ConfigError,
    Settings,
    load_settings,
    parse_encryption_keys,
)
from dashboard.encryption_keys import (
    KEY_FILE_NAME,
    create_key_file,
    key_file_for,
    key_location,
    load_keys,
    read_key_file,
    replace_key_file,
)
from models import crypto
from models.crypto import (
    EncryptedText,
    KeysNotConfiguredError,
    NoteDecryptionError,
    UnencryptedNoteError,
)
from tests.conftest import TEST_ENCRYPTION_KEY

NOTE = "Drove past my old bar. Called Sam instead of going in; ça va mieux. \u2764"
DIALECTS = [sqlite.dialect(), postgresql.dialect()]


@pytest.fixture(autouse=True)
def own_keys():
    """Each test configures keys of its own; the session's test key comes back after."""
    yield
    crypto.configure(keys=[TEST_ENCRYPTION_KEY.encode()])


def bind(value, dialect=DIALECTS[0]):
    return EncryptedText().process_bind_param(value, dialect)


def result(value, dialect=DIALECTS[0]):
    return EncryptedText().process_result_value(value, dialect)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_a_note_round_trips_and_is_never_stored_as_written(dialect):
    crypto.configure(keys=[Fernet.generate_key()])
    stored = bind(NOTE, dialect)
    assert NOTE not in stored and "bar" not in stored
    assert stored.isascii() and crypto.looks_like_token(stored)
    assert result(stored, dialect) == NOTE


def test_the_same_note_twice_gives_two_different_tokens():
    # Equal tokens would tell a reader of the database which notes say the same thing.
    crypto.configure(keys=[Fernet.generate_key()])
    assert bind(NOTE) != bind(NOTE)


def test_empty_text_is_encrypted_too_and_none_stays_none():
    crypto.configure(keys=[Fernet.generate_key()])
    assert bind(None) is None and result(None) is None
    assert bind("") != "" and result(bind("")) == ""


def test_without_keys_nothing_is_written_or_read():
    crypto.configure(keys=[Fernet.generate_key()])
    stored = bind(NOTE)
    crypto.clear()
    with pytest.raises(KeysNotConfiguredError, match="encryption keys are not configured"):
        bind(NOTE)
    with pytest.raises(KeysNotConfiguredError):
        result(stored)
    assert bind(None) is None  # nothing to encrypt, nothing to refuse


def test_a_wrong_key_is_a_clear_error_not_garbage():
    crypto.configure(keys=[Fernet.generate_key()])
    stored = bind(NOTE)
    crypto.configure(keys=[Fernet.generate_key()])
    with pytest.raises(NoteDecryptionError) as raised:
        result(stored)
    message = str(raised.value)
    assert message == ("a note could not be decrypted: "
                       "the encryption key does not match this database")
    assert NOTE not in message and stored not in message


def test_a_tampered_token_is_refused():
    crypto.configure(keys=[Fernet.generate_key()])
    stored = bind(NOTE)
    flipped = stored[:60] + ("A" if stored[60] != "A" else "B") + stored[61:]
    with pytest.raises(NoteDecryptionError):
        result(flipped)


def test_plain_text_from_before_encryption_says_how_to_fix_it():
    crypto.configure(keys=[Fernet.generate_key()])
    with pytest.raises(UnencryptedNoteError, match="rotate-key") as raised:
        result(NOTE)
    assert NOTE not in str(raised.value)
    assert isinstance(raised.value, NoteDecryptionError)


def test_a_note_must_be_text():
    crypto.configure(keys=[Fernet.generate_key()])
    with pytest.raises(TypeError):
        bind(b"bytes")


def test_rotation_reencrypts_with_the_newest_key_and_keeps_every_note_readable():
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    crypto.configure(keys=[old_key])
    old_tokens = [bind(f"{NOTE} {n}") for n in range(5)]

    crypto.configure(keys=[new_key, old_key])
    # Before the re-encryption, the older key still opens every note.
    assert [result(t) for t in old_tokens] == [f"{NOTE} {n}" for n in range(5)]
    new_tokens = [crypto.reencrypted_token(t) for t in old_tokens]
    assert all(t is not None and t not in old_tokens for t in new_tokens)
    # A second pass changes nothing: the notes are under the newest key already.
    assert [crypto.reencrypted_token(t) for t in new_tokens] == [None] * 5

    crypto.configure(keys=[new_key])  # the old key retired
    assert [result(t) for t in new_tokens] == [f"{NOTE} {n}" for n in range(5)]
    with pytest.raises(NoteDecryptionError):
        result(old_tokens[0])


def test_rotation_encrypts_plain_text_and_refuses_a_token_no_key_opens():
    crypto.configure(keys=[Fernet.generate_key()])
    foreign = bind(NOTE)
    crypto.configure(keys=[Fernet.generate_key()])
    token = crypto.reencrypted_token(NOTE)
    assert token is not None and result(token) == NOTE
    with pytest.raises(NoteDecryptionError):
        crypto.reencrypted_token(foreign)


def test_a_key_added_meanwhile_is_picked_up_once_a_note_needs_it():
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    current = [old_key]
    crypto.configure(keys=[old_key], reload=lambda: list(current))
    current[:] = [new_key, old_key]  # rotate-key in another process
    crypto.configure(keys=[new_key, old_key])
    newer = bind(NOTE)
    crypto.configure(keys=[old_key], reload=lambda: list(current))
    assert result(newer) == NOTE
    assert crypto.key_count() == 2  # and new notes are now written with the new key


def test_keys_are_validated_without_being_shown():
    good = Fernet.generate_key()
    with pytest.raises(ValueError) as raised:
        crypto.configure(keys=[good, b"not-a-key"])
    assert "2 of 2" in str(raised.value) and "not-a-key" not in str(raised.value)
    with pytest.raises(ValueError):
        crypto.configure(keys=[])


def test_settings_read_the_keys_newest_first_and_never_show_them():
    first, second = Fernet.generate_key(), Fernet.generate_key()
    raw = f" {first.decode()} ,{second.decode()},"
    settings = load_settings({"DASHBOARD_ENCRYPTION_KEYS": raw})
    assert settings.encryption_keys == (first, second)
    assert first.decode() not in repr(settings)
    assert load_settings({}).encryption_keys == ()
    with pytest.raises(ConfigError) as raised:
        parse_encryption_keys(f"{first.decode()},secret-but-wrong")
    assert "key 2 of 2" in str(raised.value) and "secret-but-wrong" not in str(raised.value)


# ---------------------------------------------------------------------------------------
# Where keys come from.


def test_the_embedded_database_gets_a_private_key_file_beside_it(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'data' / 'dashboard.db'}")
    source = load_keys(settings=settings)
    path = tmp_path / "data" / KEY_FILE_NAME
    assert source.key_file == path and source.created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(source.keys) == 1 and crypto.is_valid_key(source.keys[0])
    # Never overwritten: the second start reads the same key.
    again = load_keys(settings=settings)
    assert again.keys == source.keys and not again.created
    assert key_location(settings=settings) == f"the key file {path}"
    assert source.keys[0].decode() not in repr(source)


def test_two_processes_creating_the_key_file_at_once_keep_one_key(tmp_path):
    path = tmp_path / KEY_FILE_NAME
    assert create_key_file(path=path) is True
    first = path.read_bytes()
    assert create_key_file(path=path) is False
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no temporary left


def test_a_key_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / KEY_FILE_NAME
    create_key_file(path=path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_key_file(path=path)


def test_a_rotated_key_file_keeps_the_older_keys_after_the_new_one(tmp_path):
    path = tmp_path / KEY_FILE_NAME
    create_key_file(path=path)
    (old,) = read_key_file(path=path)
    new = Fernet.generate_key()
    replace_key_file(path=path, keys=(new, old))
    assert read_key_file(path=path) == (new, old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_postgresql_without_keys_is_a_clear_configuration_error():
    settings = Settings(database_url="postgresql://dashboard@db.example.org/recovery")
    assert key_file_for(database_url=settings.database_url) is None
    with pytest.raises(ConfigError, match="DASHBOARD_ENCRYPTION_KEYS must be set"):
        load_keys(settings=settings)


def test_keys_from_the_environment_win_over_the_key_file(tmp_path):
    key = Fernet.generate_key()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'dashboard.db'}",
                        encryption_keys=(key,))
    source = load_keys(settings=settings)
    assert source.keys == (key,) and source.key_file is None
    assert not (tmp_path / KEY_FILE_NAME).exists()
    assert "DASHBOARD_ENCRYPTION_KEYS" in source.where


def test_sql_may_only_ask_whether_a_note_is_there():
    from sqlalchemy import select

    from models import CheckIn, ContactEntry, Flag
    from models.crypto import EncryptedComparisonError

    # Fresh tokens for equal words: a comparison in SQL would silently match nothing.
    for build in (lambda: ContactEntry.note == "Called, all well",
                  lambda: CheckIn.journal.like("%bar%"),
                  lambda: CheckIn.journal.in_(["a", "b"]),
                  lambda: "my words" == CheckIn.journal):
        with pytest.raises(EncryptedComparisonError, match="checkins.journal|contact_log.note"):
            build()
    assert "IS NOT NULL" in str(select(CheckIn.id).where(CheckIn.journal.is_not(None)))
    assert "IS NULL" in str(select(CheckIn.id).where(CheckIn.journal == None))  # noqa: E711
    # SQLAlchemy itself compares column objects with == to find them in results.
    assert bool(Flag.quoted_text == Flag.quoted_text)
