"""Who everyone in the demo is, decided before anything is written: the accounts, who
sponsors and counsels whom, and each member's plan (when they check in, relapse or stop)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from dashboard.demo.clock import Clock
from dashboard.demo.words import FIRST_NAMES, HOME_GROUPS, LAST_INITIALS

MAX_SPONSEES = 15  # a sponsor has 1 to 15 sponsees

# Mostly US zones, and one on the other side of the date line.
_TIMEZONE_WEIGHTS = (
    ("America/New_York", 35),
    ("America/Chicago", 22),
    ("America/Denver", 10),
    ("America/Los_Angeles", 20),
    ("Europe/London", 9),
    ("Pacific/Auckland", 4),
)

# Sobriety milestones in days, for aiming some members at one in the coming weeks.
_MILESTONE_DAYS = (60, 90, 182, 273, 365, 547, 730, 1095, 1460, 1825, 2190, 2555)


def demo_sizes(members: int) -> tuple[int, int]:
    """(sponsors, counselors) for a caseload: about 40 sponsees per sponsor, 100 clients
    per counselor, and never fewer than two of each so that sharing has a choice."""
    return max(2, math.ceil(members / 40)), max(2, math.ceil(members / 100))


@dataclass
class Person:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    timezone: str
    created_at: datetime = field(default=datetime.min.replace(tzinfo=timezone.utc))


@dataclass
class MemberPlan:
    person: Person
    rng: random.Random
    is_sponsor: bool
    home_group: str | None
    first_day: date
    last_day: date
    relapse_days: tuple[date, ...]
    hard_days: tuple[date, ...]
    first_sobriety_date: date
    sobriety_date: date
    sponsor_id: int | None
    counselor_id: int | None
    # Who follow up the member's flags, each their own way: each viewer the member shares
    # flags with, and their consent rows that share flags (they act only while one holds).
    responders: dict[int, list[dict]] = field(default_factory=dict)


def make_people(
    rng: random.Random, *, members: int, sponsors: int, counselors: int
) -> list[Person]:
    """Every account in id order: admin, sponsors, counselors, members."""
    zones = [name for name, _ in _TIMEZONE_WEIGHTS]
    weights = [weight for _, weight in _TIMEZONE_WEIGHTS]
    used_names: set[str] = set()

    def draw_name() -> str:
        # A handful of tries for a name not yet used; past a few thousand accounts the
        # combinations run out and a repeated name is as real as it gets.
        for _ in range(6):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_INITIALS)}."
            if name not in used_names:
                break
        used_names.add(name)
        return name

    people: list[Person] = []

    def add(username: str, roles: tuple[str, ...]) -> None:
        timezone_name = rng.choices(zones, weights)[0]
        people.append(Person(len(people) + 1, username, draw_name(), roles, timezone_name))

    add("admin", ("admin",))
    for k in range(1, sponsors + 1):
        add(f"sponsor{k}", ("member", "sponsor"))
    for c in range(1, counselors + 1):
        add(f"counselor{c}", ("counselor",))
    for i in range(1, members + 1):
        add(f"member{i}", ("member",))
    return people


def plan_members(rng: random.Random, *, people: list[Person], clock: Clock) -> list[MemberPlan]:
    """The plan of every account with the member role, in id order; staff accounts only get
    the time they were created, before the demo's window.

    Each member is planned with a generator of their own, seeded from `rng`, so that one
    member's history never shifts another's.
    """
    sponsor_ids = [p.id for p in people if "sponsor" in p.roles]
    counselor_ids = [p.id for p in people if p.roles == ("counselor",)]
    sponsor_count, counselor_count = len(sponsor_ids), len(counselor_ids)
    admin_created = clock.now - timedelta(days=clock.days + 90)
    plans: list[MemberPlan] = []
    for person in people:
        if "member" not in person.roles:
            person.created_at = admin_created + timedelta(
                hours=rng.uniform(0, 24 * 5) if person.id > 1 else 0
            )
            continue
        member_rng = random.Random(rng.getrandbits(64))
        if "sponsor" in person.roles:
            k = sponsor_ids.index(person.id)
            sponsor_id = sponsor_ids[(k + 1) % sponsor_count]
            counselor_id = counselor_ids[k % counselor_count] if member_rng.random() < 0.3 else None
        else:
            i = int(person.username.removeprefix("member"))
            # A sponsor has at most 15 sponsees, one of them another sponsor (above): so at
            # most 14 members; the members beyond have no sponsor here.
            sponsor_id = (sponsor_ids[(i - 1) % sponsor_count]
                          if (i - 1) // sponsor_count < MAX_SPONSEES - 1 else None)
            has_counselor = i == 1 or member_rng.random() < 0.85
            counselor_id = counselor_ids[(i - 1) % counselor_count] if has_counselor else None
        plans.append(
            _plan_member(
                person,
                member_rng,
                clock,
                is_sponsor="sponsor" in person.roles,
                showcase=person.username == "member1",
                sponsor_id=sponsor_id,
                counselor_id=counselor_id,
            )
        )
    return plans


def _pick_sobriety_date(rng: random.Random, today: date, *, long_timer: bool) -> date:
    """Between 30 days and 8 years back; about a quarter aimed at a milestone in the next
    three weeks, so that the weekly review has milestones to celebrate."""
    if rng.random() < 0.25:
        choices = [m for m in _MILESTONE_DAYS if not long_timer or m >= 365]
        days_sober = rng.choice(choices) - rng.randint(1, 21)
    elif long_timer:
        days_sober = rng.randint(365, 8 * 365)
    else:
        bucket = rng.random()
        if bucket < 0.25:
            days_sober = rng.randint(30, 365)
        elif bucket < 0.65:
            days_sober = rng.randint(366, 3 * 365)
        else:
            days_sober = rng.randint(3 * 365 + 1, 8 * 365)
    return today - timedelta(days=days_sober)


def _plan_member(
    person: Person,
    rng: random.Random,
    clock: Clock,
    *,
    is_sponsor: bool,
    showcase: bool,
    sponsor_id: int | None,
    counselor_id: int | None,
) -> MemberPlan:
    days = clock.days
    window = clock.window(person.timezone)
    today = window.today
    window_start = window.start
    late_joiner = not showcase and rng.random() < 0.12
    stopped = not showcase and rng.random() < 0.08
    # Sponsors have long sobriety by custom; showcase member1 has one relapse to look at.
    relapser = showcase or (not is_sponsor and rng.random() < 0.15)

    first_day = window_start
    if late_joiner:
        first_day += timedelta(days=rng.randint(days // 10, (days * 3) // 4))
    # Stopped 3-10 days ago (less in a short window), after at least one check-in.
    last_day = today - timedelta(days=rng.randint(3, min(10, days - 2))) if stopped else today
    if last_day - first_day < timedelta(days=1):
        first_day = max(window_start, last_day - timedelta(days=1))

    relapse_days: list[date] = []
    if relapser:
        # Never on the last possible day: the sobriety date must not be in the future.
        earliest = first_day + timedelta(days=3)
        latest = min(last_day, today - timedelta(days=1))
        if showcase and (today - timedelta(days=15) - earliest).days >= 0:
            # Old enough for its flags to have been worked through (resolved).
            latest = today - timedelta(days=15)
        span = (latest - earliest).days
        if span >= 0:
            count = 1 if showcase else rng.choices((1, 2, 3), (70, 22, 8))[0]
            offsets = sorted(rng.sample(range(span + 1), min(count, span + 1)))
            relapse_days = [earliest + timedelta(days=o) for o in offsets]

    if relapse_days:
        first_sobriety = first_day - timedelta(days=rng.randint(30, 4 * 365))
        sobriety = relapse_days[-1] + timedelta(days=1)
    else:
        first_sobriety = sobriety = _pick_sobriety_date(rng, today, long_timer=is_sponsor)
        # A newcomer starts checking in on the first sober day, not before it.
        first_day = max(first_day, sobriety)

    seconds_of_day = rng.uniform(8 * 3600, 21 * 3600)
    if first_day == window_start and not late_joiner:
        days_before = rng.randint(1, 60)
    else:
        days_before = rng.randint(0, 2)
    person.created_at = clock.local_time(
        person.timezone, first_day - timedelta(days=days_before), seconds_of_day
    )
    home_group = rng.choice(HOME_GROUPS) if rng.random() < 0.75 else None
    # The showcase member had a hard day yesterday (an open flag) and one last week (one
    # being followed up), so that even a tiny demo shows a flag in every state.
    hard_days = tuple(
        day
        for day in (today - timedelta(days=8), today - timedelta(days=1))
        if showcase and first_day <= day <= last_day and day not in relapse_days
    )
    return MemberPlan(
        person=person,
        rng=rng,
        is_sponsor=is_sponsor,
        home_group=home_group,
        first_day=first_day,
        last_day=last_day,
        relapse_days=tuple(relapse_days),
        hard_days=hard_days,
        first_sobriety_date=first_sobriety,
        sobriety_date=sobriety,
        sponsor_id=sponsor_id,
        counselor_id=counselor_id,
    )
