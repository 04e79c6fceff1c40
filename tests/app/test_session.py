"""dashboard/web/session.py: the watch that ends a session on time with nobody touching the
screen, and only looks (a screen left alone does not count as activity)."""

from datetime import timedelta

import pytest
import streamlit
import time_machine
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard import clock
from dashboard.web import session as session_module
from dashboard.web.session import AUTH_KEY, NOTICE_KEY, session_record, watch_interval
from models import AuditEvent
from tests.app.conftest import no_exception, titles
from tests.factories import make_user


def _watch_script():
    """What the fragment runs on its timer, on its own (AppTest has no timer)."""
    from dashboard.web.session import watch_session_expiry

    watch_session_expiry()


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
    assert watch_interval(timedelta(minutes=1)) == timedelta(seconds=15)
    assert watch_interval(timedelta(seconds=8)) == timedelta(seconds=5)


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
