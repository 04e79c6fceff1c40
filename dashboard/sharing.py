"""The member's side of consent: what they share, with whom, and who looked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dashboard.auth import Actor
from dashboard.errors import PermissionDenied
from models import AuditEvent, Consent, User, utcnow


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


def consents_of_member(*, session: Session, actor: Actor, now: datetime | None = None
                       ) -> list[ConsentRow]:
    """The actor's own consents, current and past."""
    if not actor.has_role("member"):
        raise PermissionDenied()
    now = now or utcnow()
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
    viewer_name: str
    viewer_role: str | None
    action: str
    categories: str
    screen: str | None
    outcome: str


def views_of_my_data(*, session: Session, actor: Actor, limit: int = 500) -> list[AccessRow]:
    """Every access by someone else to the actor's data, newest first."""
    if not actor.has_role("member"):
        raise PermissionDenied()
    viewer = aliased(User)
    rows = session.execute(
        select(AuditEvent, viewer.display_name)
        .outerjoin(viewer, viewer.id == AuditEvent.actor_id)
        .where(AuditEvent.member_id == actor.id, AuditEvent.actor_id != actor.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [
        AccessRow(at=e.at, viewer_name=name or "a deleted account", viewer_role=e.actor_role,
                  action=e.action, categories=e.categories, screen=e.screen, outcome=e.outcome)
        for e, name in rows
    ]
