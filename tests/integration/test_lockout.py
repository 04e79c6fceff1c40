"""The one lockout rule (dashboard/lockout.py): counted, locked, lifted and worded the same
for passwords and second-factor codes."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from dashboard.auth import log_in
from dashboard.config import Settings
from dashboard.lockout import (
    count_failure,
    is_locked,
    lockout_minutes,
    minutes_left,
    unlock,
)
from models import AuditEvent, User
from models.db import make_session_factory
from tests.factories import NOW, PASSWORD, make_user

SETTINGS = Settings(lockout_attempts=3, lockout_duration=timedelta(minutes=10))


def locked_events(session, user_id) -> int:
    return len(session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id == user_id, AuditEvent.action == "account_locked")).all())


def test_the_last_allowed_failure_locks_once_and_is_audited(session):
    user = session.get(User, make_user(session, "ana", "member").id)
    assert [count_failure(session, user, settings=SETTINGS, now=NOW, failures="failed logins")
            for _ in range(3)] == [False, False, True]
    assert user.locked_until == NOW + timedelta(minutes=10) and user.failed_logins == 0
    assert locked_events(session, user.id) == 1
    assert is_locked(user, NOW + timedelta(minutes=9, seconds=59))


def test_a_lock_that_ran_out_is_lifted_with_its_count(session):
    user = session.get(User, make_user(session, "ana", "member").id)
    count_failure(session, user, settings=SETTINGS, now=NOW, failures="failed logins")
    user.locked_until = NOW
    assert not is_locked(user, NOW)
    assert (user.locked_until, user.failed_logins) == (None, 0)


def test_minutes_are_worded_one_way_and_rounded_up(session):
    user = session.get(User, make_user(session, "ana", "member").id)
    user.locked_until = NOW + timedelta(seconds=61)
    assert minutes_left(user, NOW) == "2 minutes"
    assert minutes_left(user, NOW + timedelta(seconds=30)) == "1 minute"
    assert lockout_minutes(SETTINGS) == "10 minutes"
    unlock(user)
    assert not is_locked(user, NOW)


def test_simultaneous_wrong_passwords_lock_the_account_on_postgresql(postgresql_engine):
    """30 wrong passwords at once used to leave failed_logins=1 and no lock, and the right
    password was then accepted: each read the row, added 1 in Python and wrote it back."""
    sessions = make_session_factory(postgresql_engine)
    with sessions.begin() as session:
        make_user(session, "ana", "member")
    settings = Settings(lockout_attempts=5, lockout_duration=timedelta(minutes=15))
    start = threading.Barrier(30)

    def wrong_password() -> bool:
        start.wait()
        with sessions.begin() as session:
            return log_in(session=session, username="ana", password="a wrong guess",
                          settings=settings, now=NOW).ok

    with ThreadPoolExecutor(max_workers=30) as pool:
        assert not any(pool.map(lambda _: wrong_password(), range(30)))
    with sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == "ana"))
        assert user.locked_until == NOW + timedelta(minutes=15)
        assert locked_events(session, user.id) >= 1
        assert not log_in(session=session, username="ana", password=PASSWORD,
                          settings=settings, now=NOW + timedelta(minutes=1)).ok
