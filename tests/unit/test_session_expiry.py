from datetime import timedelta

from dashboard.auth import session_expiry_reason
from dashboard.config import Settings


def reason(last_seen_after, now_after, settings=Settings()):
    """Logged in at 0, last active at `last_seen_after`, checked at `now_after`."""
    return session_expiry_reason(age=now_after, idle=now_after - last_seen_after,
                                 settings=settings)


def test_active_session_stays():
    assert reason(timedelta(minutes=10), timedelta(minutes=24, seconds=59)) is None


def test_idle_timeout_after_fifteen_minutes():
    assert "15 minutes" in reason(timedelta(minutes=10), timedelta(minutes=25))


def test_absolute_timeout_after_twelve_hours_even_when_active():
    assert reason(timedelta(hours=11, minutes=59), timedelta(hours=11, minutes=59, seconds=59)) is None
    assert "12 hours" in reason(timedelta(hours=11, minutes=59), timedelta(hours=12))


def test_timeouts_are_configurable():
    settings = Settings(idle_timeout=timedelta(minutes=5), absolute_timeout=timedelta(hours=1))
    assert "5 minutes" in reason(timedelta(0), timedelta(minutes=5), settings)
    assert "1 hours" in reason(timedelta(minutes=58), timedelta(hours=1), settings)


def test_a_clock_that_runs_backwards_ends_the_session():
    """Durations come from the monotonic clock; a negative one means a clock that is not,
    and in doubt the session ends."""
    assert reason(timedelta(minutes=1), timedelta(seconds=30)) is not None
    assert reason(timedelta(0), timedelta(seconds=-1)) is not None
