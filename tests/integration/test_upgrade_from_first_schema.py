"""A database made by the first version of the dashboard (schema 0001, notes in plain
text) upgrades on start and keeps every row; the start encrypts its notes itself, after a
verified copy, and the app opens normally afterwards."""

from __future__ import annotations

import io
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from alembic import command
from sqlalchemy import select, text
from streamlit.testing.v1 import AppTest

from dashboard import config
from dashboard.audit_seal import stop_audit_sealers
from dashboard.cli import main
from dashboard.passwords import hash_password
from dashboard.sqlite_owner import release_all
from dashboard.web.session import session_record
from models import CheckIn, StepProgress, crypto
from models.db import alembic_config, make_engine
from tests.factories import NOW, PASSWORD

ENTRY = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
ENTRY_CHECKINS = 40
JOURNAL = "Day {n}: went to the Tuesday meeting, called Sam after"


@pytest.fixture
def first_version_database(tmp_path, monkeypatch, key_files_only):
    """The database of the first version: built by migration 0001 alone, rows written as
    that version wrote them (plain-text notes), no key file beside it."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    url = f"sqlite:///{folder / 'dashboard.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0001")
    at = (NOW - timedelta(days=60)).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, timezone, "
            "created_at) VALUES (1, 'maria', 'Maria Garcia', :hash, 'UTC', :at)"),
            {"hash": hash_password(PASSWORD), "at": at})
        connection.execute(text("INSERT INTO user_roles (user_id, role) VALUES (1, 'member')"))
        connection.execute(text("INSERT INTO member_profiles (user_id, sobriety_date) "
                                "VALUES (1, :day)"), {"day": date(2025, 1, 5)})
        today = NOW.date()
        for n in range(ENTRY_CHECKINS):
            connection.execute(text(
                "INSERT INTO checkins (member_id, local_date, mood, craving, used_substances, "
                "meetings, prayer_meditation, called_support, read_literature, step_work, "
                "gratitude, journal, hard_day, hard_day_reason, is_late, created_at, "
                "updated_at) VALUES (1, :day, 4, 2, 0, 1, 1, 0, 0, 0, 'my sister', :journal, "
                ":hard, :reason, 0, :at, :at)"),
                {"day": today - timedelta(days=n + 1), "journal": JOURNAL.format(n=n),
                 "hard": n % 7 == 0, "reason": "payday" if n % 7 == 0 else None, "at": at})
        connection.execute(text(
            "INSERT INTO step_progress (member_id, step, status, started_on, completed_on, "
            "notes, updated_at) VALUES (1, 1, 'completed', :start, :end, "
            "'Admitted it at last', :at)"),
            {"at": at, "start": date(2025, 2, 1), "end": date(2025, 3, 1)})
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    return folder


def stored_notes(folder) -> list[str]:
    with sqlite3.connect(folder / "dashboard.db") as connection:
        return [row[0] for row in connection.execute(
            "SELECT journal FROM checkins UNION ALL SELECT gratitude FROM checkins "
            "UNION ALL SELECT notes FROM step_progress")]


def test_init_upgrades_the_first_schema_and_encrypts_its_notes_after_a_copy(
        first_version_database, capsys, monkeypatch):
    folder = first_version_database
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    config.put_in_force(None)
    assert main(["init"]) == 0, capsys.readouterr().err
    # Every note is a token now; none of the words is left in the file's notes.
    assert all(crypto.looks_like_token(note) for note in stored_notes(folder))
    # The copy taken first holds the notes as they were.
    [copy] = (folder / "backups").iterdir()
    assert copy.name.startswith("dashboard-before-note-encryption-")
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT count(*) FROM checkins").fetchone()[0] == ENTRY_CHECKINS
    # Every row kept, every note readable with the key the start made.
    engine = make_engine(f"sqlite:///{folder / 'dashboard.db'}")
    try:
        with engine.connect() as connection:
            journals = connection.execute(
                select(CheckIn.journal).order_by(CheckIn.local_date.desc())).scalars().all()
            assert journals == [JOURNAL.format(n=n) for n in range(ENTRY_CHECKINS)]
            assert connection.execute(select(StepProgress.notes)).scalar_one() == (
                "Admitted it at last")
    finally:
        engine.dispose()
    # Once done, a second start has nothing to encrypt and takes no copy.
    config.put_in_force(None)
    assert main(["sweep"]) == 0
    assert len(list((folder / "backups").iterdir())) == 1


def test_the_app_opens_an_old_database_normally(first_version_database):
    folder = first_version_database
    st.cache_resource.clear()
    config.put_in_force(None)
    try:
        at = AppTest.from_file(str(ENTRY), default_timeout=120)
        at.session_state["auth"] = session_record(1)
        at.run()
        assert not at.exception, at.exception
        assert [t.value for t in at.title] == ["Today"]
        assert not at.error
        table = at.dataframe[0].value
        assert JOURNAL.format(n=0) in table.to_string()
    finally:
        stop_audit_sealers()
        release_all()
        st.cache_resource.clear()
    assert all(crypto.looks_like_token(note) for note in stored_notes(folder))
    assert (folder / "encryption.key").exists() and (folder / "backups").is_dir()


def test_demo_and_create_user_run_on_a_new_database(tmp_path, monkeypatch, capsys,
                                                    key_files_only):
    """The commands a newcomer runs first, as a newcomer runs them."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'dashboard.db'}")
    config.put_in_force(None)
    assert main(["demo", "--members", "3", "--days", "7"]) == 0, capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    config.put_in_force(None)
    assert main(["create-user", "ada", "--role", "admin"]) == 0, capsys.readouterr().err



