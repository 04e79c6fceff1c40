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
    ROLES,
    SEVERITIES,
    STEP_STATUSES,
    AuditChainHead,
    AuditEvent,
    CheckIn,
    Consent,
    Flag,
    MemberProfile,
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
    "ROLES",
    "SEVERITIES",
    "STEP_STATUSES",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "CheckIn",
    "Consent",
    "Flag",
    "MemberProfile",
    "SobrietyDateChange",
    "StepProgress",
    "User",
    "UserRole",
    "WeeklyReview",
]
