"""The tamper-evident audit trail, sealed like a transparency log: an edit, an insertion, a
deletion or a cut end is found, by the service and by `python -m dashboard verify-audit`,
and appends never wait on one another."""

import os
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import bindparam, column, func, select, table, text

from dashboard.audit import (
    VISIT_WINDOW,
    audit_secret,
    extend_visits,
    legacy_event_hash,
    record_event,
    record_events,
)
from dashboard.audit_seal import SEALING_DELAY, AuditSealer, seal, seal_all
from dashboard.audit_verify import (
    UNSEALED_LIMIT,
    append_anchor,
    check_anchors,
    read_anchors,
    verify_log,
)
from dashboard.config import Settings
from dashboard.key_guard import open_keys
from models import AuditBatch, AuditEvent
from models.base import UTCDateTime
from models.db import alembic_config, make_engine, make_session_factory, upgrade_to_head
from tests.factories import NOW

LATER = NOW + SEALING_DELAY + timedelta(seconds=1)


@pytest.fixture
def trail(session_factory, session):
    """Eight events in two sealed batches: five logins, then a caseload of three."""
    with session_factory.begin() as s:
        for n in range(5):
            record_event(s, actor_id=n, action="login", at=NOW)
    assert seal_all(session_factory, now=LATER).batches == 1
    with session_factory.begin() as s:
        record_events(s, [{"actor_id": 9, "action": "view", "member_id": m, "at": NOW,
                           "categories": {"checkins"}, "purpose": "counseling",
                           "screen": "Caseload"} for m in range(3)])
    assert seal_all(session_factory, now=LATER).batches == 1
    ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    session.commit()
    return ids


def check(session, now=LATER):
    session.commit()
    report = verify_log(session, now=now)
    session.commit()
    return report


def test_an_untouched_trail_is_intact(session, trail):
    report = check(session)
    assert report.intact and report.checked == 8 and report.problem_id is None
    assert report.batches == 2 and report.newest.size == 8 and report.pending == 0


def test_a_list_screen_of_many_events_written_at_once_is_intact(session_factory, session):
    """Events appended in bulk (with COPY on PostgreSQL) are stored as an INSERT would
    have stored them, their time and HMAC included."""
    count = 120
    with session_factory.begin() as s:
        record_events(s, [{"actor_id": 9, "action": "view", "member_id": m, "at": NOW,
                           "categories": {"flags", "checkins"}, "purpose": "counseling",
                           "screen": "Caseload"} for m in range(count)])
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.member_id for e in events] == list(range(count))
    assert {(e.at, e.categories, e.seen_count, e.last_seen_at) for e in events} == {
        (NOW, "checkins,flags", 1, None)}
    assert seal_all(session_factory, now=LATER).batches == 1
    report = check(session)
    assert report.intact and report.checked == count


def test_new_events_are_verified_before_they_are_sealed(session_factory, session):
    with session_factory.begin() as s:
        record_event(s, actor_id=1, action="login", at=NOW)
    report = check(session, now=NOW)
    assert report.intact and report.pending == 1 and report.checked == 0


def test_an_edited_event_is_found_at_that_event(session, trail):
    session.execute(text("UPDATE audit_events SET outcome = 'denied' WHERE id = :id"),
                    {"id": trail[3]})
    report = check(session)
    assert not report.intact and report.problem_id == trail[3]
    assert "edited" in report.problem and report.checked == 3


def test_a_visit_extended_by_reruns_stays_intact_once_sealed(session_factory, session, trail):
    """A rerun of the caseload within its visit adds to sealed events' count and last time,
    which are outside their HMAC."""
    with session_factory.begin() as s:
        extend_visits(s, trail[5:], at=NOW + timedelta(minutes=5))
    with session_factory.begin() as s:
        extend_visits(s, trail[5:], at=NOW + VISIT_WINDOW)
    report = check(session)
    assert report.intact and report.checked == 8
    assert session.execute(select(AuditEvent.seen_count, AuditEvent.last_seen_at)
                           .where(AuditEvent.id == trail[6])).one() == (3, NOW + VISIT_WINDOW)


@pytest.mark.parametrize(("edit", "last_seen"), [
    ("seen_count = 0", None),
    ("seen_count = -4", None),
    ("seen_count = 3", None),  # seen again, but no last time
    ("last_seen_at = :at", timedelta(minutes=1)),  # a last time, but seen once
    ("seen_count = 2, last_seen_at = :at", -timedelta(seconds=1)),  # last before first
    ("seen_count = 2, last_seen_at = :at", VISIT_WINDOW + timedelta(seconds=1)),
], ids=["zero", "negative", "count-without-time", "time-without-count", "before", "beyond"])
def test_an_edited_visit_is_found_at_that_event(session, trail, edit, last_seen):
    statement = text(f"UPDATE audit_events SET {edit} WHERE id = :id")
    values = {"id": trail[6]}
    if last_seen is not None:
        statement = statement.bindparams(bindparam("at", type_=UTCDateTime))
        values["at"] = NOW + last_seen
    session.execute(statement, values)
    report = check(session)
    assert not report.intact and report.problem_id == trail[6]
    assert "visit does not add up" in report.problem and "edited" in report.problem


def test_a_deleted_event_is_found(session, trail):
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": trail[2]})
    report = check(session)
    assert not report.intact and report.problem_id == trail[2]
    assert "missing" in report.problem and "deleted" in report.problem


def test_deleting_the_newest_events_and_moving_the_batch_is_found(session, trail):
    """The first cut: the newest events deleted, and the newest batch made to end at the new
    last event (as the chain head row once could be)."""
    session.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": trail[6]})
    session.execute(text("UPDATE audit_batches SET last_event_id = :last, event_ids = :ids, "
                         "size = size - 2 WHERE id = (SELECT max(id) FROM audit_batches)"),
                    {"last": trail[5], "ids": f"{trail[5]}"})
    report = check(session)
    assert not report.intact and "signed head" in report.problem


def test_nulling_the_oldest_hashes_and_editing_one_is_found(session, trail):
    """The second cut: the oldest events' hashes removed, so that they would pass for events
    older than the chain, and one of them edited."""
    session.execute(text("UPDATE audit_events SET row_hash = NULL, prev_hash = NULL "
                         "WHERE id <= :id"), {"id": trail[1]})
    session.execute(text("UPDATE audit_events SET actor_id = 42 WHERE id = :id"),
                    {"id": trail[0]})
    report = check(session)
    assert not report.intact and report.problem_id == trail[0]
    assert "no hash" in report.problem


def test_an_event_inserted_with_a_wrong_hmac_is_found_and_never_sealed(
        session_factory, session, trail):
    session.execute(
        text("INSERT INTO audit_events (id, at, action, categories, outcome, row_hash)"
             " VALUES (:id, :at, 'login', '', 'allowed', :forged)"),
        {"id": trail[-1] + 1, "at": NOW.replace(tzinfo=None), "forged": "f" * 64})
    session.commit()
    result = seal_all(session_factory, now=LATER)
    assert result.refused == (trail[-1] + 1,) and result.events == 0
    report = check(session)
    assert not report.intact and report.problem_id == trail[-1] + 1
    assert "HMAC" in report.problem


def test_an_event_inserted_without_a_hash_is_found(session, trail):
    session.execute(
        text("INSERT INTO audit_events (id, at, action, categories, outcome)"
             " VALUES (:id, :at, 'login', '', 'allowed')"),
        {"id": trail[-1] + 1, "at": NOW.replace(tzinfo=None)})
    report = check(session)
    assert not report.intact and "no hash" in report.problem


def test_an_unsealed_event_older_than_the_delay_is_reported(session_factory, session, trail):
    with session_factory.begin() as s:
        record_event(s, actor_id=1, action="login", at=NOW)
    assert check(session).intact  # due, but the sealer has time for its round
    report = check(session, now=NOW + UNSEALED_LIMIT + timedelta(seconds=1))
    assert not report.intact and report.problem_id == trail[-1] + 1
    assert f"event {trail[-1] + 1} was never sealed" in report.problem


def test_the_sealer_is_idempotent(session_factory, session, trail):
    assert seal_all(session_factory, now=LATER).events == 0
    assert session.scalar(select(func.count()).select_from(AuditBatch)) == 2
    with session_factory.begin() as s:
        record_event(s, actor_id=1, action="login", at=NOW + timedelta(minutes=1))
    assert seal_all(session_factory, now=LATER).events == 0  # not due yet
    assert seal_all(session_factory, now=LATER + timedelta(minutes=1)).events == 1
    assert check(session, now=LATER + timedelta(minutes=1)).checked == 9


def test_two_sealers_at_once_seal_each_event_once(engine, session_factory, session):
    with session_factory.begin() as s:
        record_events(s, [{"actor_id": 1, "action": "view", "member_id": m, "at": NOW}
                          for m in range(50)])
    start, results, errors = threading.Barrier(2), [], []

    def sealer():
        start.wait()
        try:
            results.append(seal_all(make_session_factory(engine), now=LATER))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and sorted(r.events for r in results) == [0, 50]
    report = check(session)
    assert report.intact and report.checked == 50 and report.batches == 1


def test_the_app_seals_in_the_background(engine, session_factory, session):
    with session_factory.begin() as s:
        record_event(s, actor_id=1, action="login", at=NOW - timedelta(minutes=1))
    sealer = AuditSealer(engine, every_seconds=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while (session.scalar(select(func.count()).select_from(AuditBatch)) == 0
               and time.monotonic() < deadline):
            session.commit()
            time.sleep(0.05)
    finally:
        sealer.stop()
    assert not sealer.running and sealer.rounds >= 1
    assert check(session).checked == 1


def test_a_rolled_back_append_leaves_a_gap_that_is_sealed_around(session_factory, session,
                                                                 trail):
    with pytest.raises(RuntimeError), session_factory.begin() as s:
        record_event(s, actor_id=1, action="login", at=NOW)
        raise RuntimeError("the action failed")
    with session_factory.begin() as s:
        record_event(s, actor_id=2, action="login", at=NOW)
    assert seal_all(session_factory, now=LATER).events == 1
    report = check(session, now=NOW + timedelta(hours=1))
    assert report.intact and report.checked == 9


def test_anchors_catch_a_cut_end(session_factory, session, trail, tmp_path):
    anchors = tmp_path / "anchors.log"
    append_anchor(anchors, check(session).newest, now=LATER)
    # The newest batch and its events deleted: what is left is whole in itself.
    session.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": trail[5]})
    session.execute(text("DELETE FROM audit_batches WHERE id = (SELECT max(id) FROM "
                         "audit_batches)"))
    assert check(session).intact
    problem = check_anchors(session, read_anchors(anchors))
    assert problem is not None and "cut off" in problem


def test_anchors_catch_an_old_head_put_back(session_factory, session, trail, tmp_path):
    anchors = tmp_path / "anchors.log"
    append_anchor(anchors, check(session).newest, now=LATER)
    # Back to the log as it stood after the first batch, then going on from there.
    session.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": trail[5]})
    session.execute(text("DELETE FROM audit_batches WHERE id = (SELECT max(id) FROM "
                         "audit_batches)"))
    session.commit()
    with session_factory.begin() as s:
        record_event(s, actor_id=3, action="login", at=NOW)
    assert seal_all(session_factory, now=LATER).events == 1
    assert check(session).intact
    assert check_anchors(session, read_anchors(anchors)) is not None


def test_concurrent_appends_do_not_wait_on_each_other(postgresql_engine):
    """One transaction has appended and is still open; another appends and commits at once
    (a lock wait would fail it after 200 ms). The sealer seals the later one first, and
    the earlier one, committed late, in a batch after it."""
    factory = make_session_factory(postgresql_engine)
    with factory() as first:
        record_event(first, actor_id=1, action="view", at=NOW)
        first.flush()
        with factory.begin() as second:
            second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            record_event(second, actor_id=2, action="view", at=NOW)
        assert seal_all(factory, now=LATER).events == 1
        first.commit()
    assert seal_all(factory, now=LATER).events == 1
    with factory() as session:
        report = check(session)
        assert report.intact and report.checked == 2 and report.batches == 2
        ids = session.scalars(select(AuditBatch.event_ids).order_by(AuditBatch.id)).all()
    first_id = int(ids[1])
    assert ids == [str(first_id + 1), str(first_id)]


def test_sealing_waits_for_no_append(postgresql_engine):
    """A sealer holds its lock; an append beside it goes through without waiting."""
    factory = make_session_factory(postgresql_engine)
    with factory.begin() as s:
        record_event(s, actor_id=1, action="view", at=NOW)
    with factory() as sealer:
        seal(sealer, now=LATER)
        with factory.begin() as writer:
            writer.execute(text("SET LOCAL lock_timeout = '200ms'"))
            record_event(writer, actor_id=2, action="view", at=NOW)
        sealer.commit()


def test_the_older_hash_chain_stays_verifiable(tmp_path):
    """A database of migration 0005: two events from before the chain, three chained. After
    0007 the chain verifies, newer events are sealed after it, and the older chain's
    hashes cannot be removed to pass its events off as older than the chain."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config(engine)
    command.upgrade(config, "0005")
    secret = audit_secret(url)
    fields = dict(actor_id=None, actor_role=None, action="login", member_id=None,
                  categories="", purpose=None, screen=None, outcome="allowed", detail=None)
    previous = "0" * 64
    # The table as 0005 had it: the model's newer columns (0012's visits) came later.
    old_events = table("audit_events", column("at", UTCDateTime), *(
        column(name) for name in ("id", *fields, "prev_hash", "row_hash")))
    with engine.begin() as connection:
        for n in range(1, 6):
            row = {"id": n, "at": NOW, **fields, "actor_id": n}
            if n > 2:
                row["prev_hash"] = previous
                row["row_hash"] = previous = legacy_event_hash(secret, previous, row)
            connection.execute(old_events.insert(), [row])
        connection.execute(text("UPDATE audit_chain_head SET last_id = 5, last_hash = :h"),
                           {"h": previous})
    command.upgrade(config, "head")  # 0007 and the migrations after it
    factory = make_session_factory(engine)
    with factory() as session:
        report = verify_log(session, now=LATER)
        assert report.intact and report.unchained == 2 and report.checked == 3
    with factory.begin() as s:
        record_event(s, actor_id=6, action="login", at=NOW)
    assert seal_all(factory, now=LATER).events == 1
    with factory() as session:
        assert verify_log(session, now=LATER).checked == 4
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET row_hash = NULL, prev_hash = NULL "
                                "WHERE id = 3"))
        connection.execute(text("UPDATE audit_events SET actor_id = 42 WHERE id = 3"))
    with factory() as session:
        report = verify_log(session, now=LATER)
        assert not report.intact and report.problem_id == 3
    with engine.begin() as connection:  # and the older chain's row moved past them
        connection.execute(text("UPDATE audit_batches SET first_event_id = 4 "
                                "WHERE merkle_root IS NULL"))
    with factory() as session:
        report = verify_log(session, now=LATER)
        assert not report.intact
    engine.dispose()


def test_the_key_of_an_embedded_database_is_a_private_file_beside_it(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    url = f"sqlite:///{tmp_path / 'data' / 'dashboard.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    open_keys(settings=Settings(database_url=url, encryption_keys=(Fernet.generate_key(),)),
              engine=engine, now=NOW)
    key_file = tmp_path / "data" / "audit-secret.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    first = audit_secret(url)
    assert first == key_file.read_bytes().strip() and len(first) == 64
    engine.dispose()


def test_postgresql_needs_the_key_in_the_environment(monkeypatch):
    from dashboard.config import ConfigError

    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    with pytest.raises(ConfigError, match="DASHBOARD_SECRET_KEY"):
        audit_secret("postgresql+psycopg://x@127.0.0.1/y")


def test_seal_and_verify_audit_commands(tmp_path, monkeypatch, capsys):
    from dashboard.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    anchors = tmp_path / "outside" / "anchors.log"
    anchors.parent.mkdir()
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init"]) == 0
    engine = make_engine(url)
    with make_session_factory(engine).begin() as s:
        for n in range(3):
            record_event(s, actor_id=n, action="login", at=NOW)
    capsys.readouterr()
    with time_machine.travel(LATER, tick=False):
        assert main(["seal"]) == 0
        assert "Sealed 3 audit events in 1 batch." in capsys.readouterr().out
        assert main(["verify-audit", "--anchor", str(anchors)]) == 0
        out = capsys.readouterr().out
        assert "intact: 3 events verified in 1 sealed batches" in out
        assert len(read_anchors(anchors)) == 1
        assert main(["verify-audit", "--anchor", str(anchors)]) == 0
        assert "Checked 1 earlier anchors" in capsys.readouterr().out
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events"))
            connection.execute(text("DELETE FROM audit_batches"))
        assert main(["verify-audit", "--anchor", str(anchors)]) == 1
        err = capsys.readouterr().err
        assert "cut off" in err and err.count("\n") == 1
        assert len(read_anchors(anchors)) == 2  # a log found cut is not anchored
        with make_session_factory(engine).begin() as s:
            record_event(s, actor_id=1, action="login", at=NOW)
        with engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET actor_id = 7"))
        assert main(["verify-audit"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the audit trail was tampered with at event") and err.count("\n") == 1
    assert os.environ["DATABASE_URL"] == url
    engine.dispose()
