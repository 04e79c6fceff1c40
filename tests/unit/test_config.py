from datetime import timedelta

import pytest

from dashboard.config import DEFAULT_DATABASE_URL, ConfigError, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert DEFAULT_DATABASE_URL.startswith("sqlite:///") and "/data/" in DEFAULT_DATABASE_URL
    assert settings.idle_timeout == timedelta(minutes=15)
    assert settings.absolute_timeout == timedelta(hours=12)
    assert (settings.lockout_attempts, settings.lockout_duration) == (5, timedelta(minutes=15))


def test_environment_overrides():
    settings = load_settings({"DATABASE_URL": "postgresql://x/y",
                              "DASHBOARD_IDLE_TIMEOUT_MINUTES": "5",
                              "DASHBOARD_SESSION_MAX_HOURS": "8"})
    assert settings.database_url == "postgresql://x/y"
    assert settings.idle_timeout == timedelta(minutes=5)
    assert settings.absolute_timeout == timedelta(hours=8)


@pytest.mark.parametrize("value", ["ten", "0", "-3", "1.5"])
def test_bad_numbers_are_named(value):
    with pytest.raises(ConfigError, match="DASHBOARD_IDLE_TIMEOUT_MINUTES"):
        load_settings({"DASHBOARD_IDLE_TIMEOUT_MINUTES": value})


def test_milestones_are_calendar_aware_and_configurable():
    assert load_settings({}).milestones == ((1, "d"), (30, "d"), (60, "d"), (90, "d"),
                                            (6, "m"), (9, "m"), (12, "m"), (18, "m"))
    custom = load_settings({"DASHBOARD_MILESTONES": " 2y, 7d ,12m,3M"}).milestones
    assert custom == ((7, "d"), (3, "m"), (12, "m"), (24, "m"))


@pytest.mark.parametrize("value", ["30", "30w", "0d", "-1m", "1d,,2d", "one year"])
def test_bad_milestones_are_named(value):
    with pytest.raises(ConfigError, match="DASHBOARD_MILESTONES"):
        load_settings({"DASHBOARD_MILESTONES": value})
