"""Pure calculations of a member's progress: sobriety time, milestones and check-in streaks.

Dates here are the member's local calendar dates. Months are calendar months: a
milestone or a breakdown that lands on a day the month lacks (the 31st, or 29 February)
falls on the last day of that month instead.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dashboard.config import Milestone as MilestoneSpec


def sobriety_days(sobriety_date: date, today: date) -> int:
    """Whole days sober: 0 on the sobriety date itself, never negative."""
    return max(0, (today - sobriety_date).days)


def sobriety_date_after_use(sobriety_date: date, used_on: date) -> date:
    """The sobriety date once use on `used_on` is counted: the day after, unless already later."""
    return max(sobriety_date, used_on + timedelta(days=1))


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day if it is shorter."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Duration:
    years: int
    months: int
    days: int

    def __str__(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
        return ", ".join(words) if words else "0 days"


def sobriety_duration(sobriety_date: date, today: date) -> Duration:
    """Time sober in calendar years, months and days (zero before the sobriety date).

    The largest number of whole months m with add_months(sobriety_date, m) <= today,
    then the days left over; so on the 1-year milestone this is exactly 1 year.
    """
    if today <= sobriety_date:
        return Duration(0, 0, 0)
    months = (today.year - sobriety_date.year) * 12 + today.month - sobriety_date.month
    if add_months(sobriety_date, months) > today:
        months -= 1
    days = (today - add_months(sobriety_date, months)).days
    return Duration(months // 12, months % 12, days)


@dataclass(frozen=True)
class Milestone:
    label: str
    on: date


def milestone_label(spec: MilestoneSpec) -> str:
    count, unit = spec
    if unit == "d":
        return "24 hours" if count == 1 else f"{count} days"
    if count % 12 == 0:
        years = count // 12
        return f"{years} year{'' if years == 1 else 's'}"
    return f"{count} months"


def milestone_date(sobriety_date: date, spec: MilestoneSpec) -> date:
    count, unit = spec
    if unit == "d":
        return sobriety_date + timedelta(days=count)
    return add_months(sobriety_date, count)


def milestones(sobriety_date: date, schedule: Sequence[MilestoneSpec]) -> Iterator[Milestone]:
    """Every milestone in date order: the schedule, then each whole year after its last one."""
    configured = sorted(
        (Milestone(milestone_label(spec), milestone_date(sobriety_date, spec))
         for spec in schedule),
        key=lambda m: m.on,
    )
    yield from configured
    longest = max((count if unit == "m" else 0 for count, unit in schedule), default=0)
    last = configured[-1].on if configured else sobriety_date
    years = longest // 12 + 1
    while True:
        spec = (years * 12, "m")
        on = milestone_date(sobriety_date, spec)
        if on > last:
            yield Milestone(milestone_label(spec), on)
        years += 1


def next_milestone(sobriety_date: date, today: date,
                   schedule: Sequence[MilestoneSpec]) -> Milestone:
    """The first milestone after today (today's own milestone is `milestone_on`'s)."""
    return next(m for m in milestones(sobriety_date, schedule) if m.on > today)


def milestone_on(sobriety_date: date, day: date,
                 schedule: Sequence[MilestoneSpec]) -> Milestone | None:
    """The milestone that falls on `day`, if one does."""
    for milestone in milestones(sobriety_date, schedule):
        if milestone.on >= day:
            return milestone if milestone.on == day else None
    return None  # pragma: no cover - the schedule is endless


def milestones_between(sobriety_date: date, start: date, end: date,
                       schedule: Sequence[MilestoneSpec]) -> list[Milestone]:
    """Milestones from `start` to `end`, both included (a week's celebrations)."""
    found = []
    for milestone in milestones(sobriety_date, schedule):
        if milestone.on > end:
            return found
        if milestone.on >= start:
            found.append(milestone)
    return found  # pragma: no cover - the schedule is endless


def checkin_streak(checkin_dates: Iterable[date], today: date) -> int:
    """Consecutive days with a check-in, ending today or, if today has none yet, yesterday."""
    days = set(checkin_dates)
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def longest_streak(checkin_dates: Iterable[date]) -> int:
    """The longest run of consecutive days with a check-in."""
    days = set(checkin_dates)
    longest = 0
    for day in days:
        if day - timedelta(days=1) in days:
            continue  # not the first day of a run
        length = 1
        while day + timedelta(days=length) in days:
            length += 1
        longest = max(longest, length)
    return longest
