"""How fast logins may be tried (dashboard/login_throttle.py)."""

from datetime import datetime, timedelta, timezone

from dashboard.login_throttle import Limit, LoginThrottle

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def throttle() -> LoginThrottle:
    return LoginThrottle(per_address=Limit(3, timedelta(minutes=10)),
                         per_username=Limit(2, timedelta(minutes=1)))


def test_one_username_is_slowed_whatever_the_address():
    limiter = throttle()
    assert limiter.attempt(address="10.0.0.1", username="ana", now=NOW) is None
    assert limiter.attempt(address="10.0.0.2", username="ana", now=NOW) is None
    assert limiter.attempt(address="10.0.0.3", username="ana",
                           now=NOW + timedelta(seconds=20)) == timedelta(seconds=40)
    assert limiter.attempt(address=None, username="ben", now=NOW) is None
    # Refused attempts do not push the wait further: a minute after the first, one more.
    assert limiter.attempt(address=None, username="ana", now=NOW + timedelta(minutes=1)) is None


def test_failures_from_one_address_stop_it_trying_other_accounts():
    limiter = throttle()
    for n in range(3):
        assert limiter.attempt(address="10.0.0.9", username=f"user{n}", now=NOW) is None
        limiter.failed(address="10.0.0.9", now=NOW)
    assert limiter.attempt(address="10.0.0.9", username="someone", now=NOW) == timedelta(
        minutes=10)
    assert limiter.attempt(address="10.0.0.8", username="someone", now=NOW) is None
    assert limiter.attempt(address="10.0.0.9", username="someone",
                           now=NOW + timedelta(minutes=10)) is None


def test_successes_from_a_shared_address_do_not_count():
    limiter = throttle()
    for n in range(10):
        assert limiter.attempt(address="10.0.0.1", username=f"staff{n}", now=NOW) is None
