"""Accounts: the first-run admin, creation by an admin or the command line, and the
admin's account management (deactivate, unlock, reset password).

Account data (name, roles, status) is not member data: admins manage it without
consent, but never see check-ins, steps, flags or notes through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import available_timezones

from sqlalchemy import exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.account_resets import create_reset_code, record_reset
from dashboard.audit import record_event
from dashboard.auth import TWO_FACTOR_ROLES, Actor, normalize_username
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.lockout import unlock
from dashboard.passwords import hash_password, password_problem
from dashboard.text import clean_text
from dashboard.timeutil import local_today
from dashboard.two_factor import clear_second_factor
from models import ROLES, MemberProfile, StepProgress, User, UserRole

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


@dataclass(frozen=True)
class AccountRow:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    is_active: bool
    locked_until: datetime | None
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None
    # When two-factor login was set up, or None; `two_factor_required` for staff roles.
    two_factor_enrolled_at: datetime | None = None
    two_factor_required: bool = False


def has_any_user(*, session: Session) -> bool:
    return bool(session.scalar(select(exists().where(User.id.is_not(None)))))


def validate_account(
    *, username: str, display_name: str, password: str, roles: Iterable[str], timezone: str,
    confirm_password: str | None = None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(normalize_username(username)):
        errors["username"] = (
            "A username is 3 to 64 characters: letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit."
        )
    name = display_name.strip()
    if not clean_text(name):
        errors["display_name"] = "Enter the person's name as others should see it."
    elif len(name) > 120 or any(not ch.isprintable() for ch in name):
        errors["display_name"] = "A name is at most 120 printable characters."
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    elif confirm_password is not None and confirm_password != password:
        errors["confirm_password"] = "The two passwords are not the same."
    roles = set(roles)
    if not roles:
        errors["roles"] = "Choose at least one role."
    elif not roles <= set(ROLES):
        errors["roles"] = f"Roles are {', '.join(ROLES)}."
    if timezone not in available_timezones():
        errors["timezone"] = "Choose a time zone from the list, such as America/New_York."
    return errors


def _insert_account(
    session: Session, *, username: str, display_name: str, password: str, roles: Iterable[str],
    timezone: str, must_change_password: bool, sobriety_date: date | None, now: datetime,
) -> int:
    roles = sorted(set(roles))
    user = User(
        username=normalize_username(username),
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        timezone=timezone,
        must_change_password=must_change_password,
        created_at=now,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationError({"username": "That username is taken; choose another."}) from None
    session.execute(insert(UserRole), [{"user_id": user.id, "role": r} for r in roles])
    if "member" in roles:
        # "Today" in the person's own calendar, not UTC's.
        session.add(MemberProfile(user_id=user.id,
                                  sobriety_date=sobriety_date or local_today(timezone, now)))
        session.execute(
            insert(StepProgress),
            [{"member_id": user.id, "step": step, "status": "not_started", "updated_at": now}
             for step in range(1, 13)],
        )
    session.flush()
    return user.id


def create_first_admin(
    *, session: Session, username: str, display_name: str, password: str, confirm_password: str,
    timezone: str = "UTC", now: datetime,
) -> int:
    """The first-run account: allowed only while the database has no account at all."""
    if has_any_user(session=session):
        raise ValidationError("This dashboard is already set up; log in instead.")
    errors = validate_account(username=username, display_name=display_name, password=password,
                              roles=["admin"], timezone=timezone, confirm_password=confirm_password)
    if errors:
        raise ValidationError(errors)
    user_id = _insert_account(session, username=username, display_name=display_name,
                              password=password, roles=["admin"], timezone=timezone,
                              must_change_password=False, sobriety_date=None, now=now)
    record_event(session, actor_id=user_id, action="first_admin_created", at=now)
    return user_id


def create_account(
    *, session: Session, actor: Actor | None, username: str, display_name: str, password: str,
    roles: Iterable[str], timezone: str = "UTC", sobriety_date: date | None = None,
    must_change_password: bool = True, now: datetime,
) -> int:
    """Create an account. `actor` None means the command line, run by the server's operator."""
    if actor is not None and not actor.has_role("admin"):
        raise PermissionDenied()
    roles = list(roles)
    errors = validate_account(username=username, display_name=display_name, password=password,
                              roles=roles, timezone=timezone)
    # "The future" in the person's own calendar: in Auckland tomorrow's UTC date may be today.
    if (sobriety_date is not None and "timezone" not in errors
            and sobriety_date > local_today(timezone, now)):
        errors["sobriety_date"] = "A sobriety date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    user_id = _insert_account(session, username=username, display_name=display_name,
                              password=password, roles=roles, timezone=timezone,
                              must_change_password=must_change_password,
                              sobriety_date=sobriety_date, now=now)
    record_event(session, actor_id=actor.id if actor else None,
                 actor_role="admin" if actor else None, action="account_created", at=now,
                 detail=f"user {user_id} with roles {', '.join(sorted(set(roles)))}"
                 + ("" if actor else " (command line)"))
    return user_id


def _require_admin(actor: Actor) -> None:
    if not actor.has_role("admin"):
        raise PermissionDenied()


def list_accounts(*, session: Session, actor: Actor) -> list[AccountRow]:
    _require_admin(actor)
    roles_by_user: dict[int, list[str]] = {}
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role)):
        roles_by_user.setdefault(user_id, []).append(role)
    users = session.scalars(select(User).order_by(func.lower(User.display_name), User.id))
    return [
        AccountRow(
            id=u.id, username=u.username, display_name=u.display_name,
            roles=tuple(r for r in ROLES if r in roles_by_user.get(u.id, ())),
            is_active=u.is_active, locked_until=u.locked_until,
            must_change_password=u.must_change_password, created_at=u.created_at,
            last_login_at=u.last_login_at, two_factor_enrolled_at=u.totp_enrolled_at,
            two_factor_required=bool(set(roles_by_user.get(u.id, ())) & TWO_FACTOR_ROLES),
        )
        for u in users
    ]


def user_id_of(*, session: Session, username: str) -> int:
    """The id of the account with this username (as typed at a login), for the command line."""
    user_id = session.scalar(select(User.id).where(User.username == normalize_username(username)))
    if user_id is None:
        raise ValidationError(f"There is no account with the username {username.strip()!r}.")
    return user_id


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError("That account no longer exists.")
    return user


def set_account_active(
    *, session: Session, actor: Actor, user_id: int, active: bool, now: datetime
) -> None:
    _require_admin(actor)
    if user_id == actor.id and not active:
        raise ValidationError("You cannot deactivate your own account.")
    user = _target(session, user_id)
    user.is_active = active
    record_event(session, actor_id=actor.id, actor_role="admin",
                 action="account_activated" if active else "account_deactivated",
                 at=now, detail=f"user {user_id}")


def unlock_account(*, session: Session, actor: Actor, user_id: int,
                   now: datetime) -> None:
    _require_admin(actor)
    user = _target(session, user_id)
    unlock(user)
    record_event(session, actor_id=actor.id, actor_role="admin", action="account_unlocked",
                 at=now, detail=f"user {user_id}")


def reset_password(*, session: Session, actor: Actor, user_id: int, now: datetime) -> str:
    """A single-use code, good for 24 hours, with which the person chooses a new password
    (dashboard/account_resets.py); returned to be handed over in person, stored only as a
    hash. The administrator never learns a password that works."""
    _require_admin(actor)
    return create_reset_code(session, actor=actor, user=_target(session, user_id), now=now)


def reset_two_factor(*, session: Session, actor: Actor | None, user_id: int,
                     now: datetime) -> None:
    """Forget a person's authenticator secret and recovery codes (a lost or new phone).

    Staff must set two-factor login up again at their next login, and a browser session of
    theirs that is open now is sent to that set-up at its next rerun; a member's login goes
    back to the password alone until they set it up again. Like a password reset, it also
    lifts a lock that wrong codes may have caused. `actor` None means the command line, run
    by the server's operator: the way back in for an only administrator who lost their phone.
    """
    if actor is not None:
        _require_admin(actor)
    user = _target(session, user_id)
    if user.totp_enrolled_at is None and user.totp_secret is None:
        raise ValidationError("Two-factor login is not set up for this account: "
                              "there is nothing to reset.")
    clear_second_factor(session, user)
    unlock(user)
    record_reset(session, actor=actor, user=user, kind="two_factor", now=now)
