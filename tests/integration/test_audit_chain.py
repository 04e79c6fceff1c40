"""The tamper-evident audit trail: an edit, an insertion or a deletion in SQL is found at
that event, by the service and by `python -m dashboard verify-audit`."""

import os

import pytest
from sqlalchemy import select, text

from dashboard.audit import audit_secret, record_event, record_events, verify_chain
from models import AuditEvent
from tests.factories import NOW


@pytest.fixture
def trail(session_factory, session):
    with session_factory.begin() as s:
        for n in range(5):
            record_event(s, actor_id=n, action="login", at=NOW)
    with session_factory.begin() as s:
        record_events(s, [{"actor_id": 9, "action": "view", "member_id": m, "at": NOW,
                           "categories": {"checkins"}, "purpose": "counseling",
                           "screen": "Caseload"} for m in range(3)])
    ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    session.commit()
    return ids


def check(session):
    session.commit()
    report = verify_chain(session)
    session.commit()
    return report


def test_an_untouched_trail_is_intact(session, trail):
    report = check(session)
    assert report.intact and report.checked == 8 and report.problem_id is None


def test_an_edited_event_is_found_at_that_event(session, trail):
    session.execute(text("UPDATE audit_events SET outcome = 'denied' WHERE id = :id"),
                    {"id": trail[3]})
    report = check(session)
    assert not report.intact and report.problem_id == trail[3]
    assert "edited" in report.problem and report.checked == 3


def test_a_deleted_event_is_found_at_the_next_one(session, trail):
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": trail[2]})
    report = check(session)
    assert not report.intact and report.problem_id == trail[3]
    assert "missing" in report.problem


def test_deleting_the_newest_events_is_found(session, trail):
    session.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": trail[6]})
    report = check(session)
    assert not report.intact and "end of the trail" in report.problem


def test_an_inserted_event_is_found(session, trail):
    last = session.get(AuditEvent, trail[-1])
    session.execute(
        text("INSERT INTO audit_events (at, action, categories, outcome, prev_hash, row_hash)"
             " VALUES (:at, 'login', '', 'allowed', :prev, :forged)"),
        {"at": NOW.replace(tzinfo=None), "prev": last.row_hash, "forged": "f" * 64})
    report = check(session)
    assert not report.intact and report.problem_id > trail[-1]


def test_the_key_of_an_embedded_database_is_a_private_file_beside_it(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    url = f"sqlite:///{tmp_path / 'data' / 'dashboard.db'}"
    first = audit_secret(url)
    key_file = tmp_path / "data" / "audit-secret.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert audit_secret(url) == first and len(first) == 64


def test_postgresql_needs_the_key_in_the_environment(monkeypatch):
    from dashboard.config import ConfigError

    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    with pytest.raises(ConfigError, match="DASHBOARD_SECRET_KEY"):
        audit_secret("postgresql+psycopg://x@127.0.0.1/y")


def test_verify_audit_command(tmp_path, monkeypatch, capsys):
    from dashboard.cli import main
    from models.db import make_engine, make_session_factory

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init"]) == 0
    engine = make_engine(url)
    with make_session_factory(engine).begin() as s:
        for n in range(3):
            record_event(s, actor_id=n, action="login", at=NOW)
    capsys.readouterr()
    assert main(["verify-audit"]) == 0
    assert "intact: 3 events verified" in capsys.readouterr().out
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor_id = 7 WHERE id = 2"))
    assert main(["verify-audit"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the audit trail was tampered with at event 2") and err.count("\n") == 1
    assert os.environ["DATABASE_URL"] == url
