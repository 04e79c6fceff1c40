"""Updating the member's own steps: status, the dates that follow it, and notes."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dashboard.errors import PermissionDenied, ValidationError
from dashboard.member_record import member_record
from dashboard.steps import update_step
from models import AuditEvent, StepProgress
from tests.factories import NOW, make_user

TODAY = NOW.date()


@pytest.fixture
def member(session):
    actor = make_user(session, "maria", "member")
    session.commit()
    return actor


def step_row(session, member_id, step):
    session.rollback()  # a fresh snapshot: SQLite keeps a read transaction's view
    return session.scalar(select(StepProgress).where(StepProgress.member_id == member_id,
                                                     StepProgress.step == step))


def update(session_factory, member, step, status, notes=None, now=NOW):
    with session_factory.begin() as s:
        row = update_step(session=s, actor=member, step=step, status=status, notes=notes, now=now)
        return row.status, row.started_on, row.completed_on


def test_starting_then_completing_a_step_dates_each(session_factory, session, member):
    assert update(session_factory, member, 1, "in_progress") == ("in_progress", TODAY, None)
    later = NOW + timedelta(days=9)
    assert update(session_factory, member, 1, "completed", now=later) == (
        "completed", TODAY, later.date())
    row = step_row(session, member.id, 1)
    assert (row.status, row.started_on, row.completed_on) == ("completed", TODAY, later.date())


def test_a_step_cannot_be_completed_before_it_is_started(session_factory, session, member):
    with pytest.raises(ValidationError) as error:
        update(session_factory, member, 2, "completed")
    assert "Start this step first" in error.value.for_field("status")
    row = step_row(session, member.id, 2)
    assert (row.status, row.started_on, row.completed_on) == ("not_started", None, None)


def test_the_current_step_moves_on_when_one_is_completed(session_factory, session, member):
    update(session_factory, member, 1, "in_progress")
    update(session_factory, member, 1, "completed")
    with session_factory.begin() as s:
        record = member_record(session=s, actor=member, member_id=member.id, purpose=None,
                               screen="Steps", now=NOW)
    assert record.current_step == 2


def test_going_back_clears_the_dates_that_no_longer_hold(session_factory, session, member):
    update(session_factory, member, 3, "in_progress")
    update(session_factory, member, 3, "completed", notes="done")
    assert update(session_factory, member, 3, "in_progress", notes="done") == (
        "in_progress", TODAY, None)
    assert update(session_factory, member, 3, "not_started") == ("not_started", None, None)


def test_notes_are_saved_and_limited(session_factory, session, member):
    update(session_factory, member, 4, "in_progress", notes="  Resentments list done.  ")
    assert step_row(session, member.id, 4).notes == "Resentments list done."
    update(session_factory, member, 4, "in_progress", notes="x" * 5_000)
    with pytest.raises(ValidationError) as error:
        update(session_factory, member, 4, "in_progress", notes="y" * 5_001)
    assert "5,000 characters" in error.value.for_field("notes")
    assert step_row(session, member.id, 4).notes == "x" * 5_000
    update(session_factory, member, 4, "in_progress", notes="   ")
    assert step_row(session, member.id, 4).notes is None


@pytest.mark.parametrize(("step", "status", "field"),
                         [(0, "in_progress", "step"), (13, "in_progress", "step"),
                          (5, "finished", "status")])
def test_unknown_steps_and_statuses_are_refused(session_factory, member, step, status, field):
    with pytest.raises(ValidationError) as error:
        update(session_factory, member, step, status)
    assert list(error.value.errors) == [field]


def test_each_change_is_audited_without_the_notes(session_factory, session, member):
    update(session_factory, member, 1, "in_progress", notes="my private words")
    update(session_factory, member, 1, "in_progress", notes="my private words")  # no change
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "step_updated")).all()
    # Neither the words nor the step and its status: those are the member's, not the log's.
    assert (event.actor_id, event.member_id, event.detail) == (member.id, member.id, None)


def test_dates_are_the_members_local_dates(session_factory, session):
    member = make_user(session, "kiri", "member", timezone_name="Pacific/Auckland")
    session.commit()
    late_evening_utc = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)  # 01:00 on the 27th
    assert update(session_factory, member, 1, "in_progress", now=late_evening_utc)[1] == date(
        2026, 11, 27)


def test_only_members_update_their_steps(session_factory, session):
    sponsor = make_user(session, "sam", "sponsor")
    session.commit()
    with pytest.raises(PermissionDenied):
        update(session_factory, sponsor, 1, "in_progress")
