"""Dates as people live them: a member's 'today' is a date in their own time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from models import utcnow


def local_today(tz_name: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(tz_name)).date()


def to_local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


def end_of_local_day(day: date, tz_name: str) -> datetime:
    """The UTC instant at which `day` ends in the given time zone."""
    next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(tz_name))
    return next_midnight.astimezone(timezone.utc)


def format_local(moment: datetime | None, tz_name: str) -> str:
    if moment is None:
        return ""
    return to_local(moment, tz_name).strftime("%Y-%m-%d %H:%M")


def last_local_day(end: datetime, tz_name: str) -> date:
    """The last local day an interval ending (exclusively) at `end` covers."""
    return (to_local(end, tz_name) - timedelta(microseconds=1)).date()


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"
