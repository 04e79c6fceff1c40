"""The date-sensitive parts of the app at the instants where dates go wrong
(tests/hard_instants.py), in time zones from UTC-11 to UTC+14: local dates and the days
around them, streaks, sobriety days, milestones, week bounds and labels, silence flags,
the weekly review's week and the demo's last day.

Each test passes the instant as `now`, as the screens do with the clock's; the expected
values of the first test are written out by hand.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from dashboard.config import parse_milestones
from dashboard.demo import load_demo
from dashboard.flags import sweep
from dashboard.progress import (
    checkin_streak,
    milestone_on,
    next_milestone,
    sobriety_days,
)
from dashboard.timeutil import (
    day_label,
    day_range_label,
    end_of_local_day,
    last_local_day,
    local_today,
    moment_label,
    start_of_local_day,
)
from dashboard.weekly_review import (
    iso_week_of,
    last_complete_week,
    recent_weeks,
    week_label,
    week_monday,
    weekly_review_for,
)
from models import Flag
from tests.factories import add_checkin, grant, make_user
from tests.hard_instants import HARD_INSTANTS
from tests.integration.test_demo import (
    no_checkin_lies_in_a_members_future,
    times_stored_after,
)

# From UTC-11 to UTC+14: whatever the instant, these zones are on at least two dates.
ZONES = ("Pacific/Pago_Pago", "America/Los_Angeles", "America/New_York", "UTC",
         "Europe/London", "Pacific/Auckland", "Pacific/Kiritimati")
SCHEDULE = parse_milestones("1d,30d,60d,90d,6m,9m,1y,18m")

at_every_instant = pytest.mark.parametrize("instant", list(HARD_INSTANTS.values()),
                                           ids=list(HARD_INSTANTS))
in_every_zone = pytest.mark.parametrize("zone", ZONES)

# (instant, zone): the local date and time there, worked out by hand.
LOCAL = {
    ("first of a month, 00:30 UTC", "America/Los_Angeles"): "Mon 30 Nov 2026, 16:30",
    ("first of a month, 00:30 UTC", "UTC"): "Tue 1 Dec 2026, 00:30",
    ("first of a month, 00:30 UTC", "Pacific/Kiritimati"): "Tue 1 Dec 2026, 14:30",
    ("New Year's Eve, 23:30 UTC", "America/New_York"): "Thu 31 Dec 2026, 18:30",
    ("New Year's Eve, 23:30 UTC", "Pacific/Auckland"): "Fri 1 Jan 2027, 12:30",
    ("29 February", "Pacific/Pago_Pago"): "Tue 29 Feb 2028, 01:00",
    ("29 February", "Pacific/Auckland"): "Wed 1 Mar 2028, 01:00",
    ("New York springs forward", "America/New_York"): "Sun 14 Mar 2027, 03:30",
    ("New York springs forward", "America/Los_Angeles"): "Sat 13 Mar 2027, 23:30",
    ("New York falls back", "America/New_York"): "Sun 1 Nov 2026, 01:30",
    ("New York falls back", "America/Los_Angeles"): "Sat 31 Oct 2026, 23:30",
    ("Auckland springs forward", "Pacific/Auckland"): "Sun 27 Sep 2026, 03:30",
    ("Auckland falls back", "Pacific/Auckland"): "Sun 4 Apr 2027, 02:30",
    ("ISO week 53", "Pacific/Pago_Pago"): "Thu 31 Dec 2026, 22:00",
    ("ISO week 53", "Pacific/Kiritimati"): "Fri 1 Jan 2027, 23:00",
}


@pytest.mark.parametrize(("name", "zone"), list(LOCAL), ids=[f"{n}-{z}" for n, z in LOCAL])
def test_the_local_day_and_time_are_those_of_the_zone(name, zone):
    instant = HARD_INSTANTS[name]
    shown = LOCAL[name, zone]
    local_date = datetime.strptime(shown.split(", ")[0], "%a %d %b %Y").date()
    assert local_today(zone, instant) == local_date
    assert moment_label(instant, zone) == shown
    assert moment_label(instant, zone, now=instant) == f"today, {shown.split(', ')[1]}"
    assert day_label(local_date, weekday=True, short=True) == shown.split(", ")[0]


@at_every_instant
@in_every_zone
def test_the_day_around_the_instant_has_its_true_length(instant, zone):
    today = local_today(zone, instant)
    start, end = start_of_local_day(today, zone), end_of_local_day(today, zone)
    assert start <= instant < end
    # 23 or 25 hours on the day the clocks change, 24 on the others.
    assert end - start in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))
    assert last_local_day(end, zone) == today
    assert start_of_local_day(today + timedelta(days=1), zone) == end
    yesterday = today - timedelta(days=1)
    assert moment_label(start - timedelta(minutes=1), zone, now=instant).startswith(
        "yesterday, ")
    assert day_label(yesterday, today=today) == "yesterday"
    assert day_label(today + timedelta(days=1), today=today) == "tomorrow"


@at_every_instant
@in_every_zone
def test_streaks_sobriety_and_milestones_count_local_days(instant, zone):
    today = local_today(zone, instant)
    before = [today - timedelta(days=n) for n in (1, 2, 3)]
    assert checkin_streak(before, today) == 3  # today's check-in may still come
    assert checkin_streak([today, *before], today) == 4
    assert checkin_streak(before[1:], today) == 0

    sober_since = today - timedelta(days=30)
    assert sobriety_days(sober_since, today) == 30
    assert milestone_on(sober_since, today, SCHEDULE).label == "30 days"
    upcoming = next_milestone(sober_since, today, SCHEDULE)
    assert (upcoming.label, upcoming.on) == ("60 days", today + timedelta(days=30))
    assert sobriety_days(today, today) == 0
    assert milestone_on(today - timedelta(days=1), today, SCHEDULE).label == "24 hours"


def test_a_year_from_29_february_is_the_last_day_of_february():
    assert milestone_on(date(2028, 2, 29), date(2029, 2, 28), SCHEDULE).label == "1 year"
    assert next_milestone(date(2027, 2, 28), date(2028, 2, 27), SCHEDULE).on == date(2028, 2, 28)


@at_every_instant
@in_every_zone
def test_weeks_hold_the_local_day_and_follow_each_other(instant, zone):
    today = local_today(zone, instant)
    weeks = recent_weeks(today)
    assert weeks[0] == iso_week_of(today)
    monday = week_monday(weeks[0])
    assert monday.weekday() == 0 and monday <= today <= monday + timedelta(days=6)
    for later, earlier in zip(weeks, weeks[1:], strict=False):
        assert week_monday(later) - week_monday(earlier) == timedelta(weeks=1)
    assert week_label(weeks[0], today=today).startswith("This week so far \u00b7 ")
    assert week_label(weeks[1], today=today).startswith("Last week \u00b7 ")
    assert last_complete_week(today) == weeks[1]
    assert "\u00b7" not in week_label(weeks[2], today=today)


def test_iso_week_53_in_words():
    new_years_day = date(2027, 1, 1)
    assert recent_weeks(new_years_day)[:2] == ["2026-W53", "2026-W52"]
    assert recent_weeks(date(2027, 1, 4))[:2] == ["2027-W01", "2026-W53"]
    assert week_monday("2026-W53") == date(2026, 12, 28)
    assert week_label("2026-W53", today=new_years_day) == (
        "This week so far \u00b7 28 Dec 2026 to 3 Jan 2027")
    assert week_label("2026-W52", today=new_years_day) == "Last week \u00b7 21 to 27 Dec 2026"
    assert last_complete_week(date(2027, 1, 6)) == "2026-W53"
    assert week_label("2026-W53", today=date(2027, 1, 6)) == (
        "Last week \u00b7 28 Dec 2026 to 3 Jan 2027")
    assert week_label("2027-W01", today=date(2027, 1, 5)) == "This week so far \u00b7 4 to 10 Jan"
    assert day_range_label(date(2028, 2, 26), date(2028, 3, 3),
                           today=date(2028, 2, 29)) == "26 Feb to 3 Mar"


@at_every_instant
def test_silence_flags_count_each_members_own_days(instant, session_factory, session):
    quiet, fine = {}, {}
    for n, zone in enumerate(ZONES):
        today = local_today(zone, instant)
        quiet[zone] = make_user(session, f"quiet{n}", "member", timezone_name=zone)
        fine[zone] = make_user(session, f"fine{n}", "member", timezone_name=zone)
        add_checkin(session, quiet[zone], today - timedelta(days=3))
        add_checkin(session, fine[zone], today - timedelta(days=2))
    session.commit()

    with session_factory.begin() as s:
        assert sweep(s, now=instant) == len(ZONES)
    flags = {f.member_id: f for f in session.scalars(select(Flag))}
    assert set(flags) == {actor.id for actor in quiet.values()}
    for zone, actor in quiet.items():
        since = local_today(zone, instant) - timedelta(days=3)
        assert flags[actor.id].raised_on == local_today(zone, instant)
        assert flags[actor.id].reason == (
            f"No check-in since {day_label(since, weekday=True, short=True)} (3 days)")
    with session_factory.begin() as s:
        assert sweep(s, now=instant) == 0  # the same episodes
    # A day later the others have been silent three days too; the first are still the same.
    with session_factory.begin() as s:
        assert sweep(s, now=instant + timedelta(days=1)) == len(ZONES)


@at_every_instant
def test_the_weekly_review_counts_no_day_that_has_not_begun(instant, session_factory, session):
    """Sponsees who checked in every day up to their own today: each card's check-ins are
    as many as the days of the week that have begun for that sponsee, never more."""
    sponsor = make_user(session, "sam", "member", "sponsor", timezone_name="Pacific/Kiritimati")
    for n, zone in enumerate(ZONES):
        sponsee = make_user(session, f"sponsee{n}", "member", timezone_name=zone)
        grant(session, sponsee, sponsor, "checkins", "flags", starts_at=instant - timedelta(
            days=60), expires_at=instant + timedelta(days=60))
        today = local_today(zone, instant)
        for days_ago in range(15):
            add_checkin(session, sponsee, today - timedelta(days=days_ago))
    session.commit()

    sponsor_today = local_today(sponsor.timezone, instant)
    for week in recent_weeks(sponsor_today)[:2]:
        with session_factory.begin() as s:
            cards = weekly_review_for(session=s, actor=sponsor, iso_week=week, now=instant)
        assert len(cards) == len(ZONES)
        for card in cards:
            assert 0 <= card.days_in_week <= 7
            assert card.checkins_made == card.days_in_week, (week, card.display_name)


@at_every_instant
def test_the_demo_holds_nothing_after_the_moment_it_loads(instant, sqlite_engine):
    load_demo(engine=sqlite_engine, members=16, days=10, seed=3, now=instant)
    assert no_checkin_lies_in_a_members_future(sqlite_engine, instant)
    assert times_stored_after(sqlite_engine, instant) == []
