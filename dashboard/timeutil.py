"""Dates as people live them, and the one way the app writes them.

A member's "today" is a date in their own time zone; a moment is shown in the viewer's.
`day_label` writes every day and `moment_label` every moment the app shows, in one style:
"Wednesday 2 December 2026", "Wed 2 Dec", "yesterday, 14:05". Date fields, table columns
and charts use the matching formats below.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# The date fields' format (st.date_input): the same everywhere, and unambiguous on both
# sides of the Atlantic.
DATE_INPUT_FORMAT = "YYYY-MM-DD"
# Table columns of days: `day_label(..., short=True, weekday=True)` in momentJS tokens
# (Streamlit's column formats), so that a table keeps sorting by date and still reads like
# the rest of the app.
DAY_COLUMN_FORMAT = "ddd D MMM YYYY"
# Charts' date axes and hover labels, in d3 tokens (Plotly's): "8 Nov", "Sun 8 Nov".
CHART_DAY_FORMAT = "%-d %b"
CHART_WEEKDAY_FORMAT = "%a %-d %b"

_RELATIVE = {0: "today", -1: "yesterday", 1: "tomorrow"}


def local_today(tz_name: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz_name)).date()


def to_local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


def end_of_local_day(day: date, tz_name: str) -> datetime:
    """The UTC instant at which `day` ends in the given time zone."""
    next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(tz_name))
    return next_midnight.astimezone(timezone.utc)


def start_of_local_day(day: date, tz_name: str) -> datetime:
    """The UTC instant at which `day` begins in the given time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name)).astimezone(timezone.utc)


def last_local_day(end: datetime, tz_name: str) -> date:
    """The last local day an interval ending (exclusively) at `end` covers."""
    return (to_local(end, tz_name) - timedelta(microseconds=1)).date()


def day_label(day: date, *, today: date | None = None, weekday: bool = False,
              short: bool = False, relative: bool = True) -> str:
    """A day as people write it: "2 December 2026", with `weekday` "Wednesday 2 December
    2026", `short` "Wed 2 Dec 2026".

    Given the reader's `today`, the year is left out when it is this year's, and (unless
    `relative` is False) today, yesterday and tomorrow are called so.
    """
    if today is not None and relative and (day - today).days in _RELATIVE:
        return _RELATIVE[(day - today).days]
    month = f"{day:%b}" if short else f"{day:%B}"
    text = f"{day.day} {month}"
    if today is None or day.year != today.year:
        text += f" {day.year}"
    if weekday:
        text = f"{day:%a} {text}" if short else f"{day:%A} {text}"
    return text


def on_day(day: date, *, today: date, weekday: bool = True, short: bool = False) -> str:
    """A day to follow a verb: "today", "yesterday", or "on Monday 30 November"."""
    label = day_label(day, today=today, weekday=weekday, short=short)
    return label if label in _RELATIVE.values() else f"on {label}"


def day_range_label(start: date, end: date, *, today: date | None = None) -> str:
    """Days from `start` to `end`, short: "23 to 29 Nov", "30 Nov to 6 Dec", "28 Dec 2026
    to 3 Jan 2027"; the year as `day_label` has it, once when both days share it."""
    if start.year != end.year:
        return f"{day_label(start, short=True)} to {day_label(end, short=True)}"
    year = "" if today is not None and end.year == today.year else f" {end.year}"
    if start.month == end.month:
        return f"{start.day} to {end.day} {end:%b}{year}"
    return f"{start.day} {start:%b} to {end.day} {end:%b}{year}"


def moment_label(moment: datetime | None, tz_name: str, *, now: datetime | None = None) -> str:
    """A moment in the viewer's time zone: "Wed 2 Dec 2026, 14:05"; given `now`, "today,
    14:05", "yesterday, 09:12" or "Mon 30 Nov, 10:02" (the year only when not this one).
    Empty for None (nothing happened)."""
    if moment is None:
        return ""
    local = to_local(moment, tz_name)
    today = local_today(tz_name, now) if now is not None else None
    return f"{day_label(local.date(), today=today, weekday=True, short=True)}, {local:%H:%M}"
