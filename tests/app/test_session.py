"""dashboard/web/session.py: the watch that ends a session on time with nobody touching the
screen, and only looks (a screen left alone does not count as activity); before the idle
limit it warns, and "Stay logged in" keeps the session."""

from datetime import datetime, timedelta, timezone

import pytest
import streamlit
import time_machine
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard import clock
from dashboard.web import session as session_module
from dashboard.web.session import (
    AUTH_KEY,
    NOTICE_KEY,
    in_words,
    session_record,
    warning_lead,
    watch_interval,
)
from models import AuditEvent
from tests.app.conftest import no_exception, titles
from tests.factories import make_user


def _watch_script():
    """What the fragment runs on its timer, on its own (AppTest has no timer)."""
    from dashboard.web.session import watch_session_expiry

    watch_session_expiry("America/New_York")


def back_in_time(record: dict, *, idle: timedelta) -> dict:
    """A session record as it was `idle` ago on the monotonic clock."""
    record["logged_in_clock"] -= idle.total_seconds()
    record["last_seen_clock"] -= idle.total_seconds()
    return record


def watched(actor, *, idle: timedelta) -> AppTest:
    at = AppTest.from_function(_watch_script, default_timeout=30)
    at.session_state[AUTH_KEY] = back_in_time(session_record(actor.id), idle=idle)
    return at


def logouts(app_db) -> list[str]:
    with app_db() as session:
        return list(session.scalars(select(AuditEvent.detail)
                                    .where(AuditEvent.action == "logout")))


def test_the_watch_leaves_a_session_within_its_limit_as_it_was(app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
    at = watched(maria, idle=timedelta(minutes=14, seconds=59))
    seen = at.session_state[AUTH_KEY]["last_seen_clock"]
    no_exception(at.run())
    # Still logged in, and the look did not count as activity.
    assert at.session_state[AUTH_KEY]["last_seen_clock"] == seen
    assert logouts(app_db) == []


def test_the_watch_ends_an_idle_session_without_a_click(app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
    at = no_exception(watched(maria, idle=timedelta(minutes=15)).run())
    assert AUTH_KEY not in at.session_state
    assert "15 minutes without activity" in at.session_state[NOTICE_KEY]
    assert logouts(app_db) == ["session timed out"]


def test_the_watch_ends_a_session_at_its_absolute_limit(app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
    at = watched(maria, idle=timedelta(0))
    at.session_state[AUTH_KEY]["logged_in_clock"] -= timedelta(hours=12).total_seconds()
    no_exception(at.run())
    assert AUTH_KEY not in at.session_state
    assert "12 hours" in at.session_state[NOTICE_KEY]


def test_the_app_draws_the_watch_and_an_expired_session_shows_the_login_only(
        new_app, app_db, monkeypatch):
    timers, fragment = [], streamlit.fragment

    def recording_fragment(func, *, run_every=None):
        timers.append((func.__name__, run_every))
        return fragment(func, run_every=run_every)

    monkeypatch.setattr(session_module.st, "fragment", recording_fragment)
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
    at = no_exception(new_app(maria).run())
    assert titles(at) == ["Today"]
    # The run drew the watch on its timer, which looked and kept the session.
    assert timers == [("_expiry_watch", timedelta(seconds=30))]
    assert AUTH_KEY in at.session_state
    at.session_state[AUTH_KEY]["last_seen_clock"] -= timedelta(minutes=15).total_seconds()
    no_exception(at.run())
    assert titles(at) == ["Log in"]
    assert "Maria Garcia" not in str([m.value for m in at.markdown])
    assert not at.sidebar.button


def test_the_watch_looks_often_enough_to_clear_the_screen_within_a_minute():
    assert watch_interval(timedelta(minutes=15)) == timedelta(seconds=30)
    assert watch_interval(timedelta(minutes=2)) == timedelta(seconds=15)
    # And to warn soon enough that 20 seconds or more are left to answer.
    assert watch_interval(timedelta(minutes=1)) == timedelta(seconds=7.5)
    assert watch_interval(timedelta(seconds=8)) == timedelta(seconds=5)


def test_the_warning_comes_two_minutes_before_the_limit_or_at_half_a_short_one():
    assert warning_lead(timedelta(minutes=15)) == timedelta(minutes=2)
    assert warning_lead(timedelta(minutes=4)) == timedelta(minutes=2)
    assert warning_lead(timedelta(minutes=3)) == timedelta(seconds=90)
    assert warning_lead(timedelta(minutes=1)) == timedelta(seconds=30)
    for limit in (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=15)):
        assert warning_lead(limit) - watch_interval(limit) >= timedelta(seconds=20)


def test_the_time_left_in_words():
    assert in_words(timedelta(minutes=2)) == "2 minutes"
    assert in_words(timedelta(seconds=110)) == "2 minutes"
    assert in_words(timedelta(seconds=75)) == "1 minute"
    assert in_words(timedelta(seconds=30)) == "30 seconds"
    assert in_words(timedelta(seconds=-1)) == "0 seconds"


# 14:00:30 in New York, a winter day: the session of the tests below ends at 14:02.
WALL_CLOCK = datetime(2026, 12, 3, 19, 0, 30, tzinfo=timezone.utc)


def warning_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_no_warning_before_its_time(app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", timezone_name="America/New_York")
    at = no_exception(watched(maria, idle=timedelta(minutes=12, seconds=50)).run())
    assert not at.button
    assert "logged out" not in warning_text(at)


def test_the_warning_says_when_the_session_ends_and_stay_logged_in_keeps_it(app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", timezone_name="America/New_York")
    with time_machine.travel(WALL_CLOCK, tick=False):
        at = no_exception(watched(maria, idle=timedelta(minutes=13)).run())
    seen = at.session_state[AUTH_KEY]["last_seen_clock"]
    assert "you will be logged out at 14:02, in about 2 minutes" in warning_text(at)
    assert [b.label for b in at.button] == ["Stay logged in", "Log out now"]
    # Warning is looking only: no activity yet, and the session goes on.
    assert AUTH_KEY in at.session_state and logouts(app_db) == []

    no_exception(at.button[0].click().run())
    assert AUTH_KEY in at.session_state and logouts(app_db) == []
    assert at.session_state[AUTH_KEY]["last_seen_clock"] > seen


def test_stay_logged_in_pressed_after_the_limit_ends_the_session(app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
    at = no_exception(watched(maria, idle=timedelta(minutes=13)).run())
    back_in_time(at.session_state[AUTH_KEY], idle=timedelta(minutes=2))
    no_exception(at.button[0].click().run())
    assert AUTH_KEY not in at.session_state
    assert "15 minutes without activity" in at.session_state[NOTICE_KEY]
    assert logouts(app_db) == ["session timed out"]


def test_log_out_now_from_the_warning(app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
    at = no_exception(watched(maria, idle=timedelta(minutes=14)).run())
    no_exception(at.button[1].click().run())
    assert AUTH_KEY not in at.session_state
    assert logouts(app_db) == ["logged out"]


@pytest.mark.parametrize("step", [timedelta(hours=13), -timedelta(hours=13)])
def test_a_step_of_the_wall_clock_neither_ends_nor_stretches_a_session(
        new_app, app_db, monkeypatch, step):
    """Session limits count on the monotonic clock: a wall clock set 13 hours forward does
    not end a session a minute old, and one set back does not keep an idle one open."""
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
    reading = clock.elapsed_seconds()
    monkeypatch.setattr(clock, "elapsed_seconds", lambda: reading)
    at = new_app(maria)
    back_in_time(at.session_state[AUTH_KEY], idle=timedelta(minutes=1))
    with time_machine.travel(clock.now() + step, tick=True):
        no_exception(at.run())
        assert titles(at) == ["Today"]
        back_in_time(at.session_state[AUTH_KEY], idle=timedelta(minutes=15))
        no_exception(at.run())
        assert titles(at) == ["Log in"]
