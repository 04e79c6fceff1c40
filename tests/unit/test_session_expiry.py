from datetime import datetime, timedelta, timezone

from dashboard.auth import session_expiry_reason
from dashboard.config import Settings

LOGIN = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)


def reason(last_seen_after, now_after, settings=Settings()):
    return session_expiry_reason(logged_in_at=LOGIN, last_seen_at=LOGIN + last_seen_after,
                                 settings=settings, now=LOGIN + now_after)


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
