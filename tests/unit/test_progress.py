from datetime import date, timedelta
from itertools import islice

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.config import DEFAULT_MILESTONES, parse_milestones
from dashboard.progress import (
    Duration,
    add_months,
    checkin_streak,
    longest_streak,
    milestone_on,
    milestones,
    milestones_between,
    next_milestone,
    sobriety_date_after_use,
    sobriety_days,
    sobriety_duration,
)

SCHEDULE = parse_milestones(DEFAULT_MILESTONES)
# A span with several leap days (2000, 2004, ... 2028) and a century year that is one.
DAYS = st.dates(min_value=date(1999, 1, 1), max_value=date(2030, 12, 31))


def test_sobriety_days_counts_whole_days():
    assert sobriety_days(date(2026, 1, 1), date(2026, 1, 1)) == 0
    assert sobriety_days(date(2026, 1, 1), date(2026, 1, 31)) == 30
    assert sobriety_days(date(2027, 1, 1), date(2026, 1, 31)) == 0
    assert sobriety_days(date(2024, 2, 28), date(2024, 3, 1)) == 2  # through 29 February


def test_streak_counts_back_from_today_or_yesterday():
    today = date(2026, 11, 26)
    days = [today - timedelta(days=n) for n in (0, 1, 2, 4)]
    assert checkin_streak(days, today) == 3
    assert checkin_streak(days[1:], today) == 2  # today not yet done: the streak is still alive
    assert checkin_streak([today - timedelta(days=2)], today) == 0
    assert checkin_streak([], today) == 0


def test_use_moves_the_sobriety_date_to_the_next_day_never_back():
    assert sobriety_date_after_use(date(2026, 1, 1), date(2026, 3, 4)) == date(2026, 3, 5)
    assert sobriety_date_after_use(date(2026, 5, 1), date(2026, 3, 4)) == date(2026, 5, 1)
    assert sobriety_date_after_use(date(2024, 2, 28), date(2024, 2, 28)) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("sober_since", "today", "expected", "text"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), Duration(0, 0, 0), "0 days"),
        (date(2025, 3, 14), date(2026, 3, 14), Duration(1, 0, 0), "1 year"),
        (date(2025, 3, 14), date(2026, 5, 16), Duration(1, 2, 2), "1 year, 2 months, 2 days"),
        (date(2024, 2, 29), date(2025, 2, 28), Duration(1, 0, 0), "1 year"),
        (date(2024, 2, 29), date(2025, 3, 1), Duration(1, 0, 1), "1 year, 1 day"),
        (date(2026, 1, 31), date(2026, 3, 1), Duration(0, 1, 1), "1 month, 1 day"),
        (date(2020, 6, 1), date(2026, 5, 31), Duration(5, 11, 30), "5 years, 11 months, 30 days"),
        (date(2027, 1, 1), date(2026, 1, 1), Duration(0, 0, 0), "0 days"),
    ],
)
def test_sobriety_duration_in_years_months_and_days(sober_since, today, expected, text):
    assert sobriety_duration(sober_since, today) == expected
    assert str(expected) == text


def test_the_default_milestone_schedule():
    sober_since = date(2026, 1, 31)
    first = list(islice(milestones(sober_since, SCHEDULE), 11))
    assert [(m.label, m.on) for m in first] == [
        ("24 hours", date(2026, 2, 1)),
        ("30 days", date(2026, 3, 2)),
        ("60 days", date(2026, 4, 1)),
        ("90 days", date(2026, 5, 1)),
        ("6 months", date(2026, 7, 31)),
        ("9 months", date(2026, 10, 31)),
        ("1 year", date(2027, 1, 31)),
        ("18 months", date(2027, 7, 31)),
        ("2 years", date(2028, 1, 31)),
        ("3 years", date(2029, 1, 31)),
        ("4 years", date(2030, 1, 31)),
    ]


def test_next_milestone_and_the_milestone_of_the_day():
    sober_since = date(2024, 2, 29)
    assert next_milestone(sober_since, date(2024, 2, 29), SCHEDULE).label == "24 hours"
    on_the_day = date(2025, 2, 28)  # 1 year from a leap day
    assert milestone_on(sober_since, on_the_day, SCHEDULE).label == "1 year"
    assert next_milestone(sober_since, on_the_day, SCHEDULE).label == "18 months"
    assert milestone_on(sober_since, on_the_day + timedelta(days=1), SCHEDULE) is None
    assert next_milestone(sober_since, date(2031, 6, 1), SCHEDULE).on == date(2032, 2, 29)


def test_milestones_of_a_week():
    week = milestones_between(date(2026, 8, 28), date(2026, 11, 23), date(2026, 11, 29), SCHEDULE)
    assert [m.label for m in week] == ["90 days"]  # 26 November
    assert milestones_between(date(2026, 8, 28), date(2026, 12, 1), date(2026, 12, 7),
                              SCHEDULE) == []


def test_a_configured_schedule_goes_on_yearly_after_its_last_milestone():
    schedule = parse_milestones("7d,3m")
    labels = [m.label for m in islice(milestones(date(2026, 1, 1), schedule), 4)]
    assert labels == ["7 days", "3 months", "1 year", "2 years"]


# ---- properties, each against a deliberately simple reference ----------------------------


def reference_days_sober(first_sobriety_date: date, uses: set[date], today: date) -> int:
    """Walk back from today over days without use, not before the first sobriety date."""
    if today in uses or today < first_sobriety_date:
        return 0
    day = today
    while day > first_sobriety_date and day - timedelta(days=1) not in uses:
        day -= timedelta(days=1)
    return (today - day).days


@given(first=DAYS, today=DAYS, uses=st.lists(DAYS, max_size=6))
def test_sobriety_days_after_resets_match_the_reference(first, today, uses):
    uses = [u for u in uses if u <= today]
    sobriety_date = first
    for used_on in uses:  # in the order reported, backfilled days included
        sobriety_date = sobriety_date_after_use(sobriety_date, used_on)
    assert sobriety_days(sobriety_date, today) == reference_days_sober(first, set(uses), today)


def runs_of(days: set[date]) -> list[list[date]]:
    """The days split into runs of consecutive days, in order."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def reference_streak(days: set[date], today: date) -> int:
    """The run that ends today or, failing that, yesterday; later days do not count."""
    past = {day for day in days if day <= today}
    alive = [run for run in runs_of(past) if run[-1] in {today, today - timedelta(days=1)}]
    return len(alive[-1]) if alive else 0


@given(today=DAYS, offsets=st.sets(st.integers(min_value=-3, max_value=60), max_size=50))
def test_streak_matches_the_reference(today, offsets):
    days = {today - timedelta(days=n) for n in offsets}
    assert checkin_streak(days, today) == reference_streak(days, today)
    assert longest_streak(days) == max((len(run) for run in runs_of(days)), default=0)


@given(sober_since=DAYS, today=DAYS)
def test_duration_adds_back_up_to_today(sober_since, today):
    d = sobriety_duration(sober_since, today)
    assert 0 <= d.months < 12 and 0 <= d.days < 31
    if today <= sober_since:
        assert d == Duration(0, 0, 0)
        return
    whole_months = 12 * d.years + d.months
    assert add_months(sober_since, whole_months) + timedelta(days=d.days) == today
    assert add_months(sober_since, whole_months + 1) > today  # no whole month left over


@given(sober_since=DAYS, today=DAYS)
def test_next_milestone_is_the_first_after_today(sober_since, today):
    upcoming = next_milestone(sober_since, today, SCHEDULE)
    assert upcoming.on > today
    dates = [m.on for m in islice(milestones(sober_since, SCHEDULE), 60)]
    assert dates == sorted(set(dates))  # strictly increasing
    assert not [d for d in dates if today < d < upcoming.on]
