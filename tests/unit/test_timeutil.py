"""The one way the app writes days and moments."""

from datetime import date, datetime, timezone

import pytest

from dashboard.timeutil import day_label, day_range_label, moment_label, on_day

THURSDAY = date(2026, 12, 3)


@pytest.mark.parametrize(("options", "expected"), [
    ({}, "3 December 2026"),
    ({"weekday": True}, "Thursday 3 December 2026"),
    ({"weekday": True, "short": True}, "Thu 3 Dec 2026"),
    ({"short": True}, "3 Dec 2026"),
    # The reader's year is left out; today and its neighbours have their names.
    ({"today": date(2026, 12, 20), "weekday": True}, "Thursday 3 December"),
    ({"today": date(2027, 1, 2), "weekday": True, "short": True}, "Thu 3 Dec 2026"),
    ({"today": THURSDAY}, "today"),
    ({"today": date(2026, 12, 4)}, "yesterday"),
    ({"today": date(2026, 12, 2)}, "tomorrow"),
    ({"today": THURSDAY, "relative": False, "weekday": True}, "Thursday 3 December"),
])
def test_day_label(options, expected):
    assert day_label(THURSDAY, **options) == expected


def test_single_digit_days_are_never_padded():
    assert day_label(date(2026, 12, 1), weekday=True) == "Tuesday 1 December 2026"
    assert day_label(date(2027, 12, 2)) == "2 December 2027"


@pytest.mark.parametrize(("day", "expected"), [
    (THURSDAY, "today"),
    (date(2026, 12, 2), "yesterday"),
    (date(2026, 11, 30), "on Monday 30 November"),
])
def test_on_day_follows_a_verb(day, expected):
    assert on_day(day, today=THURSDAY) == expected


@pytest.mark.parametrize(("start", "end", "today", "expected"), [
    (date(2026, 11, 23), date(2026, 11, 29), THURSDAY, "23 to 29 Nov"),
    (date(2026, 11, 30), date(2026, 12, 6), THURSDAY, "30 Nov to 6 Dec"),
    (date(2026, 12, 28), date(2027, 1, 3), THURSDAY, "28 Dec 2026 to 3 Jan 2027"),
    (date(2025, 11, 24), date(2025, 11, 30), THURSDAY, "24 to 30 Nov 2025"),
    (date(2026, 11, 23), date(2026, 11, 29), None, "23 to 29 Nov 2026"),
])
def test_day_range_label(start, end, today, expected):
    assert day_range_label(start, end, today=today) == expected


def test_moment_label_is_in_the_viewers_zone_and_says_today_where_it_helps():
    moment = datetime(2026, 12, 3, 4, 5, tzinfo=timezone.utc)
    assert moment_label(moment, "UTC") == "Thu 3 Dec 2026, 04:05"
    assert moment_label(moment, "America/Los_Angeles") == "Wed 2 Dec 2026, 20:05"
    later = datetime(2026, 12, 3, 18, 0, tzinfo=timezone.utc)
    assert moment_label(moment, "UTC", now=later) == "today, 04:05"
    assert moment_label(moment, "America/Los_Angeles", now=later) == "yesterday, 20:05"
    assert moment_label(moment, "UTC", now=datetime(2026, 12, 9, tzinfo=timezone.utc)) == (
        "Thu 3 Dec, 04:05")
    assert moment_label(None, "UTC") == ""
