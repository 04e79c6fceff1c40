"""Reads of member data, for the member themself and for the viewers they consented to.

Every function here asks the consent policy first and leaves exactly one audit
event per member disclosed, in the caller's transaction. Categories not granted
come back as None, so screens can say "not shared" instead of showing an empty
value as if it were data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.errors import NotFound
from dashboard.policy import (
    ALL_CATEGORIES,
    audit_disclosures,
    consent_is_active,
    disclose,
    shared_categories_by_member,
)
from dashboard.progress import sobriety_days
from dashboard.timeutil import local_today
from models import CheckIn, Consent, Flag, MemberProfile, StepProgress, User, utcnow

SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True)
class CheckInView:
    local_date: date
    mood: int
    craving: int
    used_substances: bool
    meetings: int
    actions: tuple[str, ...]
    sleep_hours: float | None
    hard_day: bool
    is_late: bool
    # The member's own words: None unless notes are shared.
    gratitude: str | None
    journal: str | None
    hard_day_reason: str | None


@dataclass(frozen=True)
class StepView:
    step: int
    status: str
    started_on: date | None
    completed_on: date | None
    notes: str | None


@dataclass(frozen=True)
class FlagView:
    id: int
    rule_id: str
    severity: str
    raised_on: date
    reason: str
    quoted_text: str | None
    status: str
    acknowledged_at: datetime | None
    outreach_method: str | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class MemberRecord:
    member_id: int
    display_name: str
    timezone: str
    categories: frozenset[str]
    today: date
    sobriety_date: date | None
    checkins: list[CheckInView] | None
    steps: list[StepView] | None
    flags: list[FlagView] | None
    # For a viewer: when the consents that let them see this end (None for the member).
    shared_until: datetime | None = None
    days: int = 30  # the range of check-ins read, ending today

    @property
    def days_sober(self) -> int | None:
        if self.sobriety_date is None:
            return None
        return sobriety_days(self.sobriety_date, self.today)

    @property
    def current_step(self) -> int | None:
        return current_step_of(self.steps)


def current_step_of(steps: list[StepView] | None) -> int | None:
    """The lowest step not completed; 12 once every step is done; None when not shared."""
    if steps is None:
        return None
    open_steps = [s.step for s in steps if s.status != "completed"]
    return min(open_steps) if open_steps else 12


def member_record(
    *, session: Session, actor: Actor, member_id: int, purpose: str | None, screen: str,
    days: int = 30, now: datetime | None = None,
) -> MemberRecord:
    """One member's check-ins over `days`, steps and flags, as far as the actor may see them."""
    now = now or utcnow()
    member = session.get(User, member_id)
    if member is None or member.profile is None:
        # Audited like any other request; answered like a member without consent.
        disclose(session, actor=actor, member_id=member_id, wanted=(), purpose=purpose,
                 screen=screen, at=now)
        raise NotFound()
    granted = disclose(session, actor=actor, member_id=member_id, wanted=ALL_CATEGORIES,
                       purpose=purpose, screen=screen, at=now)
    today = local_today(member.timezone, now)
    notes = "notes" in granted

    checkins = None
    if "checkins" in granted:
        rows = session.scalars(
            select(CheckIn)
            .where(CheckIn.member_id == member_id, CheckIn.local_date > today - timedelta(days=days))
            .order_by(CheckIn.local_date.desc())
        )
        checkins = [_checkin_view(c, notes) for c in rows]

    steps = None
    if "steps" in granted:
        steps = [
            StepView(step=s.step, status=s.status, started_on=s.started_on,
                     completed_on=s.completed_on, notes=s.notes if notes else None)
            for s in session.scalars(
                select(StepProgress).where(StepProgress.member_id == member_id)
                .order_by(StepProgress.step)
            )
        ]

    flags = None
    if "flags" in granted:
        flags = [
            FlagView(id=f.id, rule_id=f.rule_id, severity=f.severity, raised_on=f.raised_on,
                     reason=f.reason, quoted_text=f.quoted_text if notes else None,
                     status=f.status, acknowledged_at=f.acknowledged_at,
                     outreach_method=f.outreach_method, resolved_at=f.resolved_at)
            for f in session.scalars(
                select(Flag).where(Flag.member_id == member_id)
                .order_by(Flag.raised_on.desc(), Flag.id.desc())
            )
        ]

    shared_until = None
    if actor.id != member_id:
        shared_until = session.scalar(
            select(func.max(Consent.expires_at)).where(
                Consent.member_id == member_id, Consent.recipient_id == actor.id,
                Consent.purpose == purpose, consent_is_active(now))
        )
    return MemberRecord(
        member_id=member_id, display_name=member.display_name, timezone=member.timezone,
        categories=granted, today=today, shared_until=shared_until, days=days,
        sobriety_date=member.profile.sobriety_date if "checkins" in granted else None,
        checkins=checkins, steps=steps, flags=flags,
    )


def _checkin_view(c: CheckIn, notes: bool) -> CheckInView:
    actions = tuple(
        name for name in ("prayer_meditation", "called_support", "read_literature", "step_work")
        if getattr(c, name)
    )
    return CheckInView(
        local_date=c.local_date, mood=c.mood, craving=c.craving,
        used_substances=c.used_substances, meetings=c.meetings, actions=actions,
        sleep_hours=c.sleep_hours, hard_day=c.hard_day, is_late=c.is_late,
        gratitude=c.gratitude if notes else None, journal=c.journal if notes else None,
        hard_day_reason=c.hard_day_reason if notes else None,
    )


@dataclass(frozen=True)
class MemberOverview:
    """One row of a viewer's list of members. None means the category is not shared."""

    member_id: int
    display_name: str
    categories: frozenset[str]
    last_checkin: date | None
    checkins_7d: int | None
    mean_mood_7d: float | None
    max_craving_7d: int | None
    days_sober: int | None
    current_step: int | None
    open_flags: int | None
    risk: str | None  # highest severity among open flags, "none" when there are none


def shared_members_overview(
    *, session: Session, actor: Actor, purpose: str, screen: str, now: datetime | None = None,
) -> list[MemberOverview]:
    """Every member who shares with the actor for `purpose`, with a few set-based aggregates.

    A constant number of statements whatever the number of members.
    """
    now = now or utcnow()
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=purpose)
    if not shared:
        return []
    ids = list(shared)
    today = now.date()
    week_start = today - timedelta(days=6)

    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    sobriety = dict(
        session.execute(
            select(MemberProfile.user_id, MemberProfile.sobriety_date)
            .where(MemberProfile.user_id.in_(ids))
        ).all()
    )
    week = {
        row.member_id: row
        for row in session.execute(
            select(
                CheckIn.member_id,
                func.max(CheckIn.local_date).label("last"),
                func.count(case((CheckIn.local_date >= week_start, 1))).label("n7"),
                func.avg(case((CheckIn.local_date >= week_start, CheckIn.mood))).label("mood7"),
                func.max(case((CheckIn.local_date >= week_start, CheckIn.craving))).label("crav7"),
            )
            .where(CheckIn.member_id.in_(ids))
            .group_by(CheckIn.member_id)
        )
    }
    steps = dict(
        session.execute(
            select(
                StepProgress.member_id,
                func.min(case((StepProgress.status != "completed", StepProgress.step))),
            )
            .where(StepProgress.member_id.in_(ids))
            .group_by(StepProgress.member_id)
        ).all()
    )
    severity_rank = case(
        *((Flag.severity == name, rank) for name, rank in SEVERITY_RANK.items()), else_=0
    )
    flags = {
        row.member_id: row
        for row in session.execute(
            select(Flag.member_id, func.count().label("n"), func.max(severity_rank).label("rank"))
            .where(Flag.member_id.in_(ids), Flag.status == "open")
            .group_by(Flag.member_id)
        )
    }
    rank_name = {rank: name for name, rank in SEVERITY_RANK.items()}

    rows = []
    for member_id in ids:
        granted = shared[member_id]
        w = week.get(member_id)
        f = flags.get(member_id)
        checkins = "checkins" in granted
        rows.append(
            MemberOverview(
                member_id=member_id,
                display_name=names.get(member_id, ""),
                categories=granted,
                last_checkin=(w.last if w else None) if checkins else None,
                checkins_7d=(w.n7 if w else 0) if checkins else None,
                mean_mood_7d=(float(w.mood7) if w and w.mood7 is not None else None)
                if checkins else None,
                max_craving_7d=(w.crav7 if w else None) if checkins else None,
                days_sober=sobriety_days(sobriety[member_id], today)
                if checkins and member_id in sobriety else None,
                current_step=(steps.get(member_id) or 12) if "steps" in granted else None,
                open_flags=(f.n if f else 0) if "flags" in granted else None,
                risk=(rank_name.get(f.rank, "none") if f else "none")
                if "flags" in granted else None,
            )
        )
    rows.sort(key=lambda r: (-SEVERITY_RANK.get(r.risk or "", 0), r.display_name.lower()))
    audit_disclosures(session, actor=actor, granted_by_member=shared, purpose=purpose,
                      screen=screen, at=now)
    return rows


@dataclass(frozen=True)
class AlertRow:
    flag_id: int
    member_id: int
    display_name: str
    severity: str
    rule_id: str
    raised_on: date
    reason: str
    quoted_text: str | None
    status: str


def open_flags_queue(
    *, session: Session, actor: Actor, purpose: str, screen: str, now: datetime | None = None,
) -> list[AlertRow]:
    """Open and acknowledged flags of every member who shares flags, most severe and oldest first."""
    now = now or utcnow()
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=purpose)
    with_flags = [m for m, cats in shared.items() if "flags" in cats]
    if not with_flags:
        return []
    severity_rank = case(
        *((Flag.severity == name, rank) for name, rank in SEVERITY_RANK.items()), else_=0
    )
    rows = session.execute(
        select(Flag, User.display_name)
        .join(User, User.id == Flag.member_id)
        .where(Flag.member_id.in_(with_flags), Flag.status != "resolved")
        .order_by(severity_rank.desc(), Flag.raised_on, Flag.id)
    ).all()
    alerts = [
        AlertRow(flag_id=f.id, member_id=f.member_id, display_name=name, severity=f.severity,
                 rule_id=f.rule_id, raised_on=f.raised_on, reason=f.reason,
                 quoted_text=f.quoted_text if "notes" in shared[f.member_id] else None,
                 status=f.status)
        for f, name in rows
    ]
    disclosed = {a.member_id for a in alerts}
    audit_disclosures(
        session, actor=actor, purpose=purpose, screen=screen, at=now,
        granted_by_member={m: shared[m] & {"flags", "notes"} for m in disclosed},
    )
    return alerts


def shared_member_choices(
    *, session: Session, actor: Actor, purpose: str, now: datetime | None = None
) -> dict[int, str]:
    """Names of the members the actor may open for `purpose`, for a picker (no data of theirs)."""
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now or utcnow(),
                                         purpose=purpose)
    if not shared:
        return {}
    rows = session.execute(
        select(User.id, User.display_name).where(User.id.in_(list(shared)))
        .order_by(func.lower(User.display_name), User.id)
    )
    return {member_id: name for member_id, name in rows}
