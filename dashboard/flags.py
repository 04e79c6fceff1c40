"""The flags engine: explainable rules over a member's check-ins, raised once per episode,
worked open -> acknowledged -> resolved by a viewer the member shares flags with.

Rules are data: an id, a severity, thresholds from configuration and a function that
returns findings with their reasons in words. Day rules (a hard day, reported use, a
high craving) have the day as their episode. Pattern rules (low mood, rising craving)
start an episode when the pattern appears and keep it while a flag of it is unresolved,
so editing a check-in or evaluating twice never raises a duplicate. The time rule (no
check-in for some days) has the last check-in's date as its episode: it is raised by
`sweep`, which the CLI and the viewers' screens call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.config import FlagThresholds, settings
from dashboard.errors import NotFound, ValidationError
from dashboard.policy import ROLE_FOR_PURPOSE, disclose, visible_members
from dashboard.text import clean_text
from dashboard.timeutil import day_label, local_today
from models import OUTREACH_METHODS, CheckIn, Flag, User

MAX_OUTREACH_NOTE = 1000
SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}


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
    silent = (today - last_checkin).days
    if silent < t.silent_days:
        return None
    return Finding(last_checkin.isoformat(), today,
                   f"No check-in since {_when(last_checkin)} ({silent} days)")


def _insert_flags(session: Session, rows: list[dict]) -> int:
    """Insert new flags, ignoring any whose episode already has one (race-safe)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Flag).on_conflict_do_nothing(
        index_elements=["member_id", "rule_id", "episode_key"]
    )
    result = session.execute(statement.returning(Flag.id), rows)
    return len(result.all())


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
        # A pattern that already has an unresolved flag is the same episode going on.
        ongoing = set(session.scalars(
            select(Flag.rule_id).where(Flag.member_id == member_id,
                                       Flag.rule_id.in_(pattern_rules),
                                       Flag.status != "resolved")
        ))
    rows = [
        {"member_id": member_id, "rule_id": rule.id, "severity": rule.severity,
         "raised_on": f.raised_on, "episode_key": f.episode_key, "reason": f.reason,
         "quoted_text": f.quoted_text, "checkin_id": f.checkin_id, "status": "open",
         "created_at": now}
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
    # Members who never checked in are left out here rather than in SQL, where PostgreSQL
    # would look up the latest check-in a second time for the condition.
    query = select(User.id, last, User.timezone).where(User.is_active)
    if member_ids is not None:
        if not isinstance(member_ids, Select):
            member_ids = list(member_ids)
            if not member_ids:
                return 0
        query = query.where(User.id.in_(member_ids))
    return raise_silence_flags(session, (row for row in session.execute(query) if row[1]),
                               now=now, thresholds=thresholds)


def raise_silence_flags(
    session: Session, last_checkins: Iterable[tuple[int, date, str]], *, now: datetime,
    thresholds: FlagThresholds | None = None,
) -> int:
    """The time rule over (member id, last check-in, time zone) rows of active members
    that have checked in at least once: raises the flags due, once per episode. For a
    screen that has read those rows anyway (the caseload), and for `sweep`."""
    thresholds = thresholds or settings().flag_thresholds
    rows = []
    for member_id, last, tz in last_checkins:
        finding = no_checkin_finding(last, local_today(tz, now), thresholds)
        if finding is not None:
            rows.append({"member_id": member_id, "rule_id": NO_CHECKIN,
                         "severity": NO_CHECKIN_SEVERITY, "raised_on": finding.raised_on,
                         "episode_key": finding.episode_key, "reason": finding.reason,
                         "quoted_text": None, "checkin_id": None, "status": "open",
                         "created_at": now})
    return _insert_flags(session, rows)


def risk_level(open_severities: Iterable[str]) -> str:
    """Highest severity among a member's open flags; "none" without any."""
    best = max((SEVERITY_RANK.get(s, 0) for s in open_severities), default=0)
    return {3: "high", 2: "medium", 1: "low"}.get(best, "none")


def _flag_for_viewer(session: Session, *, actor: Actor, flag_id: int, purpose: str,
                     screen: str, action: str, now: datetime) -> Flag:
    """The flag, when the actor may act on it: a consent that includes flags. Audited."""
    flag = session.get(Flag, flag_id, with_for_update=True)
    # An unknown flag is audited and answered like a flag of a member who does not share.
    member_id = flag.member_id if flag is not None else 0
    disclose(session, actor=actor, member_id=member_id, wanted={"flags"}, purpose=purpose,
             screen=screen, action=action, at=now)
    if flag is None:
        raise NotFound()
    return flag


def acknowledge_flag(
    *, session: Session, actor: Actor, flag_id: int, outreach_method: str | None,
    outreach_note: str, purpose: str, screen: str, now: datetime,
) -> None:
    """Record that the viewer reached out: open -> acknowledged, with how and a short note."""
    errors = {}
    if outreach_method not in OUTREACH_METHODS:
        errors["outreach_method"] = "Choose how you reached out: called, texted, met or other."
    note = clean_text(outreach_note, multiline=True)
    if len(note) > MAX_OUTREACH_NOTE:
        errors["outreach_note"] = f"Keep the note to {MAX_OUTREACH_NOTE} characters."
    if errors:
        raise ValidationError(errors)
    flag = _flag_for_viewer(session, actor=actor, flag_id=flag_id, purpose=purpose,
                            screen=screen, action="flag_acknowledged", now=now)
    if flag.status != "open":
        raise ValidationError("This flag was already acknowledged; refresh to see who did.")
    flag.status = "acknowledged"
    flag.acknowledged_by_id = actor.id
    flag.acknowledged_at = now
    flag.outreach_method = outreach_method
    flag.outreach_note = note or None


def resolve_flag(*, session: Session, actor: Actor, flag_id: int, purpose: str, screen: str,
                 now: datetime) -> None:
    """Close an acknowledged flag."""
    flag = _flag_for_viewer(session, actor=actor, flag_id=flag_id, purpose=purpose,
                            screen=screen, action="flag_resolved", now=now)
    if flag.status == "open":
        raise ValidationError("Acknowledge the flag with how you reached out before resolving it.")
    if flag.status == "resolved":
        raise ValidationError("This flag is already resolved.")
    flag.status = "resolved"
    flag.resolved_by_id = actor.id
    flag.resolved_at = now


def viewer_member_ids(session: Session, *, actor: Actor, purpose: str, now: datetime) -> list[int]:
    """Members sharing flags with the actor for `purpose`, for a screen's own sweep."""
    if not actor.has_role(ROLE_FOR_PURPOSE[purpose]):
        return []
    return list(session.scalars(visible_members(viewer_id=actor.id, at=now, purpose=purpose,
                                                category="flags")))

