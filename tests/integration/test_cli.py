"""The command line: each command's happy path and a bad input, as an operator sees them."""

import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from sqlalchemy import select

from dashboard import clock
from dashboard.passwords import verify_and_update
from models import User
from models.db import make_engine, make_session_factory, schema_is_current
from tests.factories import NOW
from tests.integration.cli_runs import run


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url




def test_init_creates_the_schema(cli_db, capsys, monkeypatch):
    code, out, err = run(["init"], capsys, monkeypatch)
    assert code == 0 and "newest schema" in out and err == ""
    assert schema_is_current(make_engine(cli_db))


def test_init_on_an_unreachable_database_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    code, out, err = run(["init"], capsys, monkeypatch)
    assert code == 1
    assert err.startswith("error: The dashboard cannot reach its database right now.")
    assert "Check that the database server is running" in err and "refused" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_create_user_reads_the_password_from_stdin(cli_db, capsys, monkeypatch):
    code, out, err = run(["create-user", "Sam", "--role", "member", "--role", "sponsor",
                          "--name", "Sam S.", "--timezone", "America/Chicago"],
                         capsys, monkeypatch, stdin="a sturdy passphrase here\n")
    assert code == 0, err
    assert "Created sam" in out and "member, sponsor" in out
    with make_session_factory(make_engine(cli_db))() as session:
        user = session.scalar(select(User).where(User.username == "sam"))
        assert user.role_names == {"member", "sponsor"}
        assert user.display_name == "Sam S." and user.timezone == "America/Chicago"
        assert user.profile is not None
        assert verify_and_update("a sturdy passphrase here", user.password_hash)[0]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["create-user", "sam", "--role", "member"], "short\n", "at least 12 characters"),
        (["create-user", "sam", "--role", "pilot"], "a sturdy passphrase\n", "invalid choice"),
        (["create-user", "sam"], "a sturdy passphrase\n", "--role"),
        (["create-user", "s!", "--role", "member"], "a sturdy passphrase\n", "username"),
        (["create-user", "sam", "--role", "member", "--timezone", "Mars/Base"],
         "a sturdy passphrase\n", "time zone"),
        (["create-user", "sam", "--role", "member"], "", "no password"),
        (["create-user", "sam", "--role", "member", "--sobriety-date", "14/03/2025"],
         "a sturdy passphrase\n", "--sobriety-date"),
    ],
)
def test_create_user_bad_input(cli_db, capsys, monkeypatch, args, stdin, message):
    run(["init"], capsys, monkeypatch)
    code, out, err = run(args, capsys, monkeypatch, stdin=stdin)
    assert code == 2
    assert message in err and err.startswith("error:") and err.count("\n") == 1
    engine = make_engine(cli_db)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(User).where(User.username == "sam")) is None


def test_create_user_twice_is_refused(cli_db, capsys, monkeypatch):
    args = ["create-user", "sam", "--role", "member"]
    assert run(args, capsys, monkeypatch, stdin="a sturdy passphrase\n")[0] == 0
    code, out, err = run(args, capsys, monkeypatch, stdin="a sturdy passphrase\n")
    assert code == 2 and "taken" in err


def test_demo_loads_and_prints_the_accounts(cli_db, capsys, monkeypatch):
    code, out, err = run(["demo", "--members", "12", "--days", "30", "--seed", "3"],
                         capsys, monkeypatch)
    assert code == 0, err
    assert "Loaded 12 members" in out
    assert "password: serenity-demo-2026" in out
    assert "member1..member12" in out and "sponsor1" in out and "counselor1" in out


def test_demo_refuses_a_database_with_accounts(cli_db, capsys, monkeypatch):
    run(["create-user", "ada", "--role", "admin"], capsys, monkeypatch,
        stdin="a sturdy passphrase\n")
    code, out, err = run(["demo", "--members", "12", "--days", "30"], capsys, monkeypatch)
    assert code == 2 and "empty database" in err


def test_demo_refuses_nonsense_sizes(cli_db, capsys, monkeypatch):
    code, out, err = run(["demo", "--members", "0"], capsys, monkeypatch)
    assert code == 2 and err.startswith("error:")
    code, out, err = run(["demo", "--days", "many"], capsys, monkeypatch)
    assert code == 2 and "invalid int value" in err


def test_backup_makes_a_consistent_copy(cli_db, tmp_path, capsys, monkeypatch):
    run(["create-user", "ada", "--role", "admin"], capsys, monkeypatch,
        stdin="a sturdy passphrase\n")
    target = tmp_path / "copy.db"
    code, out, err = run(["backup", str(target)], capsys, monkeypatch)
    assert code == 0, err
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT username FROM users").fetchall() == [("ada",)]
        events = copy.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    assert events > 0
    assert (f"Verified the copy: integrity check passed, audit trail intact ({events} "
            f"event{'' if events == 1 else 's'}).") in out


def test_a_database_being_written_is_copied_whole(cli_db, tmp_path, capsys, monkeypatch):
    import threading

    run(["init"], capsys, monkeypatch)
    path = cli_db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE filler (n INTEGER, words TEXT)")
    stop = threading.Event()

    def keep_saving():  # the app, saving while the backup runs
        with sqlite3.connect(path, timeout=15) as database:
            n = 0
            while not stop.is_set():
                n += 1
                database.execute("INSERT INTO filler VALUES (?, ?)", (n, "x" * 2000))
                database.commit()

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        code, out, err = run(["backup", str(tmp_path / "copy.db")], capsys, monkeypatch)
    finally:
        stop.set()
        writer.join()
    assert code == 0, err
    assert "integrity check passed, audit trail intact" in out
    with sqlite3.connect(tmp_path / "copy.db") as copy:  # saves in order, none torn
        rows = copy.execute("SELECT n FROM filler ORDER BY n").fetchall()
    assert [n for (n,) in rows] == list(range(1, len(rows) + 1))


def test_the_backup_reminder_names_both_keys_in_the_environment(cli_db, tmp_path, capsys,
                                                                monkeypatch):
    run(["init"], capsys, monkeypatch)
    code, out, err = run(["backup", str(tmp_path / "copy.db")], capsys, monkeypatch)
    assert code == 0, err
    assert ("The keys are not in the backup: the notes' encryption key is in the "
            "environment variable DASHBOARD_ENCRYPTION_KEYS, the audit key in the environment "
            "variable DASHBOARD_SECRET_KEY.") in out


def test_the_backup_reminder_names_both_key_files(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    monkeypatch.delenv("DASHBOARD_ENCRYPTION_KEYS")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder / 'dashboard.db'}")
    audit_key = folder / "audit-secret.key"
    audit_key.write_text("0123456789abcdef" * 4 + "\n")
    os.chmod(audit_key, 0o600)
    assert run(["init"], capsys, monkeypatch)[0] == 0
    code, out, err = run(["backup", str(tmp_path / "copy.db")], capsys, monkeypatch)
    assert code == 0, err
    assert (f"the notes' encryption key is in the key file {folder / 'encryption.key'}, "
            f"the audit key in the key file {audit_key}.") in out
    assert "Keep a copy of both apart from the backup" in out
    assert "audit trail intact" in out  # checked with the key beside the database
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "data"]  # no key there


def test_a_copy_that_fails_the_integrity_check_is_removed(cli_db, tmp_path, capsys,
                                                          monkeypatch):
    from dashboard import backup

    run(["create-user", "ada", "--role", "admin"], capsys, monkeypatch,
        stdin="a sturdy passphrase\n")
    copy_whole = backup._copy

    def copy_torn(source, target):  # a page of the copy overwritten, as a bad disk might
        copy_whole(source, target)
        with open(target, "r+b") as file:
            file.seek(4096 * 3)
            file.write(b"\xff" * 4096)

    monkeypatch.setattr(backup, "_copy", copy_torn)
    target = tmp_path / "copy.db"
    code, out, err = run(["backup", str(target)], capsys, monkeypatch)
    assert code == 1 and out == ""
    assert err.startswith("error: the copy failed SQLite's integrity check (")
    assert "so it was removed" in err and err.count("\n") == 1
    assert list(tmp_path.glob("copy.db*")) == []


def test_a_copy_whose_audit_trail_does_not_verify_is_removed(cli_db, tmp_path, capsys,
                                                             monkeypatch):
    run(["create-user", "ada", "--role", "admin"], capsys, monkeypatch,
        stdin="a sturdy passphrase\n")
    with sqlite3.connect(cli_db.removeprefix("sqlite:///")) as database:
        database.execute("UPDATE audit_events SET detail = 'edited' WHERE id = 1")
    target = tmp_path / "copy.db"
    code, out, err = run(["backup", str(target)], capsys, monkeypatch)
    assert code == 1 and out == ""
    assert err.startswith("error: the copy's audit trail does not verify at event 1 (")
    assert "verify-audit" in err and err.count("\n") == 1
    assert list(tmp_path.glob("copy.db*")) == []


def test_a_database_at_an_older_schema_is_backed_up_but_not_upgraded(cli_db, tmp_path, capsys,
                                                                      monkeypatch):
    path = cli_db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE notes_of_old (words TEXT)")
    code, out, err = run(["backup", str(tmp_path / "copy.db")], capsys, monkeypatch)
    assert code == 0, err
    assert "integrity check passed; its audit trail is checked once the database" in out
    code, out, err = run(["verify-audit"], capsys, monkeypatch)
    assert code == 1 and "run `python -m dashboard init`" in err and err.count("\n") == 1
    with sqlite3.connect(path) as database:  # read only: nothing was upgraded
        assert database.execute("SELECT name FROM sqlite_master").fetchall() == [
            ("notes_of_old",)]


def test_backup_bad_targets(cli_db, tmp_path, capsys, monkeypatch):
    run(["init"], capsys, monkeypatch)
    existing = tmp_path / "exists.db"
    existing.write_text("")
    assert run(["backup", str(existing)], capsys, monkeypatch)[2].startswith("error:")
    code, out, err = run(["backup", str(tmp_path / "no" / "such" / "dir.db")], capsys, monkeypatch)
    assert code == 2 and "does not exist" in err


def test_backup_of_postgresql_points_to_pg_dump(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1:1/y")
    code, out, err = run(["backup", "/tmp/never.db"], capsys, monkeypatch)
    assert code == 2 and "pg_dump" in err


def test_unknown_command_is_one_line(capsys, monkeypatch):
    code, out, err = run(["explode"], capsys, monkeypatch)
    assert code == 2 and err.startswith("error:") and err.count("\n") == 1


def test_module_entry_point_runs(cli_db):
    result = subprocess.run([sys.executable, "-m", "dashboard", "init"], capture_output=True,
                            text=True, env=os.environ | {"DATABASE_URL": cli_db}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "newest schema" in result.stdout


def test_sweep_raises_missed_check_in_flags_once(cli_db, capsys, monkeypatch):
    from datetime import timedelta

    from models import CheckIn, Flag

    run(["create-user", "maria", "--role", "member"], capsys, monkeypatch,
        stdin="a sturdy passphrase\n")
    engine = make_engine(cli_db)
    with make_session_factory(engine).begin() as session:
        user = session.scalar(select(User).where(User.username == "maria"))
        # The command reads the clock (stopped at NOW in tests); maria's day is UTC's.
        session.add(CheckIn(member_id=user.id, local_date=NOW.date() - timedelta(days=5),
                            mood=3, craving=2, used_substances=False, meetings=0,
                            created_at=NOW, updated_at=NOW))
    code, out, err = run(["sweep"], capsys, monkeypatch)
    assert code == 0 and out.strip() == "Raised 1 new flag for missed check-ins."
    code, out, err = run(["sweep"], capsys, monkeypatch)
    assert out.strip() == "Raised 0 new flags for missed check-ins."
    with make_session_factory(engine)() as session:
        assert session.scalar(select(Flag.rule_id)) == "no_checkin"


def test_reset_two_factor_lets_an_only_admin_who_lost_their_phone_back_in(
        cli_db, capsys, monkeypatch):
    from datetime import timedelta

    from models import AuditEvent
    from tests.factories import set_up_two_factor

    code, _, err = run(["create-user", "root", "--role", "admin"], capsys, monkeypatch,
                       stdin="a sturdy passphrase here\n")
    assert code == 0, err
    with make_session_factory(make_engine(cli_db)).begin() as session:
        user = session.scalar(select(User).where(User.username == "root"))
        set_up_two_factor(session, user.id)
        user.locked_until = clock.now() + timedelta(minutes=10)  # wrong codes, then the lock

    code, out, err = run(["reset-two-factor", " ROOT "], capsys, monkeypatch)
    assert code == 0, err
    assert "Two-factor login of root is reset" in out
    with make_session_factory(make_engine(cli_db))() as session:
        user = session.scalar(select(User).where(User.username == "root"))
        assert (user.totp_secret, user.totp_enrolled_at, user.locked_until) == (None, None, None)
        event = session.scalars(select(AuditEvent)
                                .where(AuditEvent.action == "two_factor_reset")).one()
        assert (event.actor_id, event.member_id, event.detail) == (None, user.id, "command line")

    code, out, err = run(["reset-two-factor", "root"], capsys, monkeypatch)
    assert code == 2 and "nothing to reset" in err and err.count("\n") == 1
    code, out, err = run(["reset-two-factor", "nobody"], capsys, monkeypatch)
    assert code == 2 and "no account with the username 'nobody'" in err


def test_init_makes_a_private_folder_and_database(tmp_path, capsys, monkeypatch):
    path = tmp_path / "fresh" / "dashboard.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    previous = os.umask(0o022)  # a careless shell's
    try:
        code, out, err = run(["init"], capsys, monkeypatch)
        assert code == 0, err
        assert os.umask(0o022) == 0o022  # the command's own umask did not outlive it
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with sqlite3.connect(path) as connection:  # its log files, while it is open
            connection.execute("CREATE TABLE t (n INTEGER)")
            for side in ("-wal", "-shm"):
                assert stat.S_IMODE(os.stat(f"{path}{side}").st_mode) == 0o600, side
    finally:
        os.umask(previous)


def test_a_backup_is_private(cli_db, tmp_path, capsys, monkeypatch):
    run(["init"], capsys, monkeypatch)
    target = tmp_path / "copy.db"
    previous = os.umask(0o022)
    try:
        code, out, err = run(["backup", str(target)], capsys, monkeypatch)
    finally:
        os.umask(previous)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_audit_key_file_others_can_read_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    key_file = tmp_path / "audit-secret.key"
    key_file.write_text("0123456789abcdef" * 4 + "\n")
    os.chmod(key_file, 0o644)
    code, out, err = run(["create-user", "ada", "--role", "admin"], capsys, monkeypatch,
                         stdin="a sturdy passphrase\n")
    assert code == 2 and "Created" not in out
    assert f"{key_file} is readable by other users" in err and f"chmod 600 {key_file}" in err
