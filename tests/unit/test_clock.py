"""dashboard/clock.py: a wall clock that goes back is logged, and the durations of a
session come from the monotonic clock."""

import logging
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from dashboard import clock

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def fresh_watch():
    clock.forget_latest()
    yield
    clock.forget_latest()


def test_a_wall_clock_that_steps_back_is_logged(caplog):
    with time_machine.travel(NOON, tick=False) as traveller:
        assert clock.now() == NOON
        traveller.move_to(NOON - timedelta(hours=1))
        with caplog.at_level(logging.WARNING, logger="dashboard.clock"):
            assert clock.now() == NOON - timedelta(hours=1)
    [record] = caplog.records
    assert "went back by 1:00:00" in record.getMessage()
    assert "revocations and session limits do not depend on it" in record.getMessage()


def test_a_clock_that_goes_forward_or_jitters_is_not_logged(caplog):
    with time_machine.travel(NOON, tick=False) as traveller, \
            caplog.at_level(logging.WARNING, logger="dashboard.clock"):
        clock.now()
        traveller.shift(timedelta(minutes=5))
        clock.now()
        traveller.shift(-timedelta(milliseconds=500))
        clock.now()
    assert caplog.records == []


def test_a_step_back_is_logged_once_not_at_every_read(caplog):
    with time_machine.travel(NOON, tick=False) as traveller, \
            caplog.at_level(logging.WARNING, logger="dashboard.clock"):
        clock.now()
        traveller.move_to(NOON - timedelta(hours=1))
        clock.now()
        clock.now()
        traveller.shift(timedelta(minutes=1))
        clock.now()
    assert len(caplog.records) == 1
