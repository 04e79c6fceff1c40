from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from models import Base
from models.db import schema_is_current, upgrade_to_head
from tests.factories import add_checkin, grant, make_user


def test_migrations_build_every_table_from_empty(engine):
    assert schema_is_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    upgrade_to_head(engine)  # a second upgrade is a no-op
    assert schema_is_current(engine)


def test_read_path_indexes_exist(engine):
    inspector = inspect(engine)
    unique_checkins = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("checkins")}
    assert ("member_id", "local_date") in unique_checkins
    consent_indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("consents")}
    assert ("recipient_id", "member_id") in consent_indexes


@pytest.fixture
def member(session):
    actor = make_user(session, "maria", "member")
    session.commit()
    return actor


def expect_refused(session, build):
    with pytest.raises(IntegrityError):
        build()
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "values",
    [
        {"mood": 0}, {"mood": 6}, {"craving": -1}, {"craving": 11}, {"meetings": 11},
        {"meetings": -1}, {"sleep_hours": 24.5}, {"sleep_hours": -0.5},
    ],
)
def test_out_of_range_check_in_values_are_refused(session, member, values):
    expect_refused(session, lambda: add_checkin(session, member, date(2026, 11, 20), **values))


@pytest.mark.parametrize("values", [{"mood": 1, "craving": 0}, {"mood": 5, "craving": 10,
                                                                "sleep_hours": 24.0}])
def test_edge_values_are_accepted(session, member, values):
    add_checkin(session, member, date(2026, 11, 20), **values)
    session.commit()


def test_a_second_check_in_for_the_same_day_is_refused(session, member):
    add_checkin(session, member, date(2026, 11, 20))
    session.commit()
    expect_refused(session, lambda: add_checkin(session, member, date(2026, 11, 20)))
    count = session.scalar(text("SELECT count(*) FROM checkins"))
    assert count == 1


def test_step_dates_must_match_status(session, member):
    for sql in [
        "UPDATE step_progress SET status = 'completed' WHERE step = 1",
        "UPDATE step_progress SET status = 'in_progress' WHERE step = 1",
        "UPDATE step_progress SET step = 13 WHERE step = 12",
        "UPDATE step_progress SET status = 'completed', started_on = '2026-02-01',"
        " completed_on = '2026-01-01' WHERE step = 1",
    ]:
        with pytest.raises(IntegrityError):
            session.execute(text(sql))
        session.rollback()


def test_consent_needs_a_category_and_an_acknowledged_signature(session, member):
    sponsor = make_user(session, "sam", "member", "sponsor")
    expect_refused(session, lambda: grant(session, member, sponsor))  # no category
    sponsor = make_user(session, "sam", "member", "sponsor")
    consent = grant(session, member, sponsor, "checkins")
    session.commit()
    for sql in [
        f"UPDATE consents SET signature_name = '  ' WHERE id = {consent.id}",
        f"UPDATE consents SET expires_at = starts_at WHERE id = {consent.id}",
        f"UPDATE consents SET purpose = 'marketing' WHERE id = {consent.id}",
        f"UPDATE consents SET recipient_id = member_id WHERE id = {consent.id}",
    ]:
        with pytest.raises(IntegrityError):
            session.execute(text(sql))
        session.rollback()


def test_check_ins_need_an_existing_member(session):
    with pytest.raises(IntegrityError):
        session.execute(text(
            "INSERT INTO checkins (member_id, local_date, mood, craving, used_substances, meetings,"
            " prayer_meditation, called_support, read_literature, step_work, hard_day, is_late,"
            " created_at, updated_at) VALUES (999, '2026-11-20', 3, 2, false, 0, false, false,"
            " false, false, false, false, '2026-11-20 10:00:00', '2026-11-20 10:00:00')"
        ))
        session.flush()
    session.rollback()


def test_usernames_are_unique_without_regard_to_case(session):
    from dashboard.errors import ValidationError

    make_user(session, "Maria", "member")
    session.commit()
    with pytest.raises(ValidationError, match="taken"):
        make_user(session, "MARIA", "member")


def test_audit_event_pages_keep_room_for_visits_on_postgresql(postgresql_engine):
    # A visit's reruns update seen_count and last_seen_at in place (migration 0014).
    with postgresql_engine.connect() as connection:
        options = connection.execute(text(
            "SELECT reloptions FROM pg_class WHERE oid = 'audit_events'::regclass")).scalar_one()
    assert "fillfactor=70" in (options or [])
