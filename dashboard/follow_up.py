"""Each viewer's own follow-up of a member's flags (SPEC section 6): open, then
acknowledged with how they reached out, then resolved. A flag is the member's
(dashboard/flags.py); every sponsor or counselor the member shares flags with works their
own loop (models.FlagFollowUp), so one viewer's action never changes another's queue and
no viewer learns what another did. Acknowledging writes an entry of the viewer's contact
log (dashboard/contact_log.py).

A viewer's queue holds the flags raised since the member first shared flags with them
(policy.flags_shared_since): a renewed consent keeps an unanswered flag, and a new
counselor does not inherit a member's whole history as unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.errors import NotFound, ValidationError
from dashboard.policy import disclose, flags_shared_since
from dashboard.text import clean_text
from dashboard.timeutil import local_today
from models import OUTREACH_METHODS, ContactEntry, Flag, FlagFollowUp

MAX_OUTREACH_NOTE = 1000


def needs_action_condition(*, viewer_id: int, purpose: str):
    """Flags open for the viewer: raised since the member first shared flags with them,
    and not acknowledged by them. For a query that joins `since` (flags_shared_since) as
    returned with it."""
    since = flags_shared_since(viewer_id=viewer_id, purpose=purpose).subquery("since")
    mine = select(FlagFollowUp.id).where(FlagFollowUp.flag_id == Flag.id,
                                         FlagFollowUp.viewer_id == viewer_id)
    return since, and_(Flag.member_id == since.c.member_id, Flag.created_at >= since.c.since,
                       ~mine.exists())


def needs_action_by_member(*, viewer_id: int, purpose: str) -> Select:
    """A query of (member_id, open_flags, open_high_flags): each member's flags open for
    the viewer, all and high, for every member who ever shared flags with them (the
    caller joins it to those it shows). One pass: the flags since sharing began, met with
    the viewer's follow-ups."""
    since = flags_shared_since(viewer_id=viewer_id, purpose=purpose).subquery("since")
    return (
        select(Flag.member_id, func.count().label("open_flags"),
               func.count(case((Flag.severity == "high", 1))).label("open_high_flags"))
        .select_from(since)
        .join(Flag, and_(Flag.member_id == since.c.member_id,
                         Flag.created_at >= since.c.since))
        .outerjoin(FlagFollowUp, and_(FlagFollowUp.flag_id == Flag.id,
                                      FlagFollowUp.viewer_id == viewer_id))
        .where(FlagFollowUp.id.is_(None))
        .group_by(Flag.member_id)
    )


@dataclass(frozen=True)
class FollowUp:
    """A viewer's own follow-up of one flag."""

    status: str  # "open", "acknowledged" or "resolved"
    acknowledged_at: datetime | None = None
    outreach_method: str | None = None
    resolved_at: datetime | None = None


OPEN = FollowUp("open")


def follow_ups(session: Session, *, viewer_id: int, flag_ids: Iterable[int]
               ) -> dict[int, FollowUp]:
    """The viewer's follow-up of each flag given that they acted on (one statement)."""
    flag_ids = list(flag_ids)
    if not flag_ids:
        return {}
    return {
        flag_id: FollowUp(status, acknowledged_at, method, resolved_at)
        for flag_id, status, acknowledged_at, method, resolved_at in session.execute(
            select(FlagFollowUp.flag_id, FlagFollowUp.status, FlagFollowUp.acknowledged_at,
                   ContactEntry.method, FlagFollowUp.resolved_at)
            .outerjoin(ContactEntry, ContactEntry.id == FlagFollowUp.contact_id)
            .where(FlagFollowUp.viewer_id == viewer_id, FlagFollowUp.flag_id.in_(flag_ids))
        )
    }


def _flag_for_viewer(session: Session, *, actor: Actor, flag_id: int, purpose: str,
                     screen: str, action: str, now: datetime) -> Flag:
    """The flag, when the actor may act on it: a consent that includes flags. Audited."""
    flag = session.get(Flag, flag_id)
    # An unknown flag is audited and answered like a flag of a member who does not share.
    member_id = flag.member_id if flag is not None else 0
    disclose(session, actor=actor, member_id=member_id, wanted={"flags"}, purpose=purpose,
             screen=screen, action=action, at=now)
    if flag is None:
        raise NotFound()
    return flag


def _my_follow_up(session: Session, *, viewer_id: int, flag_id: int) -> FlagFollowUp | None:
    return session.scalar(
        select(FlagFollowUp).where(FlagFollowUp.flag_id == flag_id,
                                   FlagFollowUp.viewer_id == viewer_id)
        .with_for_update()
    )


def acknowledge_flag(
    *, session: Session, actor: Actor, flag_id: int, outreach_method: str | None,
    outreach_note: str, purpose: str, screen: str, now: datetime,
) -> None:
    """Record that the viewer reached out: the flag is acknowledged for them alone, and
    their contact log gets one entry, dated their today, with how and a short note."""
    errors = {}
    if outreach_method not in OUTREACH_METHODS:
        errors["outreach_method"] = ("Choose how you reached out: called, texted, in person, "
                                     "at a meeting or other.")
    note = clean_text(outreach_note, multiline=True)
    if len(note) > MAX_OUTREACH_NOTE:
        errors["outreach_note"] = f"Keep the note to {MAX_OUTREACH_NOTE} characters."
    if errors:
        raise ValidationError(errors)
    flag = _flag_for_viewer(session, actor=actor, flag_id=flag_id, purpose=purpose,
                            screen=screen, action="flag_acknowledged", now=now)
    if _my_follow_up(session, viewer_id=actor.id, flag_id=flag_id) is not None:
        raise ValidationError("You have already acknowledged this flag.")
    contact = ContactEntry(viewer_id=actor.id, member_id=flag.member_id,
                           contacted_on=local_today(actor.timezone, now),
                           method=outreach_method, note=note or None, kind="flag",
                           flag_id=flag.id, created_at=now)
    session.add(contact)
    session.flush()
    session.add(FlagFollowUp(flag_id=flag.id, viewer_id=actor.id, status="acknowledged",
                             acknowledged_at=now, contact_id=contact.id))


def resolve_flag(*, session: Session, actor: Actor, flag_id: int, purpose: str, screen: str,
                 now: datetime) -> None:
    """Close a flag the viewer acknowledged, for them alone."""
    _flag_for_viewer(session, actor=actor, flag_id=flag_id, purpose=purpose,
                     screen=screen, action="flag_resolved", now=now)
    follow_up = _my_follow_up(session, viewer_id=actor.id, flag_id=flag_id)
    if follow_up is None:
        raise ValidationError("Acknowledge the flag with how you reached out before resolving it.")
    if follow_up.status == "resolved":
        raise ValidationError("You have already resolved this flag.")
    follow_up.status = "resolved"
    follow_up.resolved_at = now
