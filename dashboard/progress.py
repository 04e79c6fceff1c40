"""Pure calculations of a member's progress: sobriety days and check-in streaks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def sobriety_days(sobriety_date: date, today: date) -> int:
    """Whole days sober: 0 on the sobriety date itself, never negative."""
    return max(0, (today - sobriety_date).days)


def checkin_streak(checkin_dates: Iterable[date], today: date) -> int:
    """Consecutive days with a check-in, ending today or, if today has none yet, yesterday."""
    days = set(checkin_dates)
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak
