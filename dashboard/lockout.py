"""The lockout rule, for every secret a person types: the password at login, the password
that confirms a change to one's own account, and the second factor's codes.

After `lockout_attempts` wrong tries in a row an account pauses for `lockout_duration`;
a right answer starts the count again. One count serves all of them, so that switching
forms buys no extra guesses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dashboard.audit import record_event
from dashboard.config import Settings
from models import User


def minutes(count: int) -> str:
    return f"{count} minute{'s' if count != 1 else ''}"


def lockout_minutes(settings: Settings) -> str:
    """How long a lock lasts, in words: "15 minutes"."""
    return minutes(int(settings.lockout_duration.total_seconds() // 60))


def minutes_rounded_up(wait: timedelta) -> str:
    """A wait in whole minutes, rounded up, at least one: "3 minutes"."""
    return minutes(max(1, -int(-wait.total_seconds() // 60)))


def minutes_left(user: User, now: datetime) -> str:
    """How long the account's lock still lasts, in words: "3 minutes"."""
    return minutes_rounded_up(user.locked_until - now)


def is_locked(user: User, now: datetime) -> bool:
    """Whether the account is locked now; a lock that has run out is lifted here."""
    if user.locked_until is not None and user.locked_until <= now:
        unlock(user)
    return user.locked_until is not None


def count_failure(session: Session, user: User, *, settings: Settings, now: datetime,
                  failures: str) -> bool:
    """Count one wrong try; True when it was the last one and the account is now locked.
    `failures` names them in the audit event ("failed logins").

    Counted in the database, not in Python: simultaneous wrong tries, each holding the row
    as it read it, would otherwise all write the same count and never reach the lock. The
    increment also locks the row until the transaction ends (PostgreSQL), so the tries
    that follow count on from this one."""
    count = session.execute(
        update(User).where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(user, "failed_logins", count)
    if count < settings.lockout_attempts:
        return False
    user.locked_until = now + settings.lockout_duration
    user.failed_logins = 0
    record_event(session, actor_id=user.id, action="account_locked", outcome="denied", at=now,
                 detail=f"after {settings.lockout_attempts} {failures}")
    return True


def tries_left(user: User, settings: Settings) -> int:
    return settings.lockout_attempts - user.failed_logins


def clear_failures(user: User) -> None:
    user.failed_logins = 0


def unlock(user: User) -> None:
    """Lift a lock and its count: an administrator's unlock, or a reset of the secret."""
    user.locked_until = None
    user.failed_logins = 0
