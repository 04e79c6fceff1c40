"""The flags engine: explainable rules over a member's check-ins, raised once per episode,
and the member's risk from the flags still going on.

Rules are data: an id, a severity, thresholds from configuration and a function that
returns findings with their reasons in words. Day rules (a hard day, reported use, a
high craving) have the day as their episode. Pattern rules (low mood, rising craving)
start an episode when the pattern appears, which goes on for EPISODE_DAYS, so editing a
check-in or evaluating twice never raises a duplicate. The time rule (no check-in for
some days) has the last check-in's date as its episode, which goes on until the next
check-in: it is raised by `sweep`, which the CLI and the viewers' screens call.

A flag is the member's. Risk describes the member: the highest severity among the flags
whose episode is still going on, whatever anyone did about them. Follow-up is each
viewer's own (dashboard/follow_up.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dashboard.config import FlagThresholds, settings
from dashboard.timeutil import day_label, local_today
from models import CheckIn, Flag, User

SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
# How long a flag other than silence is "going on" after the day that raised it: it
# counts in the member's risk, and a pattern is not raised again, for that long.
EPISODE_DAYS = 7


@dataclass(frozen=True)
class Day:
    """One check-in, as the rules see it."""

    id: int | None
    local_date: date
    mood: int
    craving: int
    used_substances: bool
    hard_day: bool
    hard_day_reason: str | None


@dataclass(frozen=True)
class Finding:
    episode_key: str
    raised_on: date
    reason: str
    quoted_text: str | None = None
    checkin_id: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    kind: str  # "day", "pattern" or "time"
    # (history ordered by date and ending at the evaluated day, thresholds) -> finding or None
    check: Callable[[Sequence[Day], FlagThresholds], Finding | None]


def _when(day: date) -> str:
    # Kept in the flag as written: with its year, for whoever reads it whenever.
    return day_label(day, weekday=True, short=True)


def _hard_day(history: Sequence[Day], t: FlagThresholds) -> Finding | None:
    day = history[-1]
    if not day.hard_day:
        return None
    return Finding(day.local_date.isoformat(), day.local_date,
                   f"Marked {_when(day.local_date)} a hard day", day.hard_day_reason or None,
                   day.id)


def _used(history: Sequence[Day], t: FlagThresholds) -> Finding | None:
    day = history[-1]
    if not day.used_substances:
        return None
    return Finding(day.local_date.isoformat(), day.local_date,
                   f"Reported use on {_when(day.local_date)}", None, day.id)


def _high_craving(history: Sequence[Day], t: FlagThresholds) -> Finding | None:
    day = history[-1]
    if day.craving < t.high_craving:
        return None
    return Finding(day.local_date.isoformat(), day.local_date,
                   f"Craving {day.craving}/10 on {_when(day.local_date)}", None, day.id)


def _low_mood(history: Sequence[Day], t: FlagThresholds) -> Finding | None:
    last = history[-t.low_mood_window:]
    low = sum(1 for d in last if d.mood <= t.low_mood_at_most)
    if low < t.low_mood_count:
        return None
    day = history[-1]
    return Finding(day.local_date.isoformat(), day.local_date,
                   f"Low mood on {low} of the last {len(last)} check-ins", None, day.id)


def _craving_rising(history: Sequence[Day], t: FlagThresholds) -> Finding | None:
    day = history[-1].local_date
    recent_start = day - timedelta(days=t.craving_recent_days - 1)
    baseline_start = recent_start - timedelta(days=t.craving_baseline_days)
    recent = [d.craving for d in history if recent_start <= d.local_date <= day]
    baseline = [d.craving for d in history if baseline_start <= d.local_date < recent_start]
    # Too few days say nothing about a person's usual level.
    if len(recent) < 3 or len(baseline) < 7:
        return None
    recent_mean = sum(recent) / len(recent)
    usual = sum(baseline) / len(baseline)
    if round(recent_mean - usual, 6) < t.craving_rise:
        return None
    return Finding(day.isoformat(), day,
                   f"Craving rising: {recent_mean:.1f} vs {usual:.1f} usual", None,
                   history[-1].id)


RULES: tuple[Rule, ...] = (
    Rule("hard_day", "medium", "day", _hard_day),
    Rule("used_substances", "high", "day", _used),
    Rule("high_craving", "high", "day", _high_craving),
    Rule("low_mood", "medium", "pattern", _low_mood),
    Rule("craving_rising", "low", "pattern", _craving_rising),
)
NO_CHECKIN = "no_checkin"
NO_CHECKIN_SEVERITY = "medium"
HISTORY_DAYS = 40  # enough for the baseline window and the pattern windows


def no_checkin_finding(last_checkin: date, today: date, t: FlagThresholds) -> Finding | None:
    """The time rule: no check-in for `silent_days` days or more, after at least one."""
    if not is_silent(last_checkin, today, t):
        return None
    silent = (today - last_checkin).days
    return Finding(last_checkin.isoformat(), today,
                   f"No check-in since {_when(last_checkin)} ({silent} days)")


def _insert_flags(session: Session, rows: list[dict]) -> list[int]:
    """Insert new flags, ignoring any whose episode already has one (race-safe); the
    member ids of those inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Flag).on_conflict_do_nothing(
        index_elements=["member_id", "rule_id", "episode_key"]
    )
    return list(session.execute(statement.returning(Flag.member_id), rows).scalars())


def _history(session: Session, member_id: int, through: date) -> list[Day]:
    rows = session.execute(
        select(CheckIn.id, CheckIn.local_date, CheckIn.mood, CheckIn.craving,
               CheckIn.used_substances, CheckIn.hard_day, CheckIn.hard_day_reason)
        .where(CheckIn.member_id == member_id,
               CheckIn.local_date > through - timedelta(days=HISTORY_DAYS),
               CheckIn.local_date <= through)
        .order_by(CheckIn.local_date)
    )
    return [Day(*row) for row in rows]


def evaluate_checkin(
    session: Session, *, member_id: int, local_date: date, now: datetime,
    thresholds: FlagThresholds | None = None,
) -> list[str]:
    """Raise the flags a saved or edited check-in calls for; returns the rule ids raised."""
    thresholds = thresholds or settings().flag_thresholds
    history = _history(session, member_id, local_date)
    if not history or history[-1].local_date != local_date:
        return []
    findings = [(rule, rule.check(history, thresholds)) for rule in RULES]
    findings = [(rule, f) for rule, f in findings if f is not None]
    if not findings:
        return []
    pattern_rules = [rule.id for rule, _ in findings if rule.kind == "pattern"]
    ongoing = set()
    if pattern_rules:
        # A pattern raised in the last EPISODE_DAYS is the same episode going on.
        ongoing = set(session.scalars(
            select(Flag.rule_id).where(
                Flag.member_id == member_id, Flag.rule_id.in_(pattern_rules),
                Flag.raised_on >= local_date - timedelta(days=EPISODE_DAYS),
                Flag.raised_on <= local_date)
        ))
    rows = [
        {"member_id": member_id, "rule_id": rule.id, "severity": rule.severity,
         "raised_on": f.raised_on, "episode_key": f.episode_key, "reason": f.reason,
         "quoted_text": f.quoted_text, "checkin_id": f.checkin_id, "created_at": now}
        for rule, f in findings if rule.id not in ongoing
    ]
    _insert_flags(session, rows)
    return [row["rule_id"] for row in rows]


def sweep(
    session: Session, *, now: datetime,
    member_ids: Iterable[int] | Select | None = None, thresholds: FlagThresholds | None = None,
) -> int:
    """Raise the time-based flags for every member (or those given, as ids or as a query
    of ids); idempotent.

    A constant number of statements whatever the number of members.
    """
    thresholds = thresholds or settings().flag_thresholds
    # One index lookup per member (member_id, local_date), not a GROUP BY over every check-in.
    last = (select(func.max(CheckIn.local_date)).where(CheckIn.member_id == User.id)
            .scalar_subquery())
    # A member who checked in on one of the last days is silent in no time zone: the
    # latest day on Earth is UTC+14's. They are left out through the index of days, so
    # that only those who may be silent have their last check-in looked up (2,000 lookups
    # cost an Alerts view 20 ms). Members who never checked in are left out here rather
    # than in SQL, where PostgreSQL would look up the latest check-in a second time.
    latest_day_on_earth = (now.astimezone(UTC) + timedelta(hours=14)).date()
    checked_in_lately = select(CheckIn.member_id).where(
        CheckIn.local_date > latest_day_on_earth - timedelta(days=thresholds.silent_days))
    query = select(User.id, last, User.timezone).where(
        User.is_active, User.id.not_in(checked_in_lately))
    if member_ids is not None:
        if not isinstance(member_ids, Select):
            member_ids = list(member_ids)
            if not member_ids:
                return 0
        query = query.where(User.id.in_(member_ids))
    return len(raise_silence_flags(session, (row for row in session.execute(query) if row[1]),
                                   now=now, thresholds=thresholds))


def raise_silence_flags(
    session: Session, last_checkins: Iterable[tuple[int, date, str]], *, now: datetime,
    thresholds: FlagThresholds | None = None,
) -> list[int]:
    """The time rule over (member id, last check-in, time zone) rows of active members
    that have checked in at least once: raises the flags due, once per episode, and
    returns the ids of the members it raised one for. For a screen that has read those
    rows anyway (the caseload), and for `sweep`."""
    thresholds = thresholds or settings().flag_thresholds
    rows = []
    today_in: dict[str, date] = {}  # a caseload has thousands of members, a few zones
    for member_id, last, tz in last_checkins:
        today = today_in.get(tz)
        if today is None:
            today = today_in[tz] = local_today(tz, now)
        finding = no_checkin_finding(last, today, thresholds)
        if finding is not None:
            rows.append({"member_id": member_id, "rule_id": NO_CHECKIN,
                         "severity": NO_CHECKIN_SEVERITY, "raised_on": finding.raised_on,
                         "episode_key": finding.episode_key, "reason": finding.reason,
                         "quoted_text": None, "checkin_id": None, "created_at": now})
    if rows:
        # Most screens find the episodes due already raised by an earlier run: read which,
        # rather than send every row to an insert that ignores them.
        raised = {(member_id, episode) for member_id, episode in session.execute(
            select(Flag.member_id, Flag.episode_key)
            .where(Flag.rule_id == NO_CHECKIN,
                   Flag.member_id.in_({row["member_id"] for row in rows}),
                   Flag.episode_key.in_({row["episode_key"] for row in rows})))}
        rows = [row for row in rows if (row["member_id"], row["episode_key"]) not in raised]
    return _insert_flags(session, rows)


def risk_level(severities: Iterable[str]) -> str:
    """Highest of the severities given; "none" without any."""
    best = max((SEVERITY_RANK.get(s, 0) for s in severities), default=0)
    return {3: "high", 2: "medium", 1: "low"}.get(best, "none")


def is_going_on(*, rule_id: str, raised_on: date, episode_key: str, member_today: date,
                last_checkin: date | None) -> bool:
    """Whether a flag's episode is still going on: a silence flag until the next check-in,
    the others for EPISODE_DAYS after the day that raised them (the member's days)."""
    if rule_id == NO_CHECKIN:
        return last_checkin is not None and last_checkin.isoformat() <= episode_key
    return raised_on <= member_today <= raised_on + timedelta(days=EPISODE_DAYS)


def latest_silence_episode():
    """A correlated subquery for a row of User: the episode of the member's newest silence
    flag (an index seek on the episode key, which is a date in ISO form)."""
    return (select(func.max(Flag.episode_key))
            .where(Flag.member_id == User.id, Flag.rule_id == NO_CHECKIN)
            .correlate(User).scalar_subquery())


def latest_checkin():
    """A correlated subquery for a row of User: the member's last check-in date."""
    return (select(func.max(CheckIn.local_date)).where(CheckIn.member_id == User.id)
            .correlate(User).scalar_subquery())


def is_silent(last_checkin: date | None, today: date, t: FlagThresholds) -> bool:
    """The time rule's condition: no check-in for `silent_days` days or more, after one.
    While it holds the episode of the last check-in is going on, and the sweep (or the
    caseload, from the rows it reads) has raised its flag for every active member."""
    return last_checkin is not None and (today - last_checkin).days >= t.silent_days


@dataclass(frozen=True)
class MemberDays:
    """What risk needs to know of a member besides their recent flags."""

    today: date
    last_checkin: date | None
    silence_episode: str | None  # of the newest silence flag


def recent_flag_severities(session: Session, members, *, now: datetime
                           ) -> dict[int, list[tuple[str, date]]]:
    """(severity, raised on) of each member's flags other than silence raised in the
    last EPISODE_DAYS (and a day more, for the time zones ahead of UTC)."""
    since = now.date() - timedelta(days=EPISODE_DAYS + 1)
    found: dict[int, list[tuple[str, date]]] = {}
    for member_id, severity, raised_on in session.connection().execute(
        select(Flag.member_id, Flag.severity, Flag.raised_on)
        .where(Flag.member_id.in_(members), Flag.rule_id != NO_CHECKIN, Flag.raised_on >= since)
    ):
        found.setdefault(member_id, []).append((severity, raised_on))
    return found


def risk_of(days: MemberDays, recent: Iterable[tuple[str, date]], *,
            silence_severity: str = NO_CHECKIN_SEVERITY) -> str:
    """A member's risk from what `recent_flag_severities` and MemberDays hold."""
    if not recent and days.silence_episode is None:
        return "none"  # most of a caseload, most days
    going_on = [severity for severity, raised_on in recent
                if is_going_on(rule_id="", raised_on=raised_on, episode_key="",
                               member_today=days.today, last_checkin=None)]
    if days.silence_episode is not None and is_going_on(
            rule_id=NO_CHECKIN, raised_on=days.today, episode_key=days.silence_episode,
            member_today=days.today, last_checkin=days.last_checkin):
        going_on.append(silence_severity)
    return risk_level(going_on)


def member_risks(session: Session, *, member_ids, now: datetime) -> dict[int, str]:
    """Each member's risk (ids, or a query of ids): two statements whatever their number."""
    days = {
        member_id: MemberDays(local_today(tz, now), last, episode)
        for member_id, tz, last, episode in session.connection().execute(
            select(User.id, User.timezone, latest_checkin(), latest_silence_episode())
            .where(User.id.in_(member_ids))
        )
    }
    recent = recent_flag_severities(session, member_ids, now=now)
    return {member_id: risk_of(d, recent.get(member_id, ())) for member_id, d in days.items()}
