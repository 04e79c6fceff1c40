"""Configuration: the one module that reads the environment.

`settings()` builds the process's settings once and keeps them; every other module takes
them from there or as an argument. Tools and tests that run the app inside their own
process on settings of their own put them in force with `put_in_force`, never by writing
to the environment.
"""

from __future__ import annotations

import binascii
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'dashboard.db'}"
# Sobriety milestones, counted from the sobriety date in days (d), calendar months (m) or
# years (y): 24 hours, 30, 60 and 90 days, 6 and 9 months, 1 year and 18 months; after the
# last one, every whole year.
DEFAULT_MILESTONES = "1d,30d,60d,90d,6m,9m,1y,18m"
_MILESTONE_PART = re.compile(r"^\s*(\d+)\s*([dmy])\s*$")
# For ordering a schedule only: the calendar arithmetic is in dashboard.progress.
_APPROX_DAYS = {"d": 1.0, "m": 30.44}

# (count, unit) with unit "d" (days) or "m" (calendar months); years are kept as 12 months.
Milestone = tuple[int, str]

# Fernet keys of the notes encrypted at rest, newest first (see dashboard/encryption_keys.py).
ENCRYPTION_KEYS_ENV = "DASHBOARD_ENCRYPTION_KEYS"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class FlagThresholds:
    """The numbers the flag rules compare with (dashboard/flags.py)."""

    high_craving: int = 8
    low_mood_at_most: int = 2
    low_mood_count: int = 3
    low_mood_window: int = 5
    silent_days: int = 3
    craving_rise: float = 3.0
    craving_recent_days: int = 7
    craving_baseline_days: int = 28


_FLAG_THRESHOLD_ENV = {
    "DASHBOARD_FLAG_HIGH_CRAVING": ("high_craving", int),
    "DASHBOARD_FLAG_LOW_MOOD_AT_MOST": ("low_mood_at_most", int),
    "DASHBOARD_FLAG_LOW_MOOD_COUNT": ("low_mood_count", int),
    "DASHBOARD_FLAG_LOW_MOOD_WINDOW": ("low_mood_window", int),
    "DASHBOARD_FLAG_SILENT_DAYS": ("silent_days", int),
    "DASHBOARD_FLAG_CRAVING_RISE": ("craving_rise", float),
}
# The key of the audit trail's hash chain (dashboard/audit.py): at least 32 bytes, as many
# as the HMAC's output; a generated key file holds 64 hex digits.
AUDIT_SECRET_ENV = "DASHBOARD_SECRET_KEY"
MIN_AUDIT_SECRET_BYTES = 32


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    idle_timeout: timedelta = timedelta(minutes=15)
    absolute_timeout: timedelta = timedelta(hours=12)
    lockout_attempts: int = 5
    lockout_duration: timedelta = timedelta(minutes=15)
    # Milestones of continuous sobriety, shortest first; after the last, one every year.
    milestones: tuple[Milestone, ...] = field(
        default_factory=lambda: parse_milestones(DEFAULT_MILESTONES)
    )
    # From DASHBOARD_ENCRYPTION_KEYS; empty means the key file of an embedded SQLite
    # database (dashboard/encryption_keys.py). Kept out of repr: settings may end up in a log.
    encryption_keys: tuple[bytes, ...] = field(default=(), repr=False)
    # From DASHBOARD_SECRET_KEY; None means the key file of an embedded SQLite database
    # (dashboard/audit.py).
    audit_secret: bytes | None = field(default=None, repr=False)
    flag_thresholds: FlagThresholds = field(default_factory=FlagThresholds)


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


def parse_milestones(raw: str) -> tuple[Milestone, ...]:
    """A schedule such as "1d,30d,6m,1y" as (count, unit) pairs, shortest first."""
    milestones = set()
    for part in raw.split(","):
        match = _MILESTONE_PART.match(part.lower())
        if not match or int(match[1]) <= 0:
            raise ConfigError(
                "DASHBOARD_MILESTONES must be positive whole numbers with a unit, d (days), "
                f"m (months) or y (years), separated by commas, like 30d,6m,1y; not {raw!r}"
            )
        count, unit = int(match[1]), match[2]
        milestones.add((count * 12, "m") if unit == "y" else (count, unit))
    return tuple(sorted(milestones, key=lambda m: m[0] * _APPROX_DAYS[m[1]]))


def parse_encryption_keys(raw: str) -> tuple[bytes, ...]:
    """Fernet keys separated by commas, newest first; an error names a key's position only."""
    keys = tuple(dict.fromkeys(part.strip().encode() for part in raw.split(",") if part.strip()))
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            raise ConfigError(
                f"{ENCRYPTION_KEYS_ENV}: key {position} of {len(keys)} is not a Fernet key "
                "(44 characters of URL-safe base64, as Fernet.generate_key() makes)"
            ) from None
    return keys


def parse_audit_secret(raw: str) -> bytes | None:
    """The audit key of DASHBOARD_SECRET_KEY, None when unset; a short one is refused: with
    a key anyone can guess, anyone can recompute every HMAC of the trail."""
    secret = raw.strip().encode()
    if not secret:
        return None
    return check_audit_secret(secret, where=f"the environment variable {AUDIT_SECRET_ENV}")


def check_audit_secret(secret: bytes, *, where: str) -> bytes:
    """`secret` if it is long enough to key the trail; ConfigError otherwise."""
    if len(secret) < MIN_AUDIT_SECRET_BYTES:
        raise ConfigError(
            f"the audit key in {where} is {len(secret)} characters long; it must be at least "
            f"{MIN_AUDIT_SECRET_BYTES} (64 hex digits, as `python -c \"import secrets; "
            f"print(secrets.token_hex(32))\"` prints)")
    return secret


def parse_flag_thresholds(env: Mapping[str, str]) -> FlagThresholds:
    values = {}
    for name, (field_name, kind) in _FLAG_THRESHOLD_ENV.items():
        raw = env.get(name)
        if raw:
            try:
                values[field_name] = kind(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a number, not {raw!r}") from None
            if values[field_name] <= 0:
                raise ConfigError(f"{name} must be greater than zero")
    return FlagThresholds(**values)


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from `env`, a mapping of environment variables; checked in full, so that a
    wrong value stops the start with a message that names it."""
    milestones = parse_milestones(env.get("DASHBOARD_MILESTONES") or DEFAULT_MILESTONES)
    return Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        idle_timeout=timedelta(minutes=_positive_int(env, "DASHBOARD_IDLE_TIMEOUT_MINUTES", 15)),
        absolute_timeout=timedelta(hours=_positive_int(env, "DASHBOARD_SESSION_MAX_HOURS", 12)),
        lockout_attempts=_positive_int(env, "DASHBOARD_LOCKOUT_ATTEMPTS", 5),
        lockout_duration=timedelta(minutes=_positive_int(env, "DASHBOARD_LOCKOUT_MINUTES", 15)),
        milestones=milestones,
        encryption_keys=parse_encryption_keys(env.get(ENCRYPTION_KEYS_ENV) or ""),
        audit_secret=parse_audit_secret(env.get(AUDIT_SECRET_ENV) or ""),
        flag_thresholds=parse_flag_thresholds(env),
    )


_in_force: Settings | None = None
_lock = threading.Lock()


def settings() -> Settings:
    """The process's settings: read from the environment at the first call, then kept."""
    global _in_force
    with _lock:
        if _in_force is None:
            _in_force = load_settings(os.environ)
        return _in_force


def put_in_force(new: Settings | None) -> None:
    """Make `new` the process's settings, for a tool or a test that runs the app in its own
    process (the benchmark, AppTest); None reads the environment again at the next call."""
    global _in_force
    with _lock:
        _in_force = new
