"""The member's own progress through the twelve steps: status, dates and notes.

Dates follow the status and are the member's local dates: starting a step dates its
start, completing it dates its completion, and a step is started before it is completed.
Going back clears the dates that no longer hold.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.audit import record_event
from dashboard.auth import Actor
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.timeutil import local_today
from models import STEP_STATUSES, StepProgress, User

STEP_NOTES_LIMIT = 5_000


def update_step(*, session: Session, actor: Actor, step: int, status: str, notes: str | None,
                now: datetime) -> StepProgress:
    """Set one of the actor's steps to `status` with `notes`; returns the updated row."""
    user = session.get(User, actor.id)
    if not actor.has_role("member") or user is None:
        raise PermissionDenied()
    errors: dict[str, str] = {}
    if not isinstance(step, int) or not 1 <= step <= 12:
        errors["step"] = "Choose a step from 1 to 12."
    if status not in STEP_STATUSES:
        errors["status"] = "Choose not started, in progress or completed."
    notes = (notes or "").strip() or None
    if notes is not None and len(notes) > STEP_NOTES_LIMIT:
        errors["notes"] = (f"Notes can hold {STEP_NOTES_LIMIT:,} characters and these have "
                           f"{len(notes):,}; please shorten them a little.")
    if errors:
        raise ValidationError(errors)
    row = session.scalar(
        select(StepProgress).where(StepProgress.member_id == actor.id, StepProgress.step == step)
    )
    if row is None:
        raise PermissionDenied()
    if status == "completed" and row.status == "not_started":
        raise ValidationError({"status": "Start this step first: set it to In progress, then "
                                         "mark it completed when you are ready."})

    today = local_today(user.timezone, now)
    started_on, completed_on = _dates_for(status, row.started_on, row.completed_on, today)
    changed = (status, started_on, completed_on, notes) != (
        row.status, row.started_on, row.completed_on, row.notes)
    if not changed:
        return row
    row.status, row.started_on, row.completed_on = status, started_on, completed_on
    row.notes = notes
    row.updated_at = now
    # Which step and where the member stands on it are theirs, not the audit log's.
    record_event(session, actor_id=actor.id, actor_role="member", action="step_updated",
                 member_id=actor.id, categories=("steps",), screen="Steps", at=now)
    return row


def _dates_for(status: str, started_on: date | None, completed_on: date | None,
               today: date) -> tuple[date | None, date | None]:
    if status == "not_started":
        return None, None
    started_on = started_on or today
    if status == "in_progress":
        return started_on, None
    # A step started "today" in a time zone ahead of an earlier save still ends after it starts.
    return started_on, max(completed_on or today, started_on)
