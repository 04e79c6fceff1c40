"""The member's side of consent: granting, revoking, what they share and who looked.

A consent holds the elements of 42 CFR Part 2 section 2.31: who shares, with whom,
for what purpose, which data, until when, a signature, the date, and the member's
acknowledgement that they may revoke it. Missing any of them, nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from dashboard.audit import record_event
from dashboard.auth import RESET_CODE_SESSION, Actor, normalize_username
from dashboard.csv_cells import csv_text
from dashboard.errors import NotFound, PermissionDenied, ValidationError
from dashboard.policy import ROLE_FOR_PURPOSE, consent_is_active
from dashboard.text import clean_text
from dashboard.timeutil import end_of_local_day, local_today, to_local
from models import CATEGORIES, PURPOSES, AuditEvent, Consent, User, UserRole

DEFAULT_CONSENT_DAYS = 365
MAX_CONSENT_DAYS = 2 * 365 + 1  # two years, leap day included
ACCOUNTING_YEARS = 3


def default_expiry(today: date) -> date:
    return today + timedelta(days=DEFAULT_CONSENT_DAYS)


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def grant_consent(
    *, session: Session, actor: Actor, recipient_username: str, purpose: str | None,
    categories: Iterable[str], expires_on: date | None, signature_name: str,
    revocation_acknowledged: bool, now: datetime,
) -> int:
    """Activate a consent from the actor to one named viewer; returns its id.

    A consent to a viewer who already has an active one from this member replaces
    it: the old one is revoked now and the new one starts now, so there are never
    two active consents to the same viewer.
    """
    if not actor.has_role("member"):
        raise PermissionDenied()
    today = local_today(actor.timezone, now)
    categories = set(categories)
    signature_name = clean_text(signature_name)
    errors: dict[str, str] = {}

    if purpose not in PURPOSES:
        errors["purpose"] = "Choose the purpose: sponsorship or counseling."
    recipient = None
    username = normalize_username(clean_text(recipient_username))
    if not username:
        errors["recipient"] = "Enter the username of the person you want to share with."
    elif purpose in PURPOSES:
        role = ROLE_FOR_PURPOSE[purpose]
        recipient = session.scalar(
            select(User).join(UserRole, UserRole.user_id == User.id)
            .where(User.username == username, User.is_active, UserRole.role == role)
        )
        if recipient is None:
            errors["recipient"] = f"No {role} has the username \u201c{username}\u201d. Check the spelling with them."
        elif recipient.id == actor.id:
            errors["recipient"] = "You cannot share with yourself."
    if not categories:
        errors["categories"] = "Choose at least one kind of data to share."
    elif not categories <= set(CATEGORIES):
        errors["categories"] = "Choose among check-ins, steps, hard days and flags, and notes."
    if expires_on is None:
        errors["expires_on"] = "Choose the date on which sharing ends."
    elif expires_on < today:
        errors["expires_on"] = "The end date cannot be in the past."
    elif expires_on > today + timedelta(days=MAX_CONSENT_DAYS):
        errors["expires_on"] = "Sharing can last at most two years; choose an earlier end date."
    if not signature_name.strip():
        errors["signature"] = "Type your full name to sign."
    elif not _same_name(signature_name, actor.display_name):
        errors["signature"] = (
            f"The signature must be your full name as on your account: {actor.display_name}."
        )
    if not revocation_acknowledged:
        errors["acknowledgement"] = (
            "Tick the box to confirm you know you can stop sharing at any time."
        )
    if errors:
        raise ValidationError(errors)

    # Serialise grants by the same member (PostgreSQL row lock; SQLite locks on BEGIN).
    session.scalar(select(User.id).where(User.id == actor.id).with_for_update())
    replaced = session.scalars(
        select(Consent).where(Consent.member_id == actor.id, Consent.recipient_id == recipient.id,
                              consent_is_active(now))
    ).all()
    for old in replaced:
        old.revoked_at = now
        old.revoked_by_id = actor.id
        record_event(session, actor_id=actor.id, actor_role="member", action="consent_revoked",
                     member_id=actor.id, categories=old.categories, purpose=old.purpose,
                     screen="Sharing", at=now, detail=f"consent {old.id} replaced by a new one")
    consent = Consent(
        member_id=actor.id, recipient_id=recipient.id, purpose=purpose,
        **{f"share_{c}": c in categories for c in CATEGORIES},
        signature_name=signature_name, signed_on=today,
        revocation_acknowledged=True, starts_at=now,
        expires_at=end_of_local_day(expires_on, actor.timezone), created_at=now,
    )
    session.add(consent)
    session.flush()
    record_event(session, actor_id=actor.id, actor_role="member", action="consent_granted",
                 member_id=actor.id, categories=categories, purpose=purpose, screen="Sharing",
                 at=now, detail=f"consent {consent.id} to user {recipient.id} until {expires_on}")
    return consent.id


def revoke_consent(*, session: Session, actor: Actor, consent_id: int,
                   now: datetime) -> None:
    """End one of the actor's consents at once. A revocation is never undone."""
    if not actor.has_role("member"):
        raise PermissionDenied()
    consent = session.scalar(
        select(Consent).where(Consent.id == consent_id, Consent.member_id == actor.id)
        .with_for_update()
    )
    if consent is None:
        raise NotFound("That consent was not found among yours.")
    if consent.status_at(now) != "active":
        raise ValidationError("That consent has already ended; there is nothing to revoke.")
    consent.revoked_at = now
    consent.revoked_by_id = actor.id
    record_event(session, actor_id=actor.id, actor_role="member", action="consent_revoked",
                 member_id=actor.id, categories=consent.categories, purpose=consent.purpose,
                 screen="Sharing", at=now, detail=f"consent {consent.id}")


@dataclass(frozen=True)
class ConsentRow:
    id: int
    recipient_name: str
    recipient_username: str
    purpose: str
    categories: tuple[str, ...]
    status: str
    signed_on: datetime
    expires_at: datetime
    revoked_at: datetime | None


def consents_of_member(*, session: Session, actor: Actor, now: datetime
                       ) -> list[ConsentRow]:
    """The actor's own consents, current and past."""
    if not actor.has_role("member"):
        raise PermissionDenied()
    recipient = aliased(User)
    rows = session.execute(
        select(Consent, recipient.display_name, recipient.username)
        .join(recipient, recipient.id == Consent.recipient_id)
        .where(Consent.member_id == actor.id)
        .order_by(Consent.created_at.desc(), Consent.id.desc())
    )
    return [
        ConsentRow(
            id=c.id, recipient_name=name, recipient_username=username, purpose=c.purpose,
            categories=tuple(sorted(c.categories)), status=c.status_at(now),
            signed_on=c.signed_on, expires_at=c.expires_at, revoked_at=c.revoked_at,
        )
        for c, name, username in rows
    ]


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    viewer_id: int | None
    viewer_name: str
    viewer_role: str | None
    action: str
    categories: str
    purpose: str | None
    screen: str | None
    outcome: str
    times: int = 1  # the runs of the screen the event stands for (seen_count)
    last_at: datetime | None = None  # the last of them; `at` for an event of one run


def others_accesses(member_id: int) -> ColumnElement[bool]:
    """The events of others' accesses to the member's data, and of the member's own
    account read by a session that began with an administrator's reset code: it may not
    have been the member."""
    return and_(AuditEvent.member_id == member_id,
                or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != member_id,
                    AuditEvent.detail == RESET_CODE_SESSION))


def _accesses(session: Session, *, member_id: int, viewer_id: int | None, since: datetime | None,
              until: datetime | None, limit: int | None) -> list[AccessRow]:
    viewer = aliased(User)
    query = (
        select(AuditEvent, viewer.display_name)
        .outerjoin(viewer, viewer.id == AuditEvent.actor_id)
        .where(others_accesses(member_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if viewer_id is not None:
        query = query.where(AuditEvent.actor_id == viewer_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if limit is not None:
        query = query.limit(limit)
    return [
        AccessRow(at=e.at, viewer_id=e.actor_id, viewer_name=name or ("a deleted account" if e.actor_id is not None
                                         else "The server's operator"),
                  viewer_role=e.actor_role, action=e.action, categories=e.categories,
                  purpose=e.purpose, screen=e.screen, outcome=e.outcome, times=e.seen_count,
                  last_at=e.last_seen_at or e.at)
        for e, name in session.execute(query)
    ]


def views_of_my_data(
    *, session: Session, actor: Actor, viewer_id: int | None = None,
    since: datetime | None = None, until: datetime | None = None, limit: int | None = 1000,
) -> list[AccessRow]:
    """Every access by someone else to the actor's data, newest first, allowed or denied."""
    if not actor.has_role("member"):
        raise PermissionDenied()
    return _accesses(session, member_id=actor.id, viewer_id=viewer_id, since=since, until=until,
                     limit=limit)


def viewers_of_my_data(*, session: Session, actor: Actor) -> dict[int, str]:
    """Everyone who has accessed or tried to access the actor's data, for a filter."""
    if not actor.has_role("member"):
        raise PermissionDenied()
    rows = session.execute(
        select(User.id, User.display_name).join(AuditEvent, AuditEvent.actor_id == User.id)
        .where(AuditEvent.member_id == actor.id, AuditEvent.actor_id != actor.id)
        .distinct().order_by(User.display_name)
    )
    return dict(rows.all())


# One row per event: its time is the first run of the visit it records, "times" the runs
# it stands for and "last time" the last of them (the time itself for a visit of one run).
ACCOUNTING_COLUMNS = ["time (UTC)", "time (local)", "viewer", "viewer role", "action",
                      "categories", "purpose", "screen", "outcome", "times",
                      "last time (UTC)", "last time (local)"]


def accounting_of_disclosures(
    *, session: Session, actor: Actor, member_id: int | None = None, now: datetime,
) -> str:
    """CSV of every access to a member's data in the last three years.

    The member gets their own; an admin may produce it for any member (it holds
    who looked and when, not the data itself).
    """
    member_id = actor.id if member_id is None else member_id
    if member_id == actor.id:
        if not actor.has_role("member"):
            raise PermissionDenied()
    elif not actor.has_role("admin"):
        raise PermissionDenied()
    member = session.get(User, member_id)
    tz = member.timezone if member is not None else "UTC"
    rows = _accesses(session, member_id=member_id, viewer_id=None,
                     since=now - timedelta(days=365 * ACCOUNTING_YEARS + 1), until=None,
                     limit=None)
    # An export is data: ISO 8601 times, the local one with its offset.
    text = csv_text(
        [c.replace("time (local)", f"time ({tz})") for c in ACCOUNTING_COLUMNS],
        ([r.at.strftime("%Y-%m-%d %H:%M:%S"), to_local(r.at, tz).isoformat(timespec="seconds"),
          r.viewer_name, r.viewer_role, r.action, r.categories.replace(",", " "), r.purpose,
          r.screen, r.outcome, r.times, r.last_at.strftime("%Y-%m-%d %H:%M:%S"),
          to_local(r.last_at, tz).isoformat(timespec="seconds")] for r in rows))
    record_event(session, actor_id=actor.id, actor_role="admin" if member_id != actor.id else "member",
                 action="accounting_exported", member_id=member_id, at=now,
                 detail=f"{len(rows)} accesses")
    return text
