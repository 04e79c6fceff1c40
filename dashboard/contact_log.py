"""Each viewer's contact log with each member they follow: dated entries of how they were
in touch (called, texted, in person, at a meeting, other), with an optional note kept
encrypted like the other notes. The log is the viewer's own record: nobody else reads it,
and "last contact" on their screens is their own last entry.

Acknowledging a flag (dashboard/flags.py) and marking a week reviewed
(dashboard/weekly_review.py) each write one entry; a viewer adds the others here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.errors import ValidationError
from dashboard.policy import disclose, shared_categories_by_member
from dashboard.text import clean_text
from dashboard.timeutil import local_today
from models import OUTREACH_METHODS, ContactEntry, Flag

MAX_CONTACT_NOTE = 1000
# How far back an entry may be dated: a contact forgotten for a while, not a diary of years.
MAX_DAYS_BACK = 90
HISTORY_SHOWN = 50


@dataclass(frozen=True)
class ContactView:
    contacted_on: date
    method: str
    note: str | None
    kind: str  # "contact", "flag" (an acknowledgement) or "review" (a week reviewed)
    about: str | None  # the flag's reason, or the week reviewed


def add_contact(
    *, session: Session, actor: Actor, member_id: int, purpose: str, screen: str,
    contacted_on: date | None, method: str | None, note: str, now: datetime,
) -> None:
    """One entry in the actor's contact log with a member who shares with them."""
    today = local_today(actor.timezone, now)
    errors = {}
    if method not in OUTREACH_METHODS:
        errors["method"] = ("Choose how you were in touch: called, texted, in person, at a "
                            "meeting or other.")
    if contacted_on is None:
        errors["contacted_on"] = "Choose the day you were in touch."
    elif contacted_on > today:
        errors["contacted_on"] = "The day cannot be in the future."
    elif contacted_on < today - timedelta(days=MAX_DAYS_BACK):
        errors["contacted_on"] = f"Choose a day within the last {MAX_DAYS_BACK} days."
    note = clean_text(note, multiline=True)
    if len(note) > MAX_CONTACT_NOTE:
        errors["note"] = f"Keep the note to {MAX_CONTACT_NOTE} characters."
    if errors:
        raise ValidationError(errors)
    # Only a viewer the member shares with (any category) keeps a log of them.
    categories = shared_categories_by_member(session, viewer_id=actor.id, at=now,
                                             purpose=purpose).get(member_id)
    disclose(session, actor=actor, member_id=member_id, wanted=categories or {"checkins"},
             purpose=purpose, screen=screen, action="contact_logged", at=now)
    session.add(ContactEntry(viewer_id=actor.id, member_id=member_id,
                             contacted_on=contacted_on, method=method, note=note or None,
                             kind="contact", created_at=now))


def contact_history(*, session: Session, actor: Actor, member_id: int,
                    categories: frozenset[str], limit: int = HISTORY_SHOWN
                    ) -> list[ContactView]:
    """The actor's own entries with a member, newest first. The caller has disclosed the
    member on its screen with `categories`: the entries are the viewer's own words, but a
    flag's reason is the member's, named only while flags are shared."""
    rows = session.execute(
        select(ContactEntry, Flag.reason)
        .outerjoin(Flag, Flag.id == ContactEntry.flag_id)
        .where(ContactEntry.viewer_id == actor.id, ContactEntry.member_id == member_id)
        .order_by(ContactEntry.contacted_on.desc(), ContactEntry.id.desc())
        .limit(limit)
    )
    return [
        ContactView(contacted_on=entry.contacted_on, method=entry.method, note=entry.note,
                    kind=entry.kind,
                    about=(reason if "flags" in categories else None)
                    if entry.kind == "flag" else entry.iso_week)
        for entry, reason in rows
    ]
