"""The admin's view of the audit trail (read only). Every event is listed, with how many
runs of its screen it stands for and the last of them (a list screen's reruns within a
visit extend one event: dashboard/audit.py)."""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dashboard.audit import record_event, record_events
from dashboard.audit_verify import ChainReport, verify_log
from dashboard.auth import Actor, normalize_username
from dashboard.csv_cells import csv_text
from dashboard.errors import PermissionDenied
from models import AuditEvent, User

MAX_ROWS = 5000


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
    # The visit: runs of the screen the event stands for, and the last one (None while it
    # stands for one run, whose time is `at`).
    seen_count: int = 1
    last_seen_at: datetime | None = None


def audit_actions(*, session: Session, actor: Actor) -> list[str]:
    if not actor.has_role("admin"):
        raise PermissionDenied()
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def audit_log(
    *, session: Session, actor: Actor, now: datetime, actor_username: str | None = None,
    member_username: str | None = None, action: str | None = None, outcome: str | None = None,
    since: datetime | None = None, until: datetime | None = None, limit: int = MAX_ROWS,
) -> list[AuditRow]:
    """Events matching every filter given, newest first. Viewing the log is itself audited."""
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
    if actor_username:
        query = query.where(who.username == normalize_username(actor_username))
    if member_username:
        query = query.where(whose.username == normalize_username(member_username))
    if action:
        query = query.where(AuditEvent.action == action)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    found = session.execute(query).all()
    rows = [
        AuditRow(
            id=e.id, at=e.at,
            actor=actor_name or (f"user {e.actor_id}" if e.actor_id else "system"),
            actor_role=e.actor_role, action=e.action,
            member=member_name or (f"user {e.member_id}" if e.member_id else ""),
            categories=e.categories, purpose=e.purpose, screen=e.screen, outcome=e.outcome,
            detail=e.detail, seen_count=e.seen_count, last_seen_at=e.last_seen_at,
        )
        for e, actor_name, member_name in found
    ]
    record_event(session, actor_id=actor.id, actor_role="admin", action="audit_log_viewed",
                 screen="Audit log", at=now)
    # What the administrator saw about each member is theirs to know: one event each, in
    # their accounting and their "Who viewed my data".
    record_events(session, [
        {"at": now, "actor_id": actor.id, "actor_role": "admin",
         "action": "audit_log_viewed", "member_id": member_id, "screen": "Audit log"}
        for member_id in sorted({e.member_id for e, _, _ in found
                                 if e.member_id is not None and e.member_id != actor.id})
    ])
    return rows


def audit_chain_status(*, session: Session, actor: Actor, now: datetime) -> ChainReport:
    """Whether the audit trail is intact (admins only): every event's HMAC, every sealed
    batch and the chain of their signed heads, as `python -m dashboard verify-audit`."""
    if not actor.has_role("admin"):
        raise PermissionDenied()
    return verify_log(session, now=now)


def audit_csv(rows: list[AuditRow]) -> str:
    return csv_text([f.name for f in fields(AuditRow)], (astuple(row) for row in rows))
