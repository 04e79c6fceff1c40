"""The keys of a database are checked at every start (dashboard/key_guard.py): a missing,
empty, short or swapped key stops the dashboard and every command with a clear line, and
no command but those that set up a database ever makes a key."""

from __future__ import annotations

import logging
import secrets

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from dashboard import config, key_guard
from dashboard.config import ConfigError, Settings
from dashboard.key_fingerprints import AUDIT, NOTES
from models.db import make_engine, upgrade_to_head
from models.entities import KeyFingerprint
from tests.factories import NOW, PASSWORD
from tests.integration.cli_runs import run

AUDIT_KEY = "audit-secret.key"
NOTES_KEY = "encryption.key"


@pytest.fixture
def embedded(tmp_path, monkeypatch, key_files_only):
    """A SQLite database in its own folder, with no key in the environment: key files."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder / 'dashboard.db'}")
    return folder


def with_history(folder, capsys, monkeypatch):
    """A database set up by `init`, with an account (audit events signed by its key)."""
    assert run(["init"], capsys, monkeypatch)[0] == 0
    assert run(["create-user", "ada", "--role", "admin"], capsys, monkeypatch,
               stdin=PASSWORD + "\n")[0] == 0
    assert (folder / AUDIT_KEY).exists() and (folder / NOTES_KEY).exists()


def fingerprints(folder) -> dict[str, int]:
    engine = make_engine(f"sqlite:///{folder / 'dashboard.db'}")
    try:
        with engine.connect() as connection:
            kinds = connection.execute(select(KeyFingerprint.kind)).scalars().all()
    finally:
        engine.dispose()
    return {kind: kinds.count(kind) for kind in (AUDIT, NOTES)}


def test_setting_up_a_database_makes_both_keys_and_records_their_fingerprints(
        embedded, capsys, monkeypatch):
    with_history(embedded, capsys, monkeypatch)
    assert fingerprints(embedded) == {AUDIT: 1, NOTES: 1}
    for name in (AUDIT_KEY, NOTES_KEY):
        assert oct((embedded / name).stat().st_mode & 0o777) == "0o600"
    # Started again with the same keys: nothing new is recorded.
    assert run(["verify-audit"], capsys, monkeypatch)[0] == 0
    assert fingerprints(embedded) == {AUDIT: 1, NOTES: 1}


@pytest.mark.parametrize("command", [["verify-audit"], ["sweep"], ["init"]])
def test_a_missing_audit_key_is_never_replaced(embedded, capsys, monkeypatch, tmp_path,
                                               command):
    """Once, verify-audit made a new random key for a trail written with another and then
    reported it "tampered with at event 1"; the app went on writing under the new key."""
    with_history(embedded, capsys, monkeypatch)
    (embedded / AUDIT_KEY).unlink()
    command = [part.format(copy=tmp_path / "copy.db") for part in command]
    code, out, err = run(command, capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1, err
    assert "audit key file" in err and "is missing" in err and "put the file back" in err
    assert "tampered" not in err
    assert not (embedded / AUDIT_KEY).exists()


def test_backup_copies_a_database_whose_audit_key_is_missing_and_makes_none(
        embedded, capsys, monkeypatch, tmp_path):
    with_history(embedded, capsys, monkeypatch)
    (embedded / AUDIT_KEY).unlink()
    run(["backup", str(tmp_path / "copy.db")], capsys, monkeypatch)
    assert not (embedded / AUDIT_KEY).exists()


@pytest.mark.parametrize("content", [b"", b"\n", b"0123456789abcdef\n"])
def test_an_empty_or_short_audit_key_is_refused(embedded, capsys, monkeypatch, content):
    """An empty file is what a crash between creating the file and writing it leaves: with
    an empty key anyone could recompute every HMAC."""
    with_history(embedded, capsys, monkeypatch)
    (embedded / AUDIT_KEY).write_bytes(content)
    code, out, err = run(["verify-audit"], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1
    assert ("is empty" in err) if not content.strip() else ("at least 32" in err)


def test_a_swapped_audit_key_stops_every_command_before_it_writes(
        embedded, capsys, monkeypatch):
    with_history(embedded, capsys, monkeypatch)
    key_file = embedded / AUDIT_KEY
    original = key_file.read_bytes()
    key_file.write_bytes(secrets.token_hex(32).encode())
    for command in (["verify-audit"], ["sweep"], ["seal"]):
        code, out, err = run(command, capsys, monkeypatch)
        assert code == 2 and "audit key" in err
        assert "is not the one this database was written with" in err
    assert fingerprints(embedded) == {AUDIT: 1, NOTES: 1}
    key_file.write_bytes(original)  # the right key back: all is well again
    code, out, err = run(["verify-audit"], capsys, monkeypatch)
    assert code == 0 and "intact" in out


def test_a_database_from_before_fingerprints_has_its_audit_key_proven_on_its_events(
        embedded, capsys, monkeypatch):
    with_history(embedded, capsys, monkeypatch)
    engine = make_engine(f"sqlite:///{embedded / 'dashboard.db'}")
    with engine.begin() as connection:
        connection.execute(KeyFingerprint.__table__.delete())
    engine.dispose()
    original = (embedded / AUDIT_KEY).read_bytes()
    (embedded / AUDIT_KEY).write_bytes(secrets.token_hex(32).encode())
    code, out, err = run(["verify-audit"], capsys, monkeypatch)
    assert code == 2 and "is not the one this database was written with" in err
    (embedded / AUDIT_KEY).write_bytes(original)
    assert run(["sweep"], capsys, monkeypatch)[0] == 0
    assert fingerprints(embedded) == {AUDIT: 1, NOTES: 1}


def test_a_notes_key_swapped_before_any_note_was_written_is_refused(
        embedded, capsys, monkeypatch):
    """No note to try it on: the recorded fingerprint is what tells."""
    with_history(embedded, capsys, monkeypatch)
    (embedded / NOTES_KEY).write_text(Fernet.generate_key().decode() + "\n")
    code, out, err = run(["sweep"], capsys, monkeypatch)
    assert code == 2 and "notes' encryption key" in err
    assert "is not the one this database was written with" in err


def test_a_rotation_keeps_the_older_key_known(embedded, capsys, monkeypatch):
    with_history(embedded, capsys, monkeypatch)
    assert run(["rotate-key"], capsys, monkeypatch)[0] == 0
    assert fingerprints(embedded) == {AUDIT: 1, NOTES: 2}
    assert run(["sweep"], capsys, monkeypatch)[0] == 0


@pytest.mark.parametrize("command", [["verify-audit"], ["sweep"], ["seal"]])
def test_commands_that_do_not_set_up_a_database_never_make_a_key(
        embedded, capsys, monkeypatch, command):
    engine = make_engine(f"sqlite:///{embedded / 'dashboard.db'}")
    upgrade_to_head(engine)  # a schema, but never opened by the app or `init`
    engine.dispose()
    code, out, err = run(command, capsys, monkeypatch)
    assert code != 0 and "never creates one" in err
    assert not (embedded / AUDIT_KEY).exists() and not (embedded / NOTES_KEY).exists()


def test_a_short_audit_key_in_the_environment_is_refused():
    with pytest.raises(ConfigError, match="at least 32"):
        config.load_settings({"DASHBOARD_SECRET_KEY": "too-short"})


def test_a_key_file_that_disappears_while_the_app_runs_is_warned_about_once(
        embedded, capsys, monkeypatch, caplog):
    with_history(embedded, capsys, monkeypatch)
    url = f"sqlite:///{embedded / 'dashboard.db'}"
    engine = make_engine(url)
    try:
        key_guard.open_keys(settings=Settings(database_url=url), engine=engine, now=NOW)
    finally:
        engine.dispose()
    assert key_guard.missing_key_files() == []
    original = (embedded / AUDIT_KEY).read_bytes()
    (embedded / AUDIT_KEY).unlink()
    with caplog.at_level(logging.WARNING, logger="dashboard.key_guard"):
        assert key_guard.missing_key_files() == [(embedded / AUDIT_KEY, "audit key")]
        assert key_guard.missing_key_files() == [(embedded / AUDIT_KEY, "audit key")]
        (embedded / AUDIT_KEY).write_bytes(original)
        assert key_guard.missing_key_files() == []
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "has disappeared" in messages[0] and "will not start again" in messages[0]
    assert "is back" in messages[1]
