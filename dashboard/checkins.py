"""The member's daily check-in: validation, the one-per-day save, and the sobriety date reset.

"Today" is the member's own calendar date in their time zone. A check-in can be
written for today or, marked late, for any of the 7 days before; saving the same day
again edits it. The save is one upsert, so two tabs saving the same day at once
leave one row and no error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dashboard.audit import record_event
from dashboard.auth import Actor
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.flags import evaluate_checkin
from dashboard.progress import sobriety_date_after_use
from dashboard.text import clean_text
from dashboard.timeutil import day_label, local_today
from models import ACTIONS_DONE, CheckIn, SobrietyDateChange, User

BACKFILL_DAYS = 7
MOOD_RANGE = (1, 5)
CRAVING_RANGE = (0, 10)
MEETINGS_RANGE = (0, 10)
SLEEP_RANGE = (0.0, 24.0)
TEXT_LIMITS = {"gratitude": 1_000, "journal": 5_000, "hard_day_reason": 500}

FlagEvaluator = Callable[..., None]


def _raise_flags(*, session: Session, checkin: CheckIn, now: datetime) -> None:
    evaluate_checkin(session, member_id=checkin.member_id, local_date=checkin.local_date,
                     now=now)


# Run after the check-in is written, inside the save's transaction, each as
# `evaluate(session=..., checkin=<CheckIn row>, now=...)`: a check-in and the flags it
# calls for are saved together or not at all. The list may be empty: saving works alike.
flag_evaluators: list[FlagEvaluator] = [_raise_flags]


@dataclass(frozen=True)
class CheckInForm:
    """What the member entered, as typed; `validate_checkin` says what is wrong with it."""

    local_date: date | None
    mood: int | None
    craving: int | None
    used_substances: bool
    meetings: int | None = 0
    actions: Iterable[str] = field(default_factory=tuple)
    sleep_hours: float | None = None
    gratitude: str | None = None
    journal: str | None = None
    # Private unless the member shares this entry with the people they share notes with.
    journal_shared: bool = False
    hard_day: bool = False
    hard_day_reason: str | None = None


def _text(value: str | None) -> str | None:
    """Typed text as stored: surrounding blank space dropped, nothing at all as None."""
    if value is None:
        return None
    value = clean_text(value, multiline=True)
    return value or None


def _whole_number_in(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _weekday_and_day(day: date, today: date) -> str:
    return day_label(day, today=today, weekday=True, relative=False)


def validate_checkin(form: CheckInForm, *, today: date) -> dict[str, str]:
    """One plain message per field that cannot be saved as it is; empty when all is well."""
    errors: dict[str, str] = {}
    earliest = today - timedelta(days=BACKFILL_DAYS)
    if form.local_date is None:
        errors["local_date"] = "Choose the day this check-in is for."
    elif form.local_date > today:
        errors["local_date"] = (
            f"A check-in can be for today ({_weekday_and_day(today, today)}) or a day before "
            "it, not a day to come."
        )
    elif form.local_date < earliest:
        errors["local_date"] = (
            f"A check-in can go back {BACKFILL_DAYS} days, to "
            f"{_weekday_and_day(earliest, today)}. Earlier days can no longer be filled in."
        )
    if not _whole_number_in(form.mood, *MOOD_RANGE):
        errors["mood"] = "Choose how your mood is, from 1 (very low) to 5 (great)."
    if not _whole_number_in(form.craving, *CRAVING_RANGE):
        errors["craving"] = "Choose a craving level from 0 (none) to 10 (the strongest)."
    if not isinstance(form.used_substances, bool):
        errors["used_substances"] = "Used substances today: answer yes or no."
    if not _whole_number_in(form.meetings, *MEETINGS_RANGE):
        errors["meetings"] = "Enter a number of meetings from 0 to 10."
    unknown = set(form.actions) - set(ACTIONS_DONE)
    if unknown:
        errors["actions"] = "Choose the actions done from the list."
    sleep = form.sleep_hours
    if sleep is not None and (
        isinstance(sleep, bool) or not isinstance(sleep, int | float) or math.isnan(sleep)
        or not SLEEP_RANGE[0] <= sleep <= SLEEP_RANGE[1]
    ):
        errors["sleep_hours"] = "Sleep can be from 0 to 24 hours, or left empty."
    if not isinstance(form.hard_day, bool):
        errors["hard_day"] = "Hard day: answer yes or no."
    if not isinstance(form.journal_shared, bool):
        errors["journal_shared"] = "Tick the box to share this entry, or leave it empty."
    for name, limit in TEXT_LIMITS.items():
        text = _text(getattr(form, name))
        if text is not None and len(text) > limit:
            errors[name] = (
                f"This can hold {limit:,} characters and has {len(text):,}; "
                "please shorten it a little."
            )
    if form.hard_day is False and _text(form.hard_day_reason) and "hard_day_reason" not in errors:
        errors["hard_day_reason"] = (
            'To keep this reason, set "Hard day" to Yes; or clear the reason.'
        )
    return errors


@dataclass(frozen=True)
class SavedCheckIn:
    local_date: date
    created: bool  # False when an existing check-in of that day was edited
    is_late: bool
    used_substances: bool
    hard_day: bool
    # The sobriety date the member may reset to after reporting use; None when unchanged.
    sobriety_reset_to: date | None


def _require_member(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.id)
    if not actor.has_role("member") or user is None or user.profile is None:
        raise PermissionDenied()
    return user


def save_checkin(*, session: Session, actor: Actor, form: CheckInForm,
                 now: datetime) -> SavedCheckIn:
    """Write the actor's check-in for a day: a new one, or an edit of that day's one."""
    user = _require_member(session, actor)
    today = local_today(user.timezone, now)
    form = replace(form, local_date=form.local_date or today)
    errors = validate_checkin(form, today=today)
    if errors:
        raise ValidationError(errors)

    existed = session.scalar(
        select(CheckIn.id).where(CheckIn.member_id == actor.id,
                                 CheckIn.local_date == form.local_date)
    ) is not None
    actions = set(form.actions)
    values = {
        "mood": form.mood,
        "craving": form.craving,
        "used_substances": form.used_substances,
        "meetings": form.meetings,
        **{action: action in actions for action in ACTIONS_DONE},
        "sleep_hours": None if form.sleep_hours is None else float(form.sleep_hours),
        "gratitude": _text(form.gratitude),
        "journal": _text(form.journal),
        "journal_shared": form.journal_shared,
        "hard_day": form.hard_day,
        "hard_day_reason": _text(form.hard_day_reason) if form.hard_day else None,
        "updated_at": now,
    }
    # An edit keeps when and how the check-in was first made: on time stays on time.
    new_row = {"member_id": actor.id, "local_date": form.local_date,
               "is_late": form.local_date < today, "created_at": now, **values}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(CheckIn).values(new_row)
    upsert = upsert.on_conflict_do_update(
        index_elements=[CheckIn.member_id, CheckIn.local_date], set_=values,
    ).returning(CheckIn.id)
    checkin_id = session.execute(upsert).scalar_one()
    checkin = session.scalars(
        select(CheckIn).where(CheckIn.id == checkin_id).execution_options(populate_existing=True)
    ).one()

    for evaluate in flag_evaluators:
        evaluate(session=session, checkin=checkin, now=now)
    # The event says that a check-in was saved, never what it holds: the administrator who
    # reads the audit log must not learn of a hard day or a relapse from it.
    record_event(session, actor_id=actor.id, actor_role="member", action="checkin_saved",
                 member_id=actor.id, categories=("checkins",), screen="Today", at=now,
                 detail=("edited" if existed else "created")
                 + (", late" if checkin.is_late else ""))

    reset_to = None
    if checkin.used_substances:
        proposed = sobriety_date_after_use(user.profile.sobriety_date, checkin.local_date)
        reset_to = proposed if proposed != user.profile.sobriety_date else None
    return SavedCheckIn(local_date=checkin.local_date, created=not existed,
                        is_late=checkin.is_late, used_substances=checkin.used_substances,
                        hard_day=checkin.hard_day, sobriety_reset_to=reset_to)


def reset_sobriety_date(*, session: Session, actor: Actor, used_on: date,
                        now: datetime) -> date:
    """Start the sobriety count again after the use reported on `used_on`.

    The previous date is kept in the history. Returns the new sobriety date.
    """
    user = _require_member(session, actor)
    reported = session.scalar(
        select(CheckIn.id).where(CheckIn.member_id == actor.id, CheckIn.local_date == used_on,
                                 CheckIn.used_substances)
    )
    if reported is None:
        raise ValidationError("There is no check-in reporting use on that day, so your "
                              "sobriety date stays as it is.")
    profile = user.profile
    new_date = sobriety_date_after_use(profile.sobriety_date, used_on)
    if new_date == profile.sobriety_date:
        raise ValidationError(
            f"Your sobriety date is already {day_label(profile.sobriety_date)}; nothing to change."
        )
    session.add(SobrietyDateChange(member_id=actor.id, previous_date=profile.sobriety_date,
                                   new_date=new_date, changed_at=now))
    profile.sobriety_date = new_date
    # "profile updated", not what changed: a new sobriety date tells of a relapse.
    record_event(session, actor_id=actor.id, actor_role="member", action="profile_updated",
                 member_id=actor.id, screen="Today", at=now)
    return new_date

