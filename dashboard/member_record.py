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
from dashboard.categories import shown, visible
from dashboard.errors import NotFound
from dashboard.flags import member_risks
from dashboard.follow_up import OPEN, follow_ups
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
    own = actor.id == member_id

    checkins = None
    if "checkins" in granted:
        rows = session.scalars(
            select(CheckIn)
            .where(CheckIn.member_id == member_id, CheckIn.local_date > today - timedelta(days=days))
            .order_by(CheckIn.local_date.desc())
        )
        checkins = [_checkin_view(c, granted, own=own) for c in rows]

    steps = None
    if "steps" in granted:
        steps = [
            StepView(step=s.step, status=s.status, started_on=s.started_on,
                     completed_on=s.completed_on, notes=shown("step_notes", granted, s.notes))
            for s in session.scalars(
                select(StepProgress).where(StepProgress.member_id == member_id)
                .order_by(StepProgress.step)
            )
        ]

    flags = risk = None
    if "flags" in granted:
        rows = list(session.scalars(
            select(Flag).where(Flag.member_id == member_id)
            .order_by(Flag.raised_on.desc(), Flag.id.desc())
        ))
        # The viewer's own follow-up of each flag; the member's own view has none.
        mine = {} if own else follow_ups(session, viewer_id=actor.id,
                                         flag_ids=(f.id for f in rows))
        flags = []
        for f in rows:
            follow_up = mine.get(f.id, OPEN)
            flags.append(FlagView(
                id=f.id, rule_id=f.rule_id, severity=f.severity, raised_on=f.raised_on,
                reason=f.reason, quoted_text=shown("flag_quote", granted, f.quoted_text),
                status=follow_up.status, acknowledged_at=follow_up.acknowledged_at,
                outreach_method=follow_up.outreach_method, resolved_at=follow_up.resolved_at))
        risk = member_risks(session, member_ids=[member_id], now=now).get(member_id, "none")

    shared_until = sobriety_history = None
    if own:
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
        sobriety_date=shown("sobriety_date", granted, member.profile.sobriety_date),
        checkins=checkins, steps=steps, flags=flags, sobriety_history=sobriety_history,
        risk=risk,
    )


def _checkin_view(c: CheckIn, granted: frozenset[str], *, own: bool) -> CheckInView:
    """A check-in as far as `granted` shows it (dashboard/categories.py). A journal entry
    goes to a viewer only when notes are shared and the member marked that entry shared;
    the member reads all of theirs."""
    actions = tuple(
        name for name in ("prayer_meditation", "called_support", "read_literature", "step_work")
        if getattr(c, name)
    )
    journal_visible = visible("journal", granted) and (own or c.journal_shared)
    return CheckInView(
        local_date=c.local_date, mood=c.mood, craving=c.craving,
        used_substances=c.used_substances, meetings=c.meetings, actions=actions,
        sleep_hours=c.sleep_hours, hard_day=shown("hard_day", granted, c.hard_day),
        is_late=c.is_late, gratitude=shown("gratitude", granted, c.gratitude),
        journal=c.journal if journal_visible else None,
        hard_day_reason=shown("hard_day_reason", granted, c.hard_day_reason),
        journal_shared=shown("journal", granted, c.journal_shared),
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
