"""The admin's view of the audit trail (read only: events are never changed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dashboard.audit import record_event
from dashboard.auth import Actor
from dashboard.errors import PermissionDenied
from models import AuditEvent, User


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    member: str
    categories: str
    purpose: str | None
    screen: str | None
    outcome: str
    detail: str | None


def audit_log(
    *, session: Session, actor: Actor, action: str | None = None, outcome: str | None = None,
    since: datetime | None = None, until: datetime | None = None, limit: int = 1000,
) -> list[AuditRow]:
    if not actor.has_role("admin"):
        raise PermissionDenied()
    who = aliased(User)
    whose = aliased(User)
    query = (
        select(AuditEvent, who.username, whose.username)
        .outerjoin(who, who.id == AuditEvent.actor_id)
        .outerjoin(whose, whose.id == AuditEvent.member_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    rows = [
        AuditRow(
            id=e.id, at=e.at,
            actor=actor_name or (f"user {e.actor_id}" if e.actor_id else "system"),
            actor_role=e.actor_role, action=e.action,
            member=member_name or (f"user {e.member_id}" if e.member_id else ""),
            categories=e.categories, purpose=e.purpose, screen=e.screen, outcome=e.outcome,
            detail=e.detail,
        )
        for e, actor_name, member_name in session.execute(query)
    ]
    record_event(session, actor_id=actor.id, actor_role="admin", action="audit_log_viewed",
                 screen="Audit log")
    return rows
