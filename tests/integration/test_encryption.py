"""Notes encrypted at rest, on SQLite and PostgreSQL: what a reader of the raw database
sees, key rotation, a wrong key, and the operator's commands."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import StatementError

from dashboard import demo
from dashboard.config import ConfigError, Settings
from dashboard.demo import words
from dashboard.encryption_keys import (
    KEY_FILE_NAME,
    check_notes_readable,
    configure_keys,
    read_key_file,
    rotate_key,
)
from models import Base, CheckIn, ContactEntry, Flag, StepProgress, WeeklyReview, crypto
from models.crypto import (
    KeysNotConfiguredError,
    NoteDecryptionError,
    UnencryptedNoteError,
)
from models.db import make_engine, make_session_factory, upgrade_to_head
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.factories import NOW, add_checkin, make_user
from tests.integration.cli_runs import run

# Every encrypted column, and the words written to it here.
NOTES = {
    ("checkins", "gratitude"): "Grateful my daughter called me back",
    ("checkins", "journal"): "Bought a bottle, poured it out at 2am, called my sponsor",
    ("checkins", "hard_day_reason"): "Court date about the DUI moved up",
    ("step_progress", "notes"): "Amends list: my brother, my old boss at the warehouse",
    ("weekly_reviews", "note"): "Opened up about the relapse in March; more meetings",
    ("contact_log", "note"): "Called her, agreed on a detox intake Monday",
    ("flags", "quoted_text"): "Court date about the DUI moved up",
}
ENCRYPTED = sorted(NOTES)


@pytest.fixture(autouse=True)
def test_keys_after():
    """Tests here switch keys; the session's test key (and environment) come back after."""
    yield
    crypto.configure(keys=[TEST_ENCRYPTION_KEY.encode()])


def _settings(engine: Engine, *keys: bytes) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False),
                    encryption_keys=keys)


def write_every_note(engine: Engine) -> dict[str, int]:
    """One row in each table with notes, through the ORM as the services write them."""
    with make_session_factory(engine).begin() as session:
        member = make_user(session, "maria", "member")
        sponsor = make_user(session, "sam", "member", "sponsor")
        checkin = add_checkin(
            session, member, date(2026, 11, 20), mood=1, craving=9, hard_day=True,
            gratitude=NOTES["checkins", "gratitude"], journal=NOTES["checkins", "journal"],
            hard_day_reason=NOTES["checkins", "hard_day_reason"],
        )
        step = session.get(StepProgress, (member.id, 8))
        step.notes = NOTES["step_progress", "notes"]
        session.add(WeeklyReview(reviewer_id=sponsor.id, member_id=member.id,
                                 iso_week="2026-W47", note=NOTES["weekly_reviews", "note"],
                                 created_at=NOW))
        flag = Flag(
            member_id=member.id, rule_id="hard_day", severity="high",
            raised_on=date(2026, 11, 20), episode_key="2026-11-20",
            reason="Marked 20 November a hard day", quoted_text=NOTES["flags", "quoted_text"],
            checkin_id=checkin.id, created_at=NOW,
        )
        session.add(flag)
        session.flush()
        session.add(ContactEntry(viewer_id=sponsor.id, member_id=member.id,
                                 contacted_on=date(2026, 11, 20), method="called",
                                 note=NOTES["contact_log", "note"], kind="flag",
                                 flag_id=flag.id, created_at=NOW))
    return {"member_id": member.id}


def raw_values(engine: Engine, table: str, column: str) -> list[str]:
    """What anyone who can run SQL (or open the file) reads: no column type in between."""
    with engine.connect() as connection:
        return list(connection.execute(
            text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")).scalars())


def orm_values(engine: Engine, table: str, column: str) -> list[str]:
    model = Base.metadata.tables[table]
    with engine.connect() as connection:
        return list(connection.execute(
            select(model.c[column]).where(model.c[column].is_not(None))).scalars())


def all_raw_tokens(engine: Engine) -> dict[tuple[str, str], list[str]]:
    return {(t, c): sorted(raw_values(engine, t, c)) for t, c in ENCRYPTED}


def encrypted_value_count(engine: Engine) -> int:
    """Stored values of every encrypted column: the notes, and secrets such as TOTP's."""
    return sum(len(raw_values(engine, c.table.name, c.name))
               for c in crypto.encrypted_columns(Base.metadata))


# ---------------------------------------------------------------------------------------
# At rest


def test_every_note_column_is_encrypted():
    columns = {(c.table.name, c.name) for c in crypto.encrypted_columns(Base.metadata)}
    assert set(NOTES) <= columns


@pytest.mark.parametrize("table,column", ENCRYPTED, ids=lambda v: v)
def test_raw_sql_never_shows_the_note_but_the_app_reads_it_back(engine, table, column):
    write_every_note(engine)
    stored = raw_values(engine, table, column)
    assert len(stored) == 1
    note = NOTES[table, column]
    assert note not in stored[0]
    assert not any(word in stored[0] for word in note.split() if len(word) > 4)
    assert crypto.looks_like_token(stored[0])
    assert orm_values(engine, table, column) == [note]


def test_select_journal_from_checkins_shows_no_note_text(engine):
    write_every_note(engine)
    with engine.connect() as connection:
        (journal,) = connection.execute(text("SELECT journal FROM checkins")).one()
    assert "bottle" not in journal and "sponsor" not in journal


def test_the_demo_writes_only_ciphertext_with_copy_and_bulk_inserts(engine):
    # PostgreSQL loads the demo with COPY, SQLite with Core bulk inserts: both must go
    # through the column type, or the demo would be a database of plain-text notes.
    demo.load_demo(engine=engine, members=6, days=21, seed=3, now=NOW)
    phrases_of = {
        ("checkins", "gratitude"): words.GRATITUDE,
        ("checkins", "journal"): words.JOURNAL,
        ("checkins", "hard_day_reason"): words.HARD_DAY_REASONS + words.RELAPSE_REASONS,
        ("flags", "quoted_text"): words.HARD_DAY_REASONS + words.RELAPSE_REASONS,
        # The notes of acknowledgements, and of the weekly reviews that are contacts too.
        ("contact_log", "note"): tuple(n for ns in words.OUTREACH_NOTES.values() for n in ns)
        + words.REVIEW_NOTES,
        ("step_progress", "notes"): tuple(n for ns in words.STEP_NOTES.values() for n in ns),
        ("weekly_reviews", "note"): words.REVIEW_NOTES,
    }
    seen = 0
    for (table, column), phrases in phrases_of.items():
        stored = raw_values(engine, table, column)
        assert stored, (table, column)  # the demo writes every one of them
        assert all(crypto.looks_like_token(value) for value in stored), (table, column)
        readable = orm_values(engine, table, column)
        assert len(readable) == len(stored)
        assert set(readable) <= set(phrases), (table, column)
        seen += len(stored)
    assert seen > 100


def test_the_sqlite_file_holds_no_note_text(sqlite_engine, tmp_path):
    write_every_note(sqlite_engine)
    sqlite_engine.dispose()  # the last connection checkpoints the WAL into the file
    path = sqlite_engine.url.database
    content = b"".join(
        Path(p).read_bytes() for p in (path, f"{path}-wal") if os.path.exists(p)
    )
    assert b"maria" in content  # the file is readable; the notes in it are not
    for note in NOTES.values():
        assert note.encode() not in content
    # Fragments with a space, which no token (base64) or hash (hex) holds: a bare "DUI"
    # turns up by chance in random base64 about once in a hundred runs.
    assert b"a bottle" not in content and b"the DUI" not in content


def test_the_migrations_still_match_the_models(engine):
    # The encrypted columns are TEXT in the schema: Alembic sees no type change to migrate.
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    changed_notes = [
        d for d in differences
        if isinstance(d, list) and d and d[0][0] == "modify_type" and (d[0][2], d[0][3]) in NOTES
    ]
    assert changed_notes == []


# ---------------------------------------------------------------------------------------
# Keys


def test_a_wrong_key_gives_a_clear_error_not_garbage(engine):
    write_every_note(engine)
    crypto.configure(keys=[Fernet.generate_key()])
    with pytest.raises(NoteDecryptionError) as raised, engine.connect() as connection:
        connection.execute(select(CheckIn.journal)).all()
    assert str(raised.value) == (
        "a note could not be decrypted: the encryption key does not match this database")
    # The dashboard checks at start, before any screen reads or writes a note.
    with pytest.raises(NoteDecryptionError):
        check_notes_readable(engine=engine)
    with pytest.raises(NoteDecryptionError):
        configure_keys(settings=_settings(engine, Fernet.generate_key()), engine=engine)


def test_without_keys_no_note_is_written(engine):
    member_id = write_every_note(engine)["member_id"]
    crypto.clear()
    with pytest.raises(StatementError) as raised, \
            make_session_factory(engine).begin() as session:
        session.add(CheckIn(member_id=member_id, local_date=date(2026, 11, 21), mood=3,
                            craving=2, used_substances=False, journal="never in plain text"))
    assert isinstance(raised.value.orig, KeysNotConfiguredError)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_the_engine_the_app_uses_keeps_notes_out_of_error_messages(engine):
    member_id = write_every_note(engine)["member_id"]
    crypto.clear()
    # As every engine is made (models/db.py): statement parameters hidden by default.
    url = engine.url.render_as_string(hide_password=False)
    app_engine = make_engine(url,
                             **({} if engine.dialect.name == "sqlite"
                                else {"connect_args": _search_path(engine)}))
    try:
        with pytest.raises(StatementError) as raised, \
                make_session_factory(app_engine).begin() as session:
            session.add(CheckIn(member_id=member_id, local_date=date(2026, 11, 21), mood=3,
                                craving=2, used_substances=False, journal="never in plain text"))
    finally:
        app_engine.dispose()
    assert "never in plain text" not in str(raised.value)


def _search_path(engine: Engine) -> dict:
    with engine.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
    return {"options": f"-csearch_path={schema}"}


# ---------------------------------------------------------------------------------------
# Rotation


def test_rotation_keeps_every_note_readable_and_changes_every_token(engine):
    old_key = TEST_ENCRYPTION_KEY.encode()
    write_every_note(engine)
    before = all_raw_tokens(engine)
    with engine.connect() as connection:
        edited_at = connection.scalar(select(CheckIn.updated_at))

    new_key = Fernet.generate_key()
    rotation = rotate_key(settings=_settings(engine, new_key, old_key), engine=engine, now=NOW)
    stored = encrypted_value_count(engine)
    assert stored >= len(NOTES)
    assert rotation.result.reencrypted == rotation.result.checked == stored
    assert not rotation.new_key_generated

    after = all_raw_tokens(engine)
    for column in ENCRYPTED:
        assert after[column] and set(after[column]).isdisjoint(before[column]), column
    crypto.configure(keys=[new_key])  # the old key retired: every note still opens
    for table, column in ENCRYPTED:
        assert orm_values(engine, table, column) == [NOTES[table, column]]
    with engine.connect() as connection:
        # Rewriting a note is not an edit by the member.
        assert connection.scalar(select(CheckIn.updated_at)) == edited_at
        assert connection.scalar(select(func.count()).where(
            text("action = 'notes_reencrypted'")).select_from(text("audit_events"))) == 1

    # Idempotent: a second run finds every note under the newest key already.
    again = rotate_key(settings=_settings(engine, new_key, old_key), engine=engine, now=NOW)
    assert again.result.reencrypted == 0 and again.result.checked == stored
    assert all_raw_tokens(engine) == after


def test_rotation_works_in_batches_over_composite_keys(engine):
    old_key = TEST_ENCRYPTION_KEY.encode()
    with make_session_factory(engine).begin() as session:
        member = make_user(session, "maria", "member")
        for step in range(1, 13):
            session.get(StepProgress, (member.id, step)).notes = f"step {step} notes"
        for day in range(30):
            add_checkin(session, member, date(2026, 10, 1) + timedelta(days=day),
                        journal=f"day {day}" if day % 3 else None)
    from dashboard.encryption_keys import reencrypt_notes

    new_key = Fernet.generate_key()
    crypto.configure(keys=[new_key, old_key])
    with engine.begin() as connection:
        result = reencrypt_notes(connection=connection, batch_rows=7)
    assert result.reencrypted == 12 + 20
    crypto.configure(keys=[new_key])
    assert sorted(orm_values(engine, "step_progress", "notes")) == sorted(
        f"step {s} notes" for s in range(1, 13))
    assert sorted(orm_values(engine, "checkins", "journal")) == sorted(
        f"day {d}" for d in range(30) if d % 3)


def test_rotation_stops_at_a_note_no_key_opens_and_changes_nothing(engine):
    old_key = TEST_ENCRYPTION_KEY.encode()
    write_every_note(engine)
    foreign = Fernet(Fernet.generate_key()).encrypt(b"from another database").decode()
    with engine.begin() as connection:
        connection.execute(update(Base.metadata.tables["weekly_reviews"])
                           .values(note=text(f"'{foreign}'")))
    before = all_raw_tokens(engine)
    with pytest.raises(NoteDecryptionError):
        rotate_key(settings=_settings(engine, Fernet.generate_key(), old_key), engine=engine, now=NOW)
    assert all_raw_tokens(engine) == before


def test_notes_from_before_encryption_are_refused_until_rotate_key_encrypts_them(engine):
    member_id = write_every_note(engine)["member_id"]
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO checkins (member_id, local_date, mood, craving, used_substances, "
            "meetings, prayer_meditation, called_support, read_literature, step_work, "
            "hard_day, is_late, journal, created_at, updated_at) VALUES (:m, :d, 3, 2, "
            "false, 0, false, false, false, false, false, false, 'an old plain note', "
            ":t, :t)"), {"m": member_id, "d": date(2026, 1, 5), "t": NOW.replace(tzinfo=None)})
    with pytest.raises(UnencryptedNoteError, match="rotate-key"), engine.connect() as c:
        c.execute(select(CheckIn.journal)).all()

    key = TEST_ENCRYPTION_KEY.encode()
    rotation = rotate_key(settings=_settings(engine, key), engine=engine, now=NOW)
    assert rotation.result.reencrypted == rotation.result.were_unencrypted == 1
    assert "an old plain note" not in str(raw_values(engine, "checkins", "journal"))
    assert "an old plain note" in orm_values(engine, "checkins", "journal")


# ---------------------------------------------------------------------------------------
# The operator's commands (the embedded database, keys from the key file)


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    """A SQLite database in its own folder, with no key in the environment."""
    folder = tmp_path / "data"
    url = f"sqlite:///{folder / 'dashboard.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DASHBOARD_ENCRYPTION_KEYS")
    return folder




def on_embedded(folder, work):
    """`work(engine)` on the database of the `embedded` folder, with its own engine."""
    engine = make_engine(f"sqlite:///{folder / 'dashboard.db'}")
    try:
        return work(engine)
    finally:
        engine.dispose()


def _add_notes_through_the_cli_database(folder) -> None:
    on_embedded(folder, write_every_note)


def test_the_first_run_creates_a_private_key_file_beside_the_database(embedded, capsys,
                                                                      monkeypatch):
    code, out, err = run(["init"], capsys, monkeypatch)
    assert code == 0, err
    key_file = embedded / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    (key,) = read_key_file(path=key_file)
    assert key.decode() not in out + err
    content_before = key_file.read_bytes()
    assert run(["init"], capsys, monkeypatch)[0] == 0
    assert key_file.read_bytes() == content_before  # never overwritten


def test_rotate_key_adds_a_new_key_and_keeps_every_note_readable(embedded, capsys,
                                                                 monkeypatch):
    assert run(["init"], capsys, monkeypatch)[0] == 0
    _add_notes_through_the_cli_database(embedded)
    before = on_embedded(embedded, all_raw_tokens)

    stored = on_embedded(embedded, encrypted_value_count)
    code, out, err = run(["rotate-key"], capsys, monkeypatch)
    assert code == 0, err
    assert f"Re-encrypted {stored} of {stored} encrypted values" in out
    keys = read_key_file(path=embedded / KEY_FILE_NAME)
    assert len(keys) == 2
    assert not any(k.decode() in out for k in keys)

    engine = make_engine(f"sqlite:///{embedded / 'dashboard.db'}")
    try:
        after = all_raw_tokens(engine)
        assert all(set(after[c]).isdisjoint(before[c]) for c in ENCRYPTED)
        crypto.configure(keys=[keys[0]])  # the new key alone opens every note
        for table, column in ENCRYPTED:
            assert orm_values(engine, table, column) == [NOTES[table, column]]
    finally:
        engine.dispose()
    # The app starts on the rotated database and its key file.
    assert run(["sweep"], capsys, monkeypatch)[0] == 0


def test_rotate_key_with_keys_in_the_environment_is_idempotent(embedded, capsys, monkeypatch):
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    monkeypatch.setenv("DASHBOARD_ENCRYPTION_KEYS", old_key.decode())
    assert run(["init"], capsys, monkeypatch)[0] == 0
    _add_notes_through_the_cli_database(embedded)

    # The operator puts the new key first and keeps the old one after it.
    monkeypatch.setenv("DASHBOARD_ENCRYPTION_KEYS", f"{new_key.decode()},{old_key.decode()}")
    stored = on_embedded(embedded, encrypted_value_count)
    code, out, err = run(["rotate-key"], capsys, monkeypatch)
    assert code == 0, err
    assert f"Re-encrypted {stored} of {stored}" in out
    assert "Remove the older keys" in out
    code, out, err = run(["rotate-key"], capsys, monkeypatch)
    assert code == 0 and f"Re-encrypted 0 of {stored}" in out
    assert not (embedded / KEY_FILE_NAME).exists()  # keys from the environment only

    monkeypatch.setenv("DASHBOARD_ENCRYPTION_KEYS", new_key.decode())
    assert run(["sweep"], capsys, monkeypatch)[0] == 0


def test_a_wrong_key_is_one_clear_line(embedded, capsys, monkeypatch):
    assert run(["init"], capsys, monkeypatch)[0] == 0
    crypto.configure(keys=list(read_key_file(path=embedded / KEY_FILE_NAME)))
    _add_notes_through_the_cli_database(embedded)
    monkeypatch.setenv("DASHBOARD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    code, out, err = run(["sweep"], capsys, monkeypatch)
    assert code == 1
    assert err == ("error: a note could not be decrypted: the encryption key does not "
                   "match this database\n")
    # rotate-key opens no note before it starts: the key's fingerprint stops it.
    code, out, err = run(["rotate-key"], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1
    assert "is not the one this database was written with" in err


def test_a_lost_key_file_is_not_silently_replaced(embedded, capsys, monkeypatch):
    assert run(["init"], capsys, monkeypatch)[0] == 0
    key_file = embedded / KEY_FILE_NAME
    crypto.configure(keys=list(read_key_file(path=key_file)))
    _add_notes_through_the_cli_database(embedded)
    key_file.unlink()  # a database restored without its key file
    code, out, err = run(["sweep"], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1
    assert "no key file" in err and "restore the key file" in err
    assert not key_file.exists()


def test_backup_reminds_that_the_key_is_not_in_it(embedded, capsys, monkeypatch, tmp_path):
    assert run(["init"], capsys, monkeypatch)[0] == 0
    crypto.configure(keys=list(read_key_file(path=embedded / KEY_FILE_NAME)))
    _add_notes_through_the_cli_database(embedded)
    target = tmp_path / "backup.db"
    code, out, err = run(["backup", str(target)], capsys, monkeypatch)
    assert code == 0, err
    assert "not in the backup" in out and str(embedded / KEY_FILE_NAME) in out
    content = target.read_bytes()
    assert all(note.encode() not in content for note in NOTES.values())
    with sqlite3.connect(target) as copy:
        (journal,) = copy.execute("SELECT journal FROM checkins").fetchone()
    assert crypto.looks_like_token(journal)


def test_postgresql_without_keys_refuses_to_start(capsys, monkeypatch):
    with pytest.raises(ConfigError, match="DASHBOARD_ENCRYPTION_KEYS must be set"):
        configure_keys(settings=Settings(database_url="postgresql://x@db.example.org/y"))


def test_a_fresh_database_in_a_new_folder_works_end_to_end(tmp_path):
    # What the first start of the embedded default does, without the environment's key.
    folder = tmp_path / "fresh"
    settings = Settings(database_url=f"sqlite:///{folder / 'dashboard.db'}")
    engine = make_engine(settings.database_url)
    try:
        upgrade_to_head(engine)
        source = configure_keys(settings=settings, engine=engine)
        assert source.created and source.key_file == folder / KEY_FILE_NAME
        write_every_note(engine)
        assert orm_values(engine, "checkins", "journal") == [NOTES["checkins", "journal"]]
    finally:
        engine.dispose()


def test_rotate_key_on_postgresql(postgresql_engine, capsys, monkeypatch):
    import dashboard.cli

    old_key, new_key = TEST_ENCRYPTION_KEY.encode(), Fernet.generate_key()
    write_every_note(postgresql_engine)
    stored = encrypted_value_count(postgresql_engine)
    # The command's engine works in this test's schema, like every other engine here.
    in_schema = _search_path(postgresql_engine)
    monkeypatch.setattr(dashboard.cli, "make_engine",
                        lambda url, **kwargs: make_engine(url, connect_args=in_schema, **kwargs))
    monkeypatch.setenv("DATABASE_URL", postgresql_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_ENCRYPTION_KEYS", f"{new_key.decode()},{old_key.decode()}")

    code, out, err = run(["rotate-key"], capsys, monkeypatch)
    assert code == 0, err
    assert f"Re-encrypted {stored} of {stored}" in out and "VACUUM FULL on checkins" in out
    crypto.configure(keys=[new_key])
    for table, column in ENCRYPTED:
        assert orm_values(postgresql_engine, table, column) == [NOTES[table, column]]

    monkeypatch.delenv("DASHBOARD_ENCRYPTION_KEYS")
    code, out, err = run(["rotate-key"], capsys, monkeypatch)
    assert code == 2 and "DASHBOARD_ENCRYPTION_KEYS must be set" in err
