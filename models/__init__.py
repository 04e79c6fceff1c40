"""Persistence layer: SQLAlchemy models, engine and session factory, Alembic migrations.

This package knows nothing of the application layer (`dashboard`) or the pages.
"""

from models.base import Base
from models.entities import (
    ACTIONS_DONE,
    CATEGORIES,
    FLAG_STATUSES,
    OUTREACH_METHODS,
    PURPOSES,
    RESET_KINDS,
    ROLES,
    SEVERITIES,
    STEP_STATUSES,
    AccountReset,
    AuditBatch,
    AuditEvent,
    CheckIn,
    Consent,
    Flag,
    KeyFingerprint,
    MemberProfile,
    SharingNoticeDismissal,
    SobrietyDateChange,
    StepProgress,
    User,
    UserRole,
    WeeklyReview,
)

__all__ = [
    "ACTIONS_DONE",
    "CATEGORIES",
    "FLAG_STATUSES",
    "OUTREACH_METHODS",
    "PURPOSES",
    "RESET_KINDS",
    "ROLES",
    "SEVERITIES",
    "STEP_STATUSES",
    "AccountReset",
    "AuditBatch",
    "AuditEvent",
    "Base",
    "CheckIn",
    "Consent",
    "Flag",
    "KeyFingerprint",
    "MemberProfile",
    "SharingNoticeDismissal",
    "SobrietyDateChange",
    "StepProgress",
    "User",
    "UserRole",
    "WeeklyReview",
]
