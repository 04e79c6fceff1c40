"""The member's own data: everything the product holds about them, and erasing it.

The export holds the account, profile and sobriety date history, check-ins, steps,
the consents the member gave, flags, and the audit trail of their data and their
account. It deliberately leaves out what others wrote for themselves (a sponsor's
weekly review notes) and the consents others gave the member (another member's
sharing is theirs to disclose).

Deleting an account erases all of that in one transaction. Only audit events stay:
they carry ids, never names or note text, so what remains is pseudonymous.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from dashboard.audit import record_event
from dashboard.auth import Actor, reconfirm_password
from dashboard.config import Settings
from dashboard.csv_cells import csv_text
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.policy import ALL_CATEGORIES, consent_is_active, disclose
from models import (
    ACTIONS_DONE,
    AuditEvent,
    CheckIn,
    Consent,
    ContactEntry,
    Flag,
    FlagFollowUp,
    MemberProfile,
    SobrietyDateChange,
    StepProgress,
    User,
    UserRole,
    WeeklyReview,
)

DELETE_CONFIRMATION = "delete my account"
EXPORT_FORMAT_VERSION = 1

Table = list[dict[str, Any]]


@dataclass(frozen=True)
class MemberExport:
    """Everything held about one member, as plain tables (lists of flat rows)."""

    exported_at: datetime
    tables: dict[str, Table]

    def to_json(self) -> bytes:
        document = {"format_version": EXPORT_FORMAT_VERSION,
                    "exported_at": self.exported_at, **self.tables}
        return json.dumps(document, default=_json_value, indent=2, ensure_ascii=False).encode()

    def to_csv_zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", _README.format(
                at=self.exported_at.isoformat(), files=", ".join(f"{n}.csv" for n in self.tables)))
            for name, rows in self.tables.items():
                archive.writestr(f"{name}.csv", _csv(rows, COLUMNS[name]))
        return buffer.getvalue()

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


_README = """Your data from the recovery dashboard, exported {at} (UTC).

Files: {files}.
Dates are your local dates; times are UTC. A cell that began with =, +, - or @ starts
with an apostrophe here, so that a spreadsheet shows it as text instead of running it.
my-recovery-data.json holds the same data, exactly as stored.
"""

COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("user_id", "username", "display_name", "roles", "timezone", "created_at",
                "last_login_at"),
    "profile": ("sobriety_date", "home_group"),
    "sobriety_date_history": ("previous_date", "new_date", "changed_at"),
    "checkins": ("local_date", "mood", "craving", "used_substances", "meetings",
                 *ACTIONS_DONE, "sleep_hours", "gratitude", "journal", "hard_day",
                 "hard_day_reason", "is_late", "created_at", "updated_at"),
    "steps": ("step", "status", "started_on", "completed_on", "notes", "updated_at"),
    "consents": ("consent_id", "shared_with", "shared_with_username", "purpose", "categories",
                 "signature_name", "signed_on", "starts_at", "expires_at", "revoked_at"),
    "flags": ("flag_id", "raised_on", "rule_id", "severity", "reason", "quoted_text"),
    # What each person you share flags with did about them (their notes stay theirs).
    "flag_follow_ups": ("flag_id", "followed_up_by", "status", "acknowledged_at",
                        "how_they_reached_out", "resolved_at"),
    # "at" is the first time; a list screen's reruns extend one event (times_seen, last).
    "audit_events": ("at", "who", "who_role", "action", "categories", "purpose", "screen",
                     "outcome", "detail", "times_seen", "last_seen_at"),
}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not exportable: {type(value).__name__}")


def _csv(rows: Table, columns: tuple[str, ...]) -> str:
    return csv_text(columns, ([row[c] for c in columns] for row in rows))


def _rows(objects, columns: tuple[str, ...]) -> Table:
    return [{c: getattr(o, c) for c in columns} for o in objects]


def _require_member(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.id)
    if not actor.has_role("member") or user is None:
        raise PermissionDenied()
    return user


def export_member_data(*, session: Session, actor: Actor,
                       now: datetime) -> MemberExport:
    """Everything the product holds about the actor; the export itself is audited."""
    user = _require_member(session, actor)
    disclose(session, actor=actor, member_id=actor.id, wanted=ALL_CATEGORIES, purpose=None,
             screen="My data", action="data_exported", at=now)
    me = actor.id
    tables: dict[str, Table] = {}
    tables["account"] = [{
        "user_id": user.id, "username": user.username, "display_name": user.display_name,
        "roles": ",".join(sorted(user.role_names)), "timezone": user.timezone,
        "created_at": user.created_at, "last_login_at": user.last_login_at,
    }]
    tables["profile"] = _rows([user.profile] if user.profile else [], COLUMNS["profile"])
    tables["sobriety_date_history"] = _rows(
        session.scalars(select(SobrietyDateChange).where(SobrietyDateChange.member_id == me)
                        .order_by(SobrietyDateChange.changed_at, SobrietyDateChange.id)),
        COLUMNS["sobriety_date_history"])
    tables["checkins"] = _rows(
        session.scalars(select(CheckIn).where(CheckIn.member_id == me)
                        .order_by(CheckIn.local_date)),
        COLUMNS["checkins"])
    tables["steps"] = _rows(
        session.scalars(select(StepProgress).where(StepProgress.member_id == me)
                        .order_by(StepProgress.step)),
        COLUMNS["steps"])

    recipient = aliased(User)
    tables["consents"] = [
        {"consent_id": c.id, "shared_with": name, "shared_with_username": username,
         "purpose": c.purpose, "categories": ",".join(sorted(c.categories)),
         "signature_name": c.signature_name, "signed_on": c.signed_on,
         "starts_at": c.starts_at, "expires_at": c.expires_at, "revoked_at": c.revoked_at}
        for c, name, username in session.execute(
            select(Consent, recipient.display_name, recipient.username)
            .join(recipient, recipient.id == Consent.recipient_id)
            .where(Consent.member_id == me).order_by(Consent.created_at, Consent.id))
    ]

    tables["flags"] = [
        {"flag_id": f.id, **{c: getattr(f, c) for c in COLUMNS["flags"][1:]}}
        for f in session.scalars(select(Flag).where(Flag.member_id == me)
                                 .order_by(Flag.raised_on, Flag.id))
    ]
    follower = aliased(User)
    tables["flag_follow_ups"] = [
        {"flag_id": u.flag_id, "followed_up_by": name, "status": u.status,
         "acknowledged_at": u.acknowledged_at, "how_they_reached_out": method,
         "resolved_at": u.resolved_at}
        for u, name, method in session.execute(
            select(FlagFollowUp, follower.display_name, ContactEntry.method)
            .join(Flag, Flag.id == FlagFollowUp.flag_id)
            .join(follower, follower.id == FlagFollowUp.viewer_id)
            .outerjoin(ContactEntry, ContactEntry.id == FlagFollowUp.contact_id)
            .where(Flag.member_id == me).order_by(Flag.raised_on, Flag.id, FlagFollowUp.id))
    ]

    viewer = aliased(User)
    tables["audit_events"] = [
        {"at": e.at,
         "who": "you" if e.actor_id == me else (name or
                                                 ("a deleted account" if e.actor_id else "")),
         "who_role": e.actor_role, "action": e.action, "categories": e.categories,
         "purpose": e.purpose, "screen": e.screen, "outcome": e.outcome, "detail": e.detail,
         "times_seen": e.seen_count, "last_seen_at": e.last_seen_at or e.at}
        for e, name in session.execute(
            select(AuditEvent, viewer.display_name)
            .outerjoin(viewer, viewer.id == AuditEvent.actor_id)
            # Events about the member's data, and about their account (logins and the like).
            .where(or_(AuditEvent.member_id == me,
                       (AuditEvent.actor_id == me) & AuditEvent.member_id.is_(None)))
            .order_by(AuditEvent.at, AuditEvent.id))
    ]
    return MemberExport(exported_at=now, tables=tables)


def delete_account(*, session: Session, actor: Actor, confirmation: str, password: str,
                   settings: Settings | None = None, now: datetime) -> None:
    """Erase the actor's account and every record about them; audit rows stay, by id only.

    Every consent the member gave ends with it (the viewers see nothing from the very
    next page run), and so does every consent given to them.
    """
    user = _require_member(session, actor)
    errors: dict[str, str] = {}
    if confirmation.strip() != DELETE_CONFIRMATION:
        errors["confirmation"] = f'Type "{DELETE_CONFIRMATION}" exactly, to be sure.'
    refused = reconfirm_password(session=session, user=user, password=password,
                                 action="delete account", settings=settings, now=now)
    if refused:
        errors["password"] = refused
    if "admin" in user.role_names and not _another_active_admin(session, actor.id):
        errors["confirmation"] = ("You are the only administrator. Make someone else an "
                                  "administrator first, so the dashboard keeps one.")
    if errors:
        raise ValidationError(errors)

    me = actor.id
    active_given = session.scalars(
        select(Consent.id).where(Consent.member_id == me, consent_is_active(now))
    ).all()
    for consent_id in active_given:
        record_event(session, actor_id=me, actor_role="member", action="consent_revoked",
                     member_id=me, screen="My data", at=now,
                     detail=f"consent {consent_id}: account deleted")
    # Children first, so the erasure does not depend on the database cascading.
    my_flags = select(Flag.id).where(Flag.member_id == me)
    for statement in (
        delete(FlagFollowUp).where(or_(FlagFollowUp.flag_id.in_(my_flags),
                                       FlagFollowUp.viewer_id == me)),
        delete(ContactEntry).where(or_(ContactEntry.member_id == me,
                                       ContactEntry.viewer_id == me)),
        delete(Flag).where(Flag.member_id == me),
        delete(CheckIn).where(CheckIn.member_id == me),
        delete(StepProgress).where(StepProgress.member_id == me),
        delete(SobrietyDateChange).where(SobrietyDateChange.member_id == me),
        delete(WeeklyReview).where(or_(WeeklyReview.member_id == me,
                                       WeeklyReview.reviewer_id == me)),
        delete(Consent).where(or_(Consent.member_id == me, Consent.recipient_id == me)),
        delete(MemberProfile).where(MemberProfile.user_id == me),
        delete(UserRole).where(UserRole.user_id == me),
        update(Consent).where(Consent.revoked_by_id == me).values(revoked_by_id=None),
        delete(User).where(User.id == me),
    ):
        session.execute(statement)
    record_event(session, actor_id=me, actor_role="member", action="account_deleted",
                 member_id=me, screen="My data", at=now,
                 detail=f"{len(active_given)} active consents revoked")


def _another_active_admin(session: Session, user_id: int) -> bool:
    return bool(session.scalar(
        select(func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
        .where(UserRole.role == "admin", User.is_active, User.id != user_id)
    ))
