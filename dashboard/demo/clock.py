"""The demo's now (the moment it loads) and, per time zone, the local days it covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dashboard.timeutil import local_today, start_of_local_day


@dataclass(frozen=True)
class Window:
    """One time zone's days of the demo: the `days` local days up to its own today (the day
    that has begun there at the demo's now), with each one's local midnight in UTC."""

    start: date
    today: date
    days: list[date]
    midnights: list[datetime]

    def index(self, day: date) -> int:
        return (day - self.start).days


class Clock:
    """The demo's now (the moment it loads) and, per time zone, the window of days that have
    begun there by then.

    Windows and midnights are computed once per time zone and day: a zoneinfo conversion
    per check-in would dominate the generation time.
    """

    def __init__(self, *, now: datetime, days: int):
        self.now = now
        self.days = days
        self._windows: dict[str, Window] = {}
        self._midnights: dict[tuple[str, date], datetime] = {}

    def window(self, tz_name: str) -> Window:
        found = self._windows.get(tz_name)
        if found is None:
            today = local_today(tz_name, self.now)
            start = today - timedelta(days=self.days - 1)
            days = [start + timedelta(days=i) for i in range(self.days)]
            found = Window(start, today, days, [self.midnight(tz_name, day) for day in days])
            self._windows[tz_name] = found
        return found

    def midnight(self, tz_name: str, day: date) -> datetime:
        key = (tz_name, day)
        found = self._midnights.get(key)
        if found is None:
            found = start_of_local_day(day, tz_name)
            self._midnights[key] = found
        return found

    def local_time(self, tz_name: str, day: date, seconds: float) -> datetime:
        """A moment `seconds` after local midnight of `day`, never after the demo's now."""
        moment = self.midnight(tz_name, day) + timedelta(seconds=seconds)
        return moment if moment <= self.now else self.now
