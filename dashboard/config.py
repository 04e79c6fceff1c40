"""Configuration, read from the environment once per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'dashboard.db'}"
DEFAULT_MILESTONE_DAYS = (1, 30, 60, 90, 182, 273, 365, 547)


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    idle_timeout: timedelta = timedelta(minutes=15)
    absolute_timeout: timedelta = timedelta(hours=12)
    lockout_attempts: int = 5
    lockout_duration: timedelta = timedelta(minutes=15)
    # Milestones in days of continuous sobriety; after the last, one every year.
    milestone_days: tuple[int, ...] = field(default=DEFAULT_MILESTONE_DAYS)


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, not {value}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    milestones_raw = env.get("DASHBOARD_MILESTONE_DAYS")
    milestones = DEFAULT_MILESTONE_DAYS
    if milestones_raw:
        try:
            milestones = tuple(sorted({int(part) for part in milestones_raw.split(",")}))
        except ValueError:
            raise ConfigError(
                "DASHBOARD_MILESTONE_DAYS must be whole numbers separated by commas"
            ) from None
        if not milestones or milestones[0] <= 0:
            raise ConfigError("DASHBOARD_MILESTONE_DAYS must hold positive numbers of days")
    return Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        idle_timeout=timedelta(minutes=_positive_int(env, "DASHBOARD_IDLE_TIMEOUT_MINUTES", 15)),
        absolute_timeout=timedelta(hours=_positive_int(env, "DASHBOARD_SESSION_MAX_HOURS", 12)),
        lockout_attempts=_positive_int(env, "DASHBOARD_LOCKOUT_ATTEMPTS", 5),
        lockout_duration=timedelta(minutes=_positive_int(env, "DASHBOARD_LOCKOUT_MINUTES", 15)),
        milestone_days=milestones,
    )
