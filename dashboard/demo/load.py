"""The deterministic demo caseload: accounts, check-ins, steps, consents, flags and reviews.

Everything is drawn from one `random.Random(seed)` in a fixed order (each member gets a
generator of their own, seeded from it) and every timestamp is derived from `now`, the
moment the demo loads, so the same seed, sizes and moment give the very same rows, ids
included, on SQLite and PostgreSQL alike. The one exception is the password hash: argon2
salts it at random. The whole caseload is written in one transaction: a failure leaves the
database empty.

The demo never writes the future: each member has check-ins only for the local days that
have begun in their own time zone at `now`, and no stored time is later than `now`. Its
flags are raised by the app's own rules (`dashboard.flags.RULES` and the silence rule) run
over the generated check-ins, as the app would have raised them, so they read the same.

Speed matters (2,000 members x 365 days is about half a million check-ins): rows are
plain dicts built in a tight loop, check-ins stream to the database in chunks member by
member instead of piling up in memory, and they are written with Core bulk inserts,
or with COPY on PostgreSQL, where an insert round trip per row costs four times more.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from dashboard.audit import append_events
from dashboard.config import FlagThresholds, settings
from dashboard.errors import ValidationError
from dashboard.flags import (
    HISTORY_DAYS,
    NO_CHECKIN,
    NO_CHECKIN_SEVERITY,
    RULES,
    Day,
    Finding,
    no_checkin_finding,
)
from dashboard.passwords import hash_password
from dashboard.timeutil import local_today, start_of_local_day
from models import (
    AuditEvent,
    CheckIn,
    Consent,
    Flag,
    MemberProfile,
    SobrietyDateChange,
    StepProgress,
    User,
    UserRole,
    WeeklyReview,
)

DEMO_PASSWORD = "serenity-demo-2026"
MAX_SPONSEES = 15  # a sponsor has 1 to 15 sponsees

MIN_MEMBERS, MAX_MEMBERS = 1, 20_000
MIN_DAYS, MAX_DAYS = 7, 3_650
CHUNK_ROWS = 20_000

ProgressCallback = Callable[[float, str], None]

# Tables whose integer id the demo sets explicitly; PostgreSQL's sequences must then be
# moved past the highest id, or the app's first own insert would collide with a demo row.
_TABLES_WITH_SERIAL_ID = (
    User.__table__,
    SobrietyDateChange.__table__,
    CheckIn.__table__,
    Consent.__table__,
    Flag.__table__,
    WeeklyReview.__table__,
    AuditEvent.__table__,
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoSummary:
    password: str
    accounts: list[DemoAccount]
    members: int
    sponsors: int
    counselors: int
    checkins: int
    consents: int
    flags: int


def demo_sizes(members: int) -> tuple[int, int]:
    """(sponsors, counselors) for a caseload: about 40 sponsees per sponsor, 100 clients
    per counselor, and never fewer than two of each so that sharing has a choice."""
    return max(2, math.ceil(members / 40)), max(2, math.ceil(members / 100))


# ---------------------------------------------------------------------------------------
# Word lists. Short, plain, of our own wording; the official step text is copyrighted.

_FIRST_NAMES = (
    "Maria",
    "James",
    "Aisha",
    "Robert",
    "Linda",
    "Michael",
    "Keisha",
    "David",
    "Jennifer",
    "Carlos",
    "Patricia",
    "Daniel",
    "Nicole",
    "Anthony",
    "Tanya",
    "Kevin",
    "Rosa",
    "Brian",
    "Megan",
    "Jose",
    "Samantha",
    "Eric",
    "Latoya",
    "Steven",
    "Amanda",
    "Luis",
    "Rachel",
    "Marcus",
    "Heather",
    "Jason",
    "Monique",
    "Ryan",
    "Erin",
    "Andre",
    "Christina",
    "Tyler",
    "Gabriela",
    "Derek",
    "Kimberly",
    "Omar",
    "Stephanie",
    "Sean",
    "Priya",
    "Travis",
    "Emily",
    "Hector",
    "Jasmine",
    "Paul",
    "Natalie",
    "Darnell",
    "Brenda",
    "Victor",
    "Crystal",
    "Adam",
    "Yolanda",
    "Frank",
    "Lauren",
    "Miguel",
    "Tiffany",
    "Greg",
    "Ashley",
    "Rafael",
    "Dana",
    "Scott",
    "Veronica",
    "Wayne",
    "Hannah",
    "Jamal",
    "Colleen",
    "Ben",
    "Irene",
    "Terrence",
    "Molly",
    "Raj",
    "Sarah",
    "Curtis",
    "Elena",
    "Dwayne",
    "Holly",
    "Tomas",
    "Kendra",
    "Shawn",
    "Alicia",
    "Mason",
    "Joanne",
    "Cody",
    "Bianca",
    "Leon",
    "Tara",
    "Malik",
    "Wendy",
    "Nathan",
    "Sofia",
    "Roger",
    "Carmen",
    "Jared",
    "Denise",
    "Ahmed",
    "Kelly",
    "Dale",
    "Fatima",
    "Gordon",
    "Ruth",
    "Kwame",
    "Shannon",
    "Ian",
    "Lucia",
    "Eddie",
    "Pam",
    "Liam",
    "Aroha",
    "Tane",
    "Mere",
    "Siobhan",
    "Callum",
    "Niamh",
    "Harriet",
    "Oliver",
    "Grace",
    "Connor",
    "Abigail",
    "Trevor",
    "Diane",
    "Mei",
    "Hiroshi",
    "Ana",
    "Rick",
    "Joy",
    "Sam",
)
_LAST_INITIALS = "ABCDEFGHIJKLMNOPRSTVWY"

# Mostly US zones, and one on the other side of the date line.
_TIMEZONE_WEIGHTS = (
    ("America/New_York", 35),
    ("America/Chicago", 22),
    ("America/Denver", 10),
    ("America/Los_Angeles", 20),
    ("Europe/London", 9),
    ("Pacific/Auckland", 4),
)

_HOME_GROUPS = (
    "Tuesday Night Step Study",
    "Early Birds",
    "Keep It Simple",
    "Back to Basics",
    "Saturday Morning Serenity",
    "Lunch Bunch",
    "Big Book Study",
    "Women in Recovery",
    "Men's Stag Group",
    "Young People's Group",
    "Candlelight Meeting",
    "Sunrise Group",
    "Happy Destiny",
    "Came to Believe",
    "Friday Night Live",
)

_HARD_DAY_REASONS = (
    "Argument with my brother",
    "Anniversary of my dad's death",
    "Lost my temper at work",
    "Money is really tight this month",
    "Couldn't sleep, felt on edge all day",
    "Ex texted me out of nowhere",
    "Drove past my old bar",
    "Court date coming up",
    "Kids are with their mom this week",
    "Got passed over at work",
    "Back pain flared up",
    "Holiday with family was a lot",
    "Lonely evening, nobody picked up",
    "Friend from the old days showed up",
    "Bad news from the doctor",
    "Fight with my partner",
    "Missed my meeting and felt off",
    "Landlord says we have to move",
    "Stressful shift, everybody yelling",
    "Birthday, first one sober",
    "Got a parking ticket and lost it",
    "Saw people drinking at the game",
    "Tired and angry all day",
    "Mom is in the hospital",
)
_RELAPSE_REASONS = (
    "Payday and old friends called",
    "Went to a party I should have skipped",
    "Stopped going to meetings and it caught up",
    "Thought I could handle one",
    "Stayed at my cousin's, it was everywhere",
    "After the funeral I gave up for a night",
    "Bad week and I didn't call anyone",
    "Got the divorce papers",
)
_GRATITUDE = (
    "Coffee with my sponsor",
    "My kids called me",
    "A good night's sleep",
    "Sunny walk to work",
    "Made it to my home group",
    "My dog",
    "Paid a bill on time",
    "Laughed at the meeting",
    "Somebody asked me for help",
    "My sister's patience",
    "Cooked a real dinner",
    "A quiet morning",
    "Chip for my time sober",
    "My job",
    "Fixed the bike with my son",
    "A phone call that came at the right time",
    "Being able to look people in the eye",
    "Clean laundry and a clean head",
    "The newcomer who stayed",
    "Rain on the roof",
    "My health coming back",
    "A friend who just listened",
    "Went to the gym",
    "Remembered the whole evening",
    "Made amends with an old friend",
)
_JOURNAL = (
    "Long day but I stayed with it.",
    "Talked to my sponsor about resentments.",
    "Felt restless tonight, went for a walk instead.",
    "Good meeting, shared for the first time.",
    "Worked on my inventory for an hour.",
    "Family dinner went better than I feared.",
    "Noticed I was isolating again; called someone.",
    "Read a chapter before bed.",
    "Cravings were loud this afternoon and then they passed.",
    "Grateful and tired. Early night.",
    "Hard to focus at work, prayed at lunch.",
    "Helped set up chairs at the meeting.",
    "Wrote a list of people I owe amends.",
    "Old friend invited me out; said no and felt fine.",
    "Slept badly, kept busy.",
    "Felt proud of myself today.",
    "Anxious about money, made a budget.",
    "Meditated ten minutes this morning.",
)
_STEP_NOTES = {
    1: ("Admitted I can't manage this alone.", "Wrote out how it had taken over my life."),
    2: ("Starting to believe things can get better.", "Talked about hope with my sponsor."),
    3: ("Decided to let go and follow the program.", "Said the decision out loud at a meeting."),
    4: ("Inventory is long. Going slowly.", "Resentments list done, fears next."),
    5: ("Shared my inventory with my sponsor. Lighter.", "Took three evenings to get through it."),
    6: ("Looking at the patterns that keep coming back.", "Ready, mostly."),
    7: ("Asking for help with my shortcomings daily.", "Humility is harder than I thought."),
    8: ("List of people I harmed: 14 names.", "Added myself to the list."),
    9: ("Made amends to my brother.", "Some amends have to wait; talked it through."),
    10: ("Nightly review before bed.", "Caught myself being short with a coworker; apologized."),
    11: ("Morning quiet time, ten minutes.", "Trying a meditation app."),
    12: ("Sponsoring my first sponsee.", "Chairing the Tuesday meeting."),
}
_OUTREACH_NOTES: dict[str, tuple[str, ...]] = {
    "called": (
        "Called, talked for twenty minutes; going to a meeting tonight.",
        "Phone call, doing better, made a plan for the weekend.",
        "Called and left a message, then we spoke in the evening.",
    ),
    "texted": (
        "Texted; replied quickly, says the worst has passed.",
        "Texted a check-in, agreed to call tomorrow.",
    ),
    "met": (
        "Met for coffee after the meeting.",
        "Met in person; reviewed the safety plan together.",
    ),
    "other": (
        "Spoke briefly at the home group.",
        "Reached through a mutual friend from the group.",
    ),
}
_OUTREACH_METHODS = tuple(_OUTREACH_NOTES)
_REVIEW_NOTES = (
    "Solid week.",
    "Checked in daily, steady mood.",
    "Talked about the hard day on Wednesday.",
    "Cravings up mid-week; more meetings planned.",
    "Working step 4, going slowly but well.",
    "Missed a few days; will call on Monday.",
    "Milestone coming up, plan a celebration.",
    "Good progress, sharing more at meetings.",
    "Family stress again; keep an eye on it.",
    "Quiet week, no concerns.",
    "Sleep still poor; suggested talking to a doctor.",
    "Ready to start the next step.",
)

# Sobriety milestones in days, for aiming some members at one in the coming weeks.
_MILESTONE_DAYS = (60, 90, 182, 273, 365, 547, 730, 1095, 1460, 1825, 2190, 2555)


# ---------------------------------------------------------------------------------------
# Planning: who everyone is, decided before anything is written.


@dataclass
class _Person:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    timezone: str
    created_at: datetime = field(default=datetime.min.replace(tzinfo=timezone.utc))


@dataclass
class _MemberPlan:
    person: _Person
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
    # Who follows up the member's flags: their counselor when flags are shared with one.
    responder_id: int | None = None


@dataclass(frozen=True)
class _Window:
    """One time zone's days of the demo: the `days` local days up to its own today (the day
    that has begun there at the demo's now), with each one's local midnight in UTC."""

    start: date
    today: date
    days: list[date]
    midnights: list[datetime]

    def index(self, day: date) -> int:
        return (day - self.start).days


class _Clock:
    """The demo's now (the moment it loads) and, per time zone, the window of days that have
    begun there by then.

    Windows and midnights are computed once per time zone and day: a zoneinfo conversion
    per check-in would dominate the generation time.
    """

    def __init__(self, *, now: datetime, days: int):
        self.now = now
        self.days = days
        self._windows: dict[str, _Window] = {}
        self._midnights: dict[tuple[str, date], datetime] = {}

    def window(self, tz_name: str) -> _Window:
        found = self._windows.get(tz_name)
        if found is None:
            today = local_today(tz_name, self.now)
            start = today - timedelta(days=self.days - 1)
            days = [start + timedelta(days=i) for i in range(self.days)]
            found = _Window(start, today, days, [self.midnight(tz_name, day) for day in days])
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



def _validate(*, members: int, days: int) -> None:
    errors: dict[str, str] = {}
    if (
        isinstance(members, bool)
        or not isinstance(members, int)
        or not (MIN_MEMBERS <= members <= MAX_MEMBERS)
    ):
        errors["members"] = f"Choose between {MIN_MEMBERS} and {MAX_MEMBERS:,} demo members."
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        errors["days"] = f"Choose between {MIN_DAYS} and {MAX_DAYS:,} days of check-ins."
    if errors:
        raise ValidationError(errors)


def _make_people(
    rng: random.Random, *, members: int, sponsors: int, counselors: int
) -> list[_Person]:
    """Every account in id order: admin, sponsors, counselors, members."""
    zones = [name for name, _ in _TIMEZONE_WEIGHTS]
    weights = [weight for _, weight in _TIMEZONE_WEIGHTS]
    used_names: set[str] = set()

    def draw_name() -> str:
        # A handful of tries for a name not yet used; past a few thousand accounts the
        # combinations run out and a repeated name is as real as it gets.
        for _ in range(6):
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_INITIALS)}."
            if name not in used_names:
                break
        used_names.add(name)
        return name

    people: list[_Person] = []

    def add(username: str, roles: tuple[str, ...]) -> None:
        timezone_name = rng.choices(zones, weights)[0]
        people.append(_Person(len(people) + 1, username, draw_name(), roles, timezone_name))

    add("admin", ("admin",))
    for k in range(1, sponsors + 1):
        add(f"sponsor{k}", ("member", "sponsor"))
    for c in range(1, counselors + 1):
        add(f"counselor{c}", ("counselor",))
    for i in range(1, members + 1):
        add(f"member{i}", ("member",))
    return people


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
    person: _Person,
    rng: random.Random,
    clock: _Clock,
    *,
    days: int,
    is_sponsor: bool,
    showcase: bool,
    sponsor_id: int | None,
    counselor_id: int | None,
) -> _MemberPlan:
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
    home_group = rng.choice(_HOME_GROUPS) if rng.random() < 0.75 else None
    # The showcase member had a hard day yesterday (an open flag) and one last week (one
    # being followed up), so that even a tiny demo shows a flag in every state.
    hard_days = tuple(
        day
        for day in (today - timedelta(days=8), today - timedelta(days=1))
        if showcase and first_day <= day <= last_day and day not in relapse_days
    )
    return _MemberPlan(
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


# ---------------------------------------------------------------------------------------
# Check-ins: the hot loop. About 700k rows at full scale, so the work per row is kept to
# a few random draws and one dict literal.


def _generate_checkins(
    plan: _MemberPlan,
    clock: _Clock,
    *,
    first_id: int,
    out: list[dict],
    sobriety_changes: list[tuple[int, date, date, datetime]],
) -> int:
    """Append the member's check-ins to `out`, in date order, with ids from `first_id`;
    return the count. Today's check-in is there only if its time of day has come."""
    rng = plan.rng
    rand = rng.random
    uniform = rng.uniform
    member_id = plan.person.id
    now = clock.now

    # Between 0.55 and 0.97, most members near the top: people who use the app mostly
    # use it daily.
    p_weekday = 0.97 - 0.42 * rand() ** 2
    p_weekend = p_weekday * uniform(0.6, 0.85) if rand() < 0.35 else p_weekday
    mood_base = uniform(2.9, 4.3)
    level = mood_base + uniform(-0.3, 0.3)
    craving_bias = uniform(-0.8, 1.0)
    # Cumulative odds of attending 0, 1 or 2 meetings (else 3): roughly 35/45/15/5.
    meet0 = 0.35 - uniform(-0.15, 0.15)
    meet1 = meet0 + 0.45
    meet2 = meet1 + 0.15
    p_prayer = uniform(0.2, 0.9)
    p_called = uniform(0.1, 0.6)
    p_read = uniform(0.2, 0.8)
    p_step_work = uniform(0.05, 0.5)
    p_no_sleep = 0.6 if rand() < 0.2 else 0.05
    p_gratitude = uniform(0.15, 0.65)
    p_journal = uniform(0.0, 0.3)
    p_late = uniform(0.0, 0.06)
    if rand() < 0.65:
        time_start, time_span = 19.0 * 3600, 4 * 3600
    else:
        time_start, time_span = 6.5 * 3600, 3.5 * 3600

    # Days are handled as indexes into the member's window (0 = its first day) to keep
    # date arithmetic and timezone lookups out of the loop.
    window = clock.window(plan.person.timezone)
    days = window.days
    midnights = window.midnights
    today_index = len(days) - 1
    first_index = window.index(plan.first_day)
    last_index = window.index(plan.last_day)
    relapse_indexes = {window.index(d) for d in plan.relapse_days}
    # The few days before a use are usually rough ones.
    build_up = {i - k for i in relapse_indexes for k in (1, 2, 3)}
    hard_indexes = {window.index(d) for d in plan.hard_days}
    # Whoever stopped checking in did check in on their last day: the silence is exact.
    forced = relapse_indexes | hard_indexes | ({last_index} if last_index < today_index else set())
    weekday = days[first_index].weekday()

    target = mood_base
    stretch_left = 0
    bad_stretch = False
    checkin_id = first_id - 1
    n_hard = len(_HARD_DAY_REASONS)
    n_relapse = len(_RELAPSE_REASONS)
    n_grat = len(_GRATITUDE)
    n_journal = len(_JOURNAL)

    for index in range(first_index, last_index + 1):
        is_weekend = weekday >= 5
        weekday = 0 if weekday == 6 else weekday + 1
        if stretch_left:
            stretch_left -= 1
            if not stretch_left:
                target, bad_stretch = mood_base, False
        elif rand() < 0.025:
            stretch_left = 4 + int(rand() * 11)
            bad_stretch = rand() < 0.6
            target = (
                mood_base - 0.8 - rand() * 0.8 if bad_stretch else mood_base + 0.4 + rand() * 0.5
            )
        # A slowly drifting mood: pulled toward the member's usual level, with a
        # triangular step (two uniform draws are far cheaper than a Gaussian).
        pull = target - 1.4 if index in build_up else target
        level += (pull - level) * 0.15 + (rand() - rand()) * 0.75
        level = 1.0 if level < 1.0 else 5.0 if level > 5.0 else level

        used = index in relapse_indexes
        if index not in forced:
            chance = p_weekend if is_weekend else p_weekday
            if rand() >= (chance * 0.85 if bad_stretch else chance):
                continue

        seconds = time_start + rand() * time_span
        days_ago = today_index - index
        # Backfilled a day or more later (within the week the app allows), so marked late.
        late = days_ago >= 2 and rand() < p_late
        entered_index = index + 1 + int(rand() * min(7, days_ago - 1)) if late else index
        created = midnights[entered_index] + timedelta(seconds=seconds)
        if created > now:
            if entered_index == today_index and index not in forced:
                continue  # the time of day this member checks in has not come yet today
            created = midnights[entered_index] + (now - midnights[entered_index]) * rand()

        checkin_id += 1
        if used:
            mood = 1 if rand() < 0.6 else 2
            craving = 8 + int(rand() * 3)
            hard = rand() < 0.75
            hard_reason = _RELAPSE_REASONS[int(rand() * n_relapse)] if hard else None
        else:
            mood = int(level + (rand() - rand()) * 1.1 + 0.5)
            mood = 1 if mood < 1 else 5 if mood > 5 else mood
            craving = int((5.0 - level) * 1.9 + craving_bias + (rand() - rand()) * 2.7 + 0.5)
            craving = 0 if craving < 0 else 10 if craving > 10 else craving
            hard = index in hard_indexes or rand() < (
                0.035 + (0.12 if mood <= 2 else 0.0) + (0.1 if craving >= 7 else 0.0)
            )
            hard_reason = _HARD_DAY_REASONS[int(rand() * n_hard)] if hard else None

        draw = rand()
        meetings = 0 if draw < meet0 else 1 if draw < meet1 else 2 if draw < meet2 else 3
        if rand() < p_no_sleep:
            sleep = None
        else:
            sleep = round((7.0 + (mood - 3) * 0.4 + (rand() - rand()) * 2.4) * 2) / 2
            sleep = 4.0 if sleep < 4.0 else 9.5 if sleep > 9.5 else sleep

        day = days[index]
        out.append(
            {
                "id": checkin_id,
                "member_id": member_id,
                "local_date": day,
                "mood": mood,
                "craving": craving,
                "used_substances": used,
                "meetings": meetings,
                "prayer_meditation": rand() < p_prayer,
                "called_support": rand() < (p_called + 0.3 if mood <= 2 else p_called),
                "read_literature": rand() < p_read,
                "step_work": rand() < p_step_work,
                "sleep_hours": sleep,
                "gratitude": _GRATITUDE[int(rand() * n_grat)] if rand() < p_gratitude else None,
                "journal": _JOURNAL[int(rand() * n_journal)] if rand() < p_journal else None,
                "hard_day": hard,
                "hard_day_reason": hard_reason,
                "is_late": late,
                "created_at": created,
                "updated_at": created,
            }
        )

        if used:
            previous = (
                sobriety_changes[-1][2]
                if sobriety_changes and sobriety_changes[-1][0] == member_id
                else plan.first_sobriety_date
            )
            sobriety_changes.append((member_id, previous, day + timedelta(days=1), created))
            # Right after a use the mood sinks and stays low for a while.
            level, target, stretch_left, bad_stretch = 1.6, mood_base - 0.8, 7, True
    return checkin_id - first_id + 1


# ---------------------------------------------------------------------------------------
# Flags: raised by the app's own rules, then followed up.


@dataclass
class _FollowUps:
    """How the demo's flags have been followed up: those older than two weeks resolved,
    about half of those 3 to 14 days old acknowledged (the first of them always, so that
    even a tiny demo shows that state), the younger ones open. A member's flags of one day
    are followed up together, as after one phone call."""

    next_id: int = 1
    any_in_hand: bool = False


def _raise_flags(plan: _MemberPlan, checkins: Sequence[dict], clock: _Clock, *,
                 thresholds: FlagThresholds, follow_ups: _FollowUps) -> list[dict]:
    """The member's flags, as the app raises them: each check-in (in date order) evaluated by
    `RULES` when it was saved, a pattern flag not raised again while one of its episode is
    unresolved, and the silence rule run each morning as a daily sweep would."""
    rng = plan.rng
    member_id = plan.person.id
    tz_name = plan.person.timezone
    window = clock.window(tz_name)
    now = clock.now
    responder = plan.responder_id
    by_day: dict[date, dict] = {}
    # A pattern rule's last flag: when it was resolved (None while it is not): until then,
    # the pattern showing again is the same episode going on.
    pattern_resolved: dict[str, datetime | None] = {}
    flags: list[dict] = []

    def follow_up(raised_on: date, created_at: datetime) -> dict:
        found = by_day.get(raised_on)
        if found is not None:
            return found
        age_days = (window.today - raised_on).days
        in_hand = (responder is not None and 3 <= age_days <= 14
                   and (not follow_ups.any_in_hand or rng.random() < 0.5))
        follow_ups.any_in_hand = follow_ups.any_in_hand or in_hand
        found = {"status": "open", "acknowledged_by_id": None, "acknowledged_at": None,
                 "outreach_method": None, "outreach_note": None, "resolved_by_id": None,
                 "resolved_at": None}
        if responder is not None and (age_days > 14 or in_hand):
            acknowledged_at = min(created_at + timedelta(hours=rng.uniform(1, 36)), now)
            method = rng.choice(_OUTREACH_METHODS)
            found.update(status="acknowledged", acknowledged_by_id=responder,
                         acknowledged_at=acknowledged_at, outreach_method=method,
                         outreach_note=rng.choice(_OUTREACH_NOTES[method]))
            if age_days > 14:
                found.update(status="resolved", resolved_by_id=responder,
                             resolved_at=min(acknowledged_at + timedelta(
                                 hours=rng.uniform(4, 120)), now))
        by_day[raised_on] = found
        return found

    def add(rule_id: str, severity: str, finding: Finding, created_at: datetime) -> dict:
        state = follow_up(finding.raised_on, created_at)
        flags.append({
            "id": follow_ups.next_id, "member_id": member_id, "rule_id": rule_id,
            "severity": severity, "raised_on": finding.raised_on,
            "episode_key": finding.episode_key, "reason": finding.reason,
            "quoted_text": finding.quoted_text, "checkin_id": finding.checkin_id,
            "created_at": created_at, **state,
        })
        follow_ups.next_id += 1
        return state

    def silence(last: date) -> None:
        # The morning sweep of the day the silence reached the threshold.
        day = last + timedelta(days=thresholds.silent_days)
        finding = no_checkin_finding(last, day, thresholds)
        add(NO_CHECKIN, NO_CHECKIN_SEVERITY, finding,
            clock.local_time(tz_name, day, 6 * 3600 + rng.random() * 3600))

    history: deque[Day] = deque()
    for row in checkins:
        day = row["local_date"]
        if history and (day - history[-1].local_date).days > thresholds.silent_days:
            silence(history[-1].local_date)
        history.append(Day(row["id"], day, row["mood"], row["craving"], row["used_substances"],
                           row["hard_day"], row["hard_day_reason"]))
        while history[0].local_date <= day - timedelta(days=HISTORY_DAYS):
            history.popleft()
        seen = list(history)
        saved_at = row["created_at"]
        for rule in RULES:
            finding = rule.check(seen, thresholds)
            if finding is None:
                continue
            if rule.kind == "pattern" and rule.id in pattern_resolved:
                resolved_at = pattern_resolved[rule.id]
                if resolved_at is None or resolved_at > saved_at:
                    continue
            state = add(rule.id, rule.severity, finding, saved_at)
            if rule.kind == "pattern":
                pattern_resolved[rule.id] = state["resolved_at"]
    if history and (window.today - history[-1].local_date).days >= thresholds.silent_days:
        silence(history[-1].local_date)
    return flags


# ---------------------------------------------------------------------------------------
# The smaller tables.


def _step_rows(plan: _MemberPlan, clock: _Clock) -> list[dict]:
    """Twelve rows per member: completed steps, the current one in progress, then not started."""
    rng = plan.rng
    tz_name = plan.person.timezone
    today = clock.window(tz_name).today
    program_days = max(0, (today - plan.first_sobriety_date).days)
    if plan.is_sponsor:
        completed = 12 if rng.random() < 0.6 else rng.randint(9, 11)
    elif program_days < 60:
        completed = rng.choice((0, 0, 1, 2))
    else:
        # Step work slows down after the first steps: most people are somewhere in the
        # middle, and only a few of the long-sober have finished all twelve.
        expected = 12 * (1 - math.exp(-program_days / 700))
        completed = min(12, int(expected * rng.uniform(0.4, 1.3)))
    # A few newcomers have not even opened step 1.
    current_started = not (completed == 0 and rng.random() < 0.2)

    start = min(plan.first_sobriety_date + timedelta(days=rng.randint(0, 20)), today)
    end = today - timedelta(days=rng.randint(0, min(30, (today - start).days)))
    span_days = (end - start).days
    rows: list[dict] = []
    previous_done = start
    for step in range(1, 13):
        started_on = completed_on = None
        if step <= completed:
            status = "completed"
            started_on = previous_done
            completed_on = start + timedelta(days=span_days * step // (completed + 1))
            completed_on = max(completed_on, started_on)
            previous_done = completed_on
        elif step == completed + 1 and current_started:
            status = "in_progress"
            started_on = previous_done
        else:
            status = "not_started"
        notes = None
        if started_on is not None and rng.random() < 0.35:
            notes = rng.choice(_STEP_NOTES[step])
        touched = completed_on or started_on
        updated_at = (
            clock.local_time(tz_name, touched, 20 * 3600 + rng.random() * 7200)
            if touched is not None
            else plan.person.created_at
        )
        rows.append(
            {
                "member_id": plan.person.id,
                "step": step,
                "status": status,
                "started_on": started_on,
                "completed_on": completed_on,
                "notes": notes,
                "updated_at": updated_at,
            }
        )
    return rows


_CATEGORY_MIXES = (
    # (checkins, steps, flags, notes), weight
    ((True, True, True, False), 62),
    ((True, True, True, True), 18),
    ((True, False, False, False), 10),
    ((True, False, True, False), 10),
)


@dataclass(frozen=True)
class _ConsentWindow:
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def _consent_rows(
    plan: _MemberPlan,
    clock: _Clock,
    *,
    recipient_id: int,
    purpose: str,
    state: str,
    categories: tuple[bool, bool, bool, bool] | None,
    next_id: int,
) -> list[dict]:
    """One consent, or two for a revoked one that the member granted again later."""
    rng = plan.rng
    now = clock.now
    person = plan.person
    mixes = [mix for mix, _ in _CATEGORY_MIXES]
    weights = [weight for _, weight in _CATEGORY_MIXES]

    def draw_categories() -> tuple[bool, bool, bool, bool]:
        return rng.choices(mixes, weights)[0]

    earliest = person.created_at + timedelta(hours=1)
    span = now - earliest
    windows: list[_ConsentWindow] = []
    if state == "expired":
        starts = earliest + span * rng.uniform(0.0, 0.3)
        windows.append(
            _ConsentWindow(starts, starts + (now - starts) * rng.uniform(0.4, 0.95), None)
        )
    elif state in ("revoked", "regranted"):
        starts = earliest + span * rng.uniform(0.0, 0.5)
        revoked = starts + (now - starts) * rng.uniform(0.2, 0.8)
        windows.append(
            _ConsentWindow(
                starts, max(starts + timedelta(days=365), revoked + timedelta(days=30)), revoked
            )
        )
        if state == "regranted":
            again = revoked + (now - revoked) * rng.uniform(0.05, 0.9)
            windows.append(
                _ConsentWindow(again, now + timedelta(days=rng.randint(30, 730)), None)
            )
    else:
        starts = earliest + span * rng.uniform(0.0, 0.9)
        windows.append(_ConsentWindow(starts, now + timedelta(days=rng.randint(30, 730)), None))

    rows = []
    for index, window in enumerate(windows):
        share = (
            categories
            if categories is not None and index == len(windows) - 1
            else draw_categories()
        )
        rows.append(
            {
                "id": next_id + index,
                "member_id": person.id,
                "recipient_id": recipient_id,
                "purpose": purpose,
                "share_checkins": share[0],
                "share_steps": share[1],
                "share_flags": share[2],
                "share_notes": share[3],
                "signature_name": person.display_name,
                "signed_on": local_today(person.timezone, window.starts_at),
                "revocation_acknowledged": True,
                "starts_at": window.starts_at,
                "expires_at": window.expires_at,
                "revoked_at": window.revoked_at,
                "revoked_by_id": person.id if window.revoked_at is not None else None,
                "created_at": window.starts_at,
            }
        )
    return rows


# Members 2-4 show expired, revoked and granted-again sharing even in a tiny demo.
_FIXED_SPONSORSHIP_STATES = {
    "member1": "active",
    "member2": "expired",
    "member3": "revoked",
    "member4": "regranted",
}


def _consent_state(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.05:
        return "expired"
    if draw < 0.10:
        return "revoked"
    if draw < 0.16:
        return "regranted"
    return "active"


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _weekly_review_rows(
    plans: list[_MemberPlan],
    sponsorships: dict[int, list[dict]],
    people_by_id: dict[int, _Person],
    rng: random.Random,
    clock: _Clock,
) -> list[dict]:
    """The last eight weeks finished in the member's calendar, reviewed by their sponsor
    while consent held."""
    diligence: dict[int, float] = {}
    rows: list[dict] = []
    for plan in plans:
        sponsor_id = plan.sponsor_id
        if sponsor_id is None:
            continue
        today = clock.window(plan.person.timezone).today
        this_monday = today - timedelta(days=today.weekday())
        weeks = [this_monday - timedelta(weeks=w) for w in range(8, 0, -1)]
        if sponsor_id not in diligence:
            diligence[sponsor_id] = rng.uniform(0.6, 0.95)
        sponsor_tz = people_by_id[sponsor_id].timezone
        consents = sponsorships[plan.person.id]
        for monday in weeks:
            sunday = monday + timedelta(days=6)
            if plan.first_day > sunday or rng.random() >= diligence[sponsor_id]:
                continue
            # Reviewed on the Sunday evening or the Monday after the week.
            review_day = sunday + timedelta(days=rng.randint(0, 1))
            reviewed_at = clock.local_time(
                sponsor_tz, review_day, 18 * 3600 + rng.random() * 4 * 3600
            )
            in_force = any(
                c["starts_at"] <= reviewed_at < c["expires_at"]
                and (c["revoked_at"] is None or reviewed_at < c["revoked_at"])
                for c in consents
            )
            if not in_force:
                continue
            rows.append(
                {
                    "id": len(rows) + 1,
                    "reviewer_id": sponsor_id,
                    "member_id": plan.person.id,
                    "iso_week": _iso_week(monday),
                    "note": rng.choice(_REVIEW_NOTES) if rng.random() < 0.7 else None,
                    "created_at": reviewed_at,
                }
            )
    return rows


# ---------------------------------------------------------------------------------------
# Writing.


class _Progress:
    def __init__(self, callback: ProgressCallback | None):
        self._callback = callback

    def __call__(self, fraction: float, message: str) -> None:
        if self._callback is not None:
            self._callback(min(1.0, max(0.0, fraction)), message)


def _bulk_insert(conn: Connection, table: Table, rows: Sequence[dict]) -> None:
    """Insert rows that all have the same keys, in chunks, in the caller's transaction."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_rows(conn, table, rows)
        return
    for start in range(0, len(rows), CHUNK_ROWS):
        conn.execute(insert(table), rows[start : start + CHUNK_ROWS])


def _copy_rows(conn: Connection, table: Table, rows: Sequence[dict]) -> None:
    """PostgreSQL's COPY, in the same transaction as everything else.

    An executemany round trip per row made PostgreSQL four times slower than COPY at
    demo scale. Each value still goes through its column type's own bind processing
    (UTC timestamps stored naive, booleans checked), so the rows are the very ones an
    `insert(table)` would have written.
    """
    dialect = conn.dialect
    names = list(rows[0])
    processors = [
        (index, processor)
        for index, name in enumerate(names)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        is not None
    ]
    preparer = dialect.identifier_preparer
    column_list = ", ".join(preparer.quote(name) for name in names)
    statement = f"COPY {preparer.format_table(table)} ({column_list}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        write_row = copy.write_row
        for row in rows:
            values = [row[name] for name in names]
            for index, processor in processors:
                values[index] = processor(values[index])
            write_row(values)


def _advance_postgres_sequences(conn: Connection) -> None:
    for table in _TABLES_WITH_SERIAL_ID:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f" coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )
        )


def load_demo(
    *,
    engine: Engine,
    members: int = 60,
    days: int = 180,
    seed: int = 7,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> DemoSummary:
    """Load the demo caseload into an empty database, in one transaction, as it stands at
    `now` (the moment it loads).

    Refuses (ValidationError) sizes out of range and a database that already has
    accounts. `progress(fraction, message)` is called between chunks of rows.
    """
    _validate(members=members, days=days)
    report = _Progress(progress)
    report(0.0, "Preparing the demo caseload")

    clock = _Clock(now=now, days=days)
    thresholds = settings().flag_thresholds
    rng = random.Random(seed)
    sponsor_count, counselor_count = demo_sizes(members)
    people = _make_people(rng, members=members, sponsors=sponsor_count, counselors=counselor_count)
    people_by_id = {p.id: p for p in people}
    sponsor_ids = [p.id for p in people if "sponsor" in p.roles]
    counselor_ids = [p.id for p in people if p.roles == ("counselor",)]

    # Staff accounts predate the window; members are planned one by one, each with a
    # generator of their own so that one member's history never shifts another's.
    admin_created = now - timedelta(days=days + 90)
    plans: list[_MemberPlan] = []
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
                days=days,
                is_sponsor="sponsor" in person.roles,
                showcase=person.username == "member1",
                sponsor_id=sponsor_id,
                counselor_id=counselor_id,
            )
        )

    # argon2 is slow on purpose: one hash shared by every demo account.
    password_hash = hash_password(DEMO_PASSWORD)
    user_rows = [
        {
            "id": p.id,
            "username": p.username,
            "display_name": p.display_name,
            "password_hash": password_hash,
            "is_active": True,
            "failed_logins": 0,
            "locked_until": None,
            "must_change_password": False,
            "timezone": p.timezone,
            "created_at": p.created_at,
            "last_login_at": None,
        }
        for p in people
    ]
    role_rows = [{"user_id": p.id, "role": role} for p in people for role in p.roles]
    profile_rows = [
        {
            "user_id": plan.person.id,
            "sobriety_date": plan.sobriety_date,
            "home_group": plan.home_group,
        }
        for plan in plans
    ]

    # Consents, in member order; member1 is the showcase with fixed categories.
    consent_rows: list[dict] = []
    sponsorships: dict[int, list[dict]] = {}
    for plan in plans:
        username = plan.person.username
        sponsorships[plan.person.id] = []
        if plan.sponsor_id is not None:
            state = _FIXED_SPONSORSHIP_STATES.get(username) or _consent_state(plan.rng)
            rows = _consent_rows(
                plan,
                clock,
                recipient_id=plan.sponsor_id,
                purpose="sponsorship",
                state=state,
                categories=(True, True, True, True) if username == "member1" else None,
                next_id=len(consent_rows) + 1,
            )
            consent_rows.extend(rows)
            sponsorships[plan.person.id] = rows
            plan.responder_id = plan.sponsor_id
        if plan.counselor_id is not None:
            rows = _consent_rows(
                plan,
                clock,
                recipient_id=plan.counselor_id,
                purpose="counseling",
                state="active" if username == "member1" else _consent_state(plan.rng),
                categories=(True, True, True, False) if username == "member1" else None,
                next_id=len(consent_rows) + 1,
            )
            consent_rows.extend(rows)
            if rows[-1]["share_flags"] or plan.responder_id is None:
                plan.responder_id = plan.counselor_id

    step_rows = [row for plan in plans for row in _step_rows(plan, clock)]

    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(User.__table__)).scalar_one():
            raise ValidationError(
                "The demo caseload loads only into an empty database;"
                " this one already has accounts."
            )
        report(0.02, "Creating accounts")
        _bulk_insert(conn, User.__table__, user_rows)
        _bulk_insert(conn, UserRole.__table__, role_rows)
        _bulk_insert(conn, MemberProfile.__table__, profile_rows)

        flag_rows: list[dict] = []
        follow_ups = _FollowUps()
        sobriety_changes: list[tuple[int, date, date, datetime]] = []
        checkin_buffer: list[dict] = []
        checkin_total = 0
        for done, plan in enumerate(plans, start=1):
            first = len(checkin_buffer)
            checkin_total += _generate_checkins(
                plan,
                clock,
                first_id=checkin_total + 1,
                out=checkin_buffer,
                sobriety_changes=sobriety_changes,
            )
            flag_rows += _raise_flags(plan, checkin_buffer[first:], clock,
                                      thresholds=thresholds, follow_ups=follow_ups)
            if len(checkin_buffer) >= CHUNK_ROWS or done == len(plans):
                _bulk_insert(conn, CheckIn.__table__, checkin_buffer)
                checkin_buffer = []
                report(0.05 + 0.85 * done / len(plans), f"Wrote {checkin_total:,} check-ins")

        report(0.91, "Writing steps, sharing and sobriety history")
        _bulk_insert(conn, StepProgress.__table__, step_rows)
        _bulk_insert(conn, Consent.__table__, consent_rows)
        _bulk_insert(
            conn,
            SobrietyDateChange.__table__,
            [
                {"id": n, "member_id": m, "previous_date": prev, "new_date": new, "changed_at": at}
                for n, (m, prev, new, at) in enumerate(sobriety_changes, start=1)
            ],
        )
        report(0.94, "Writing flags")
        _bulk_insert(conn, Flag.__table__, flag_rows)
        report(0.97, "Writing weekly reviews")
        _bulk_insert(
            conn,
            WeeklyReview.__table__,
            _weekly_review_rows(plans, sponsorships, people_by_id, rng, clock),
        )
        # Through the audit trail's own append, so the demo's event starts the hash chain.
        append_events(
            conn,
            [
                {
                    "at": now,
                    "actor_id": None,
                    "actor_role": None,
                    "action": "demo_loaded",
                    "member_id": None,
                    "categories": "",
                    "purpose": None,
                    "screen": None,
                    "outcome": "allowed",
                    "detail": f"{members} members x {days} days",
                }
            ],
        )
        if conn.dialect.name == "postgresql":
            _advance_postgres_sequences(conn)
    report(1.0, "Demo caseload loaded")

    return DemoSummary(
        password=DEMO_PASSWORD,
        accounts=[DemoAccount(p.username, p.display_name, p.roles) for p in people],
        members=members,
        sponsors=sponsor_count,
        counselors=counselor_count,
        checkins=checkin_total,
        consents=len(consent_rows),
        flags=len(flag_rows),
    )
