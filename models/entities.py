"""Every entity of the product, with its rules enforced by the database as well as the code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime
from models.crypto import EncryptedText

ROLES = ("member", "sponsor", "counselor", "admin")
PURPOSES = ("sponsorship", "counseling")
CATEGORIES = ("checkins", "steps", "flags", "notes")
STEP_STATUSES = ("not_started", "in_progress", "completed")
SEVERITIES = ("low", "medium", "high")
FOLLOW_UP_STATUSES = ("acknowledged", "resolved")
OUTREACH_METHODS = ("called", "texted", "met", "meeting", "other")
CONTACT_KINDS = ("contact", "flag", "review")  # what the entry answered
ACTIONS_DONE = ("prayer_meditation", "called_support", "read_literature", "step_work")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: usernames are unique without regard to case.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor login (TOTP, RFC 6238; dashboard/two_factor.py): the shared secret
    # (encrypted at rest: a copied database file must not give away anyone's codes), when
    # it was confirmed with a first code, and the last time step accepted, so that no code
    # (nor any older one) is accepted twice. All empty while it is not set up.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    profile: Mapped[MemberProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )

    __table_args__ = (
        CheckConstraint("username = lower(username)", name="username_lowercase"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
        # An id is never given twice (migration 0009): a deleted account's audit events
        # must never become someone else's.
        {"sqlite_autoincrement": True},
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role_known"),
        Index("ix_user_roles_role", "role"),
    )


class RecoveryCode(Base):
    """A single-use recovery code of two-factor login, kept only as an argon2id hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_recovery_codes_user", "user_id"),)


RESET_KINDS = ("password", "two_factor")


class AccountReset(Base):
    """An administrator's (or the server operator's) reset of a person's password or
    second factor. A password reset gives a single-use code, kept only as an argon2id hash,
    that lets its holder choose a new password until it expires; the person is told of
    every reset at their next login (seen_at)."""

    __tablename__ = "account_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # Who reset, by name as well: the notice must name them even after their account goes.
    reset_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                              ondelete="SET NULL"))
    reset_by_name: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    code_hash: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_in("kind", RESET_KINDS), name="kind_known"),
        Index("ix_account_resets_user", "user_id"),
    )


class MemberProfile(Base):
    __tablename__ = "member_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    sobriety_date: Mapped[date] = mapped_column(Date)
    home_group: Mapped[str | None] = mapped_column(String(120))

    user: Mapped[User] = relationship(back_populates="profile")


class SobrietyDateChange(Base):
    """History of sobriety dates: a reset never overwrites the past silently."""

    __tablename__ = "sobriety_date_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    previous_date: Mapped[date] = mapped_column(Date)
    new_date: Mapped[date] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sobriety_date_changes_member", "member_id", "changed_at"),)


class CheckIn(Base):
    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    mood: Mapped[int] = mapped_column(Integer)
    craving: Mapped[int] = mapped_column(Integer)
    used_substances: Mapped[bool] = mapped_column(Boolean)
    meetings: Mapped[int] = mapped_column(Integer, default=0)
    prayer_meditation: Mapped[bool] = mapped_column(Boolean, default=False)
    called_support: Mapped[bool] = mapped_column(Boolean, default=False)
    read_literature: Mapped[bool] = mapped_column(Boolean, default=False)
    step_work: Mapped[bool] = mapped_column(Boolean, default=False)
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    # The member's own words, encrypted at rest (models/crypto.py); TEXT in the schema.
    gratitude: Mapped[str | None] = mapped_column(EncryptedText)
    journal: Mapped[str | None] = mapped_column(EncryptedText)
    # Private unless the member shares it with whom they share notes.
    journal_shared: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    hard_day: Mapped[bool] = mapped_column(Boolean, default=False)
    hard_day_reason: Mapped[str | None] = mapped_column(EncryptedText)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # One check-in per member per local day; also the index of every read path.
        UniqueConstraint("member_id", "local_date", name="uq_checkins_member_day"),
        CheckConstraint("mood BETWEEN 1 AND 5", name="mood_range"),
        CheckConstraint("craving BETWEEN 0 AND 10", name="craving_range"),
        CheckConstraint("meetings BETWEEN 0 AND 10", name="meetings_range"),
        CheckConstraint(
            "sleep_hours IS NULL OR (sleep_hours >= 0 AND sleep_hours <= 24)",
            name="sleep_range",
        ),
        Index("ix_checkins_local_date", "local_date"),
    )


class StepProgress(Base):
    __tablename__ = "step_progress"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("step BETWEEN 1 AND 12", name="step_range"),
        CheckConstraint(_in("status", STEP_STATUSES), name="status_known"),
        CheckConstraint(
            "(status = 'not_started' AND started_on IS NULL AND completed_on IS NULL)"
            " OR (status = 'in_progress' AND started_on IS NOT NULL AND completed_on IS NULL)"
            " OR (status = 'completed' AND started_on IS NOT NULL"
            " AND completed_on IS NOT NULL AND completed_on >= started_on)",
            name="dates_match_status",
        ),
    )


class Consent(Base):
    """A member's consent to share categories of their data with one named viewer.

    Modelled on 42 CFR Part 2 section 2.31: every required element is a column,
    and the database refuses a row that lacks one.
    """

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    share_checkins: Mapped[bool] = mapped_column(Boolean, default=False)
    share_steps: Mapped[bool] = mapped_column(Boolean, default=False)
    share_flags: Mapped[bool] = mapped_column(Boolean, default=False)
    share_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    signature_name: Mapped[str] = mapped_column(String(120))
    signed_on: Mapped[date] = mapped_column(Date)
    revocation_acknowledged: Mapped[bool] = mapped_column(Boolean)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])

    __table_args__ = (
        CheckConstraint(_in("purpose", PURPOSES), name="purpose_known"),
        CheckConstraint(
            "share_checkins OR share_steps OR share_flags OR share_notes",
            name="at_least_one_category",
        ),
        CheckConstraint("length(trim(signature_name)) > 0", name="signed"),
        CheckConstraint("revocation_acknowledged", name="revocation_acknowledged"),
        CheckConstraint("expires_at > starts_at", name="expires_after_start"),
        CheckConstraint("member_id <> recipient_id", name="not_to_self"),
        Index("ix_consents_recipient_member", "recipient_id", "member_id"),
        Index("ix_consents_member", "member_id"),
    )

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c for c in CATEGORIES if getattr(self, f"share_{c}"))

    def status_at(self, at: datetime) -> str:
        # Revoked is a state whatever `at` is (see dashboard/policy.consent_is_active).
        if self.revoked_at is not None:
            return "revoked"
        if at >= self.expires_at:
            return "expired"
        if at < self.starts_at:
            return "pending"
        return "active"


class Flag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    raised_on: Mapped[date] = mapped_column(Date)
    episode_key: Mapped[str] = mapped_column(String(64))  # one flag per rule per episode
    reason: Mapped[str] = mapped_column(Text)
    # The member's own words (a hard-day reason), shown only where notes are shared.
    quoted_text: Mapped[str | None] = mapped_column(EncryptedText)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("member_id", "rule_id", "episode_key", name="uq_flags_episode"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity_known"),
        # Risk: the flags raised in the last days, per member, in one range (0013).
        Index("ix_flags_member_raised", "member_id", "raised_on"),
    )


class FlagFollowUp(Base):
    """One viewer's own follow-up of a member's flag (0013): open (no row), acknowledged,
    resolved. Each viewer works their own loop and never sees another's."""

    __tablename__ = "flag_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"))
    viewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_log.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("flag_id", "viewer_id", name="uq_flag_follow_ups_flag_viewer"),
        CheckConstraint(_in("status", FOLLOW_UP_STATUSES), name="status_known"),
        CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)",
                        name="resolved_has_time"),
        Index("ix_flag_follow_ups_viewer", "viewer_id", "flag_id"),
    )


class ContactEntry(Base):
    """A dated entry of one viewer's own contact log with one member (0013): how they were
    in touch, with an optional encrypted note."""

    __tablename__ = "contact_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contacted_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText)
    kind: Mapped[str] = mapped_column(String(16), default="contact")
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id", ondelete="SET NULL"))
    iso_week: Mapped[str | None] = mapped_column(String(8))  # the week a review covered
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_in("method", OUTREACH_METHODS), name="method_known"),
        CheckConstraint(_in("kind", CONTACT_KINDS), name="kind_known"),
        # "Last contact" and the history: one viewer's entries for one member, by date.
        Index("ix_contact_log_viewer_member", "viewer_id", "member_id", "contacted_on"),
    )


class WeeklyReview(Base):
    __tablename__ = "weekly_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    iso_week: Mapped[str] = mapped_column(String(8))  # e.g. 2026-W48
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("reviewer_id", "member_id", "iso_week", name="uq_weekly_reviews_week"),
        CheckConstraint("length(iso_week) = 8", name="iso_week_form"),
        Index("ix_weekly_reviews_member", "member_id", "iso_week"),
        Index("ix_weekly_reviews_member_created", "member_id", "created_at"),
    )


class AuditEvent(Base):
    """Append-only record of who did what to whose data.

    Ids are kept without foreign keys on purpose: a deleted account leaves its
    events behind as pseudonymous rows, and nothing ever changes what an event
    says (only how long a visit it records lasted, seen_count and last_seen_at).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48))
    member_id: Mapped[int | None] = mapped_column(Integer)
    categories: Mapped[str] = mapped_column(String(64), default="")
    purpose: Mapped[str | None] = mapped_column(String(16))
    screen: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str | None] = mapped_column(String(200))
    # Tamper evidence: the event's own HMAC under the audit key, over its id and content
    # (dashboard/audit.py); events of the older chain (before 0007) keep prev_hash.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    # A visit, not a keystroke (0012): a list screen's reruns extend its event. Outside
    # the HMAC on purpose: they say how long a visit lasted, never whether it was.
    seen_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("outcome IN ('allowed', 'denied')", name="outcome_known"),
        Index("ix_audit_events_member_at", "member_id", "at"),
        Index("ix_audit_events_actor_at", "actor_id", "at"),
        Index("ix_audit_events_at", "at"),
    )


class AuditBatch(Base):
    """A sealed batch of audit events (dashboard/audit_seal.py), the way a transparency log
    (RFC 6962) seals its entries: a Merkle root over the events' HMACs, in id order, and a
    signed head, an HMAC over the log's size, the root and the previous batch's head.

    `event_ids` names exactly the events sealed, as ranges ("1-40,42-97"): ids of rolled
    back transactions never exist, and an event that committed late is sealed by a later
    batch. The first row may be the end of the older hash chain (migration 0007): no
    Merkle root, its events chained one to the next by `prev_hash`.
    """

    __tablename__ = "audit_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_event_id: Mapped[int] = mapped_column(Integer)
    last_event_id: Mapped[int] = mapped_column(Integer)
    event_ids: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)  # events sealed so far, this batch's included
    merkle_root: Mapped[str | None] = mapped_column(String(64))
    prev_head: Mapped[str | None] = mapped_column(String(64))
    head: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # One successor per head: two sealers can never fork the log.
        UniqueConstraint("prev_head", name="uq_audit_batches_prev_head"),
        Index("ix_audit_batches_sealed_at", "sealed_at"),
        Index("ix_audit_batches_last_event_id", "last_event_id"),
    )


KEY_KINDS = ("audit", "notes")


class KeyFingerprint(Base):
    """A key this database was written with, by its fingerprint (dashboard/key_guard.py):
    the audit key ("audit") or a key of the notes encrypted at rest ("notes"). The key
    itself is never in the database."""

    __tablename__ = "key_fingerprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("kind", "fingerprint"),
        CheckConstraint("kind IN ('audit', 'notes')", name="kind_known"),
    )


SHARING_NOTICE_KINDS = ("started", "changed", "stopped", "ending")


class SharingNoticeDismissal(Base):
    """A notice of a sharing change that its viewer put away (dashboard/sharing_notices.py):
    the notices themselves are derived from the consents."""

    __tablename__ = "sharing_notice_dismissals"

    id: Mapped[int] = mapped_column(primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("viewer_id", "consent_id", "kind"),
        CheckConstraint("kind IN ('started', 'changed', 'stopped', 'ending')",
                        name="kind_known"),
    )
