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
