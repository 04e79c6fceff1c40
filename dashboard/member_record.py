"""Reads of member data, for the member themself and for the viewers they consented to.

Every function here asks the consent policy first and leaves exactly one audit
event per member disclosed, in the caller's transaction. Categories not granted
come back as None, so screens can say "not shared" instead of showing an empty
value as if it were data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.errors import NotFound
from dashboard.member_views import (
    CheckInView,
    FlagView,
    MemberRecord,
    SobrietyDateChangeView,
    StepView,
)
from dashboard.policy import (
    ALL_CATEGORIES,
    consent_is_active,
    disclose,
    shared_categories_by_member,
)
from dashboard.timeutil import local_today
from models import CheckIn, Consent, Flag, SobrietyDateChange, StepProgress, User


def member_record(
    *, session: Session, actor: Actor, member_id: int, purpose: str | None, screen: str,
    days: int = 30, now: datetime,
) -> MemberRecord:
    """One member's check-ins over `days`, steps and flags, as far as the actor may see them."""
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

    shared_until = sobriety_history = None
    if actor.id == member_id:
        sobriety_history = [
            SobrietyDateChangeView(previous_date=r.previous_date, new_date=r.new_date,
                                   changed_at=r.changed_at)
            for r in session.scalars(
                select(SobrietyDateChange).where(SobrietyDateChange.member_id == member_id)
                .order_by(SobrietyDateChange.changed_at.desc(), SobrietyDateChange.id.desc())
            )
        ]
    else:
        shared_until = session.scalar(
            select(func.max(Consent.expires_at)).where(
                Consent.member_id == member_id, Consent.recipient_id == actor.id,
                Consent.purpose == purpose, consent_is_active(now))
        )
    return MemberRecord(
        member_id=member_id, display_name=member.display_name, timezone=member.timezone,
        categories=granted, today=today, shared_until=shared_until, days=days,
        sobriety_date=member.profile.sobriety_date if "checkins" in granted else None,
        checkins=checkins, steps=steps, flags=flags, sobriety_history=sobriety_history,
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


def shared_member_choices(
    *, session: Session, actor: Actor, purpose: str, now: datetime
) -> dict[int, str]:
    """Names of the members the actor may open for `purpose`, for a picker (no data of theirs)."""
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now,
                                         purpose=purpose)
    if not shared:
        return {}
    rows = session.execute(
        select(User.id, User.display_name).where(User.id.in_(list(shared)))
        .order_by(func.lower(User.display_name), User.id)
    )
    return {member_id: name for member_id, name in rows}
