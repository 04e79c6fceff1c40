"""Instants at which dates are easy to get wrong, for tests and for CI.

tests/integration/test_hard_instants.py takes the date-sensitive functions through every
one of them; `.ci/run` runs the suite a second time with the clock moved to one of them
(TEST_NOW), another each day of the year:

    python -m tests.hard_instants 2026-12-02    # prints that day's instant
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


HARD_INSTANTS: dict[str, datetime] = {
    # The first of a month at 00:30 UTC: UTC-8 (Los Angeles) is still on the last day of the
    # month before.
    "first of a month, 00:30 UTC": _utc(2026, 12, 1, 0, 30),
    # 31 December at 23:30 UTC: UTC+13 (Auckland in summer) is already in the new year.
    "New Year's Eve, 23:30 UTC": _utc(2026, 12, 31, 23, 30),
    "29 February": _utc(2028, 2, 29, 12, 0),
    # New York springs forward at 07:00 UTC (02:00 EST becomes 03:00 EDT) and falls back at
    # 06:00 UTC (02:00 EDT becomes 01:00 EST): half an hour after each change.
    "New York springs forward": _utc(2027, 3, 14, 7, 30),
    "New York falls back": _utc(2026, 11, 1, 6, 30),
    # Auckland springs forward at 14:00 UTC on the last Saturday of September (02:00 NZST
    # becomes 03:00 NZDT, on Sunday) and falls back at 14:00 UTC on the first Saturday of
    # April (03:00 NZDT becomes 02:00 NZST).
    "Auckland springs forward": _utc(2026, 9, 26, 14, 30),
    "Auckland falls back": _utc(2027, 4, 3, 14, 30),
    # ISO week 53: 2026-W53 runs from Monday 28 December 2026 to Sunday 3 January 2027.
    "ISO week 53": _utc(2027, 1, 1, 9, 0),
}


def instant_for(day: date) -> tuple[str, datetime]:
    """The hard instant of a day of the year: each day of the year tries the next one."""
    names = list(HARD_INSTANTS)
    name = names[day.timetuple().tm_yday % len(names)]
    return name, HARD_INSTANTS[name]


if __name__ == "__main__":
    day = date.fromisoformat(sys.argv[1]) if len(sys.argv) > 1 else date.today()
    name, instant = instant_for(day)
    print(f"{instant.isoformat()} {name}")
