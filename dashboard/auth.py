"""Logging in and out, session lifetime and password changes (the lockout rule they share
is dashboard/lockout.py).

Every function takes `now`: a screen passes its run's reading of dashboard/clock.py, a
test the instant it chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import config
from dashboard.audit import record_event
from dashboard.config import Settings
from dashboard.errors import ValidationError
from dashboard.lockout import (
    clear_failures,
    count_failure,
    is_locked,
    lockout_minutes,
    minutes_left,
    minutes_rounded_up,
)
from dashboard.login_throttle import THROTTLE, LoginThrottle
from dashboard.passwords import (
    dummy_verify,
    hash_password,
    password_problem,
    verify_and_update,
)
from models import User


def login_failed_message(settings: Settings) -> str:
    """One message for every failed login: it must not tell an attacker whether the
    username exists, nor whether the account is locked."""
    return (
        "That username and password did not match an account that can log in now. "
        f"Check them and try again; after {settings.lockout_attempts} failed tries, "
        f"wait {lockout_minutes(settings)}."
    )


# Roles that see other people's data, or manage accounts: their login always needs a
# second factor (dashboard/two_factor.py). For members it is optional.
TWO_FACTOR_ROLES = frozenset({"sponsor", "counselor", "admin"})
# The audit detail of every read by a session that began with a reset code.
RESET_CODE_SESSION = "session began with a reset code"


@dataclass(frozen=True)
class Actor:
    """The logged-in person, re-read from the database on every page run."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    timezone: str
    must_change_password: bool = False
    # When two-factor login was set up (None: not set up). A browser session is bound to
    # the set-up it passed, so a reset sends an open session back to enrolment.
    two_factor_enrolled_at: datetime | None = None
    # The browser session began with an administrator's reset code rather than the
    # password: every read it makes says so in the audit trail (dashboard/policy.py).
    via_reset_code: bool = False

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def needs_second_factor(self) -> bool:
        """Whether a login must pass a second factor: always for staff, and for any member
        who has set one up."""
        return self.two_factor_enrolled_at is not None or bool(self.roles & TWO_FACTOR_ROLES)


def actor_from_user(user: User) -> Actor:
    return Actor(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=user.role_names,
        timezone=user.timezone,
        must_change_password=user.must_change_password,
        two_factor_enrolled_at=user.totp_enrolled_at,
    )


def normalize_username(username: str) -> str:
    return username.strip().lower()


@dataclass(frozen=True)
class LoginResult:
    actor: Actor | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.actor is not None


def throttled_message(wait: timedelta) -> str:
    return ("There have been too many login attempts. For everyone's safety, wait "
            f"{minutes_rounded_up(wait)} and try again.")


@dataclass(frozen=True)
class PasswordProof:
    """A password checked against the hash an account had when it was read: the slow
    part of a login (argon2id, tens of milliseconds), done outside any transaction so that
    a flood of logins never holds up other people's saves."""

    checked_hash: str | None  # None: no such account (a dummy hash took the same time)
    valid: bool
    new_hash: str | None


def stored_password_hash(*, session: Session, username: str) -> str | None:
    return session.scalar(select(User.password_hash)
                          .where(User.username == normalize_username(username)))


def prove_password(*, password: str, stored_hash: str | None) -> PasswordProof:
    """Check `password` against `stored_hash`; call it outside any transaction."""
    if stored_hash is None:
        dummy_verify(password)
        return PasswordProof(checked_hash=None, valid=False, new_hash=None)
    valid, new_hash = verify_and_update(password, stored_hash)
    return PasswordProof(checked_hash=stored_hash, valid=valid, new_hash=new_hash)


def log_in(
    *, session: Session, username: str, password: str, settings: Settings, now: datetime,
    client_address: str | None = None, throttle: LoginThrottle = THROTTLE,
    proof: PasswordProof | None = None,
) -> LoginResult:
    """Check a username and password. Failures are counted and audited, never explained.
    `client_address`, where known, lets the throttle stop one address trying many
    accounts. With a `proof` made beforehand against the hash the account still has, no
    password is hashed here; otherwise it is checked here."""
    name = normalize_username(username)
    wait = throttle.attempt(address=client_address, username=name, now=now)
    if wait is not None:
        # Before any lookup or hash: the answer is the same for every username.
        record_event(session, actor_id=None, action="login_failed", outcome="denied", at=now,
                     detail="too many attempts")
        return LoginResult(actor=None, error=throttled_message(wait))
    result = _check_password(session=session, name=name, password=password,
                             settings=settings, now=now, proof=proof)
    if not result.ok:
        throttle.failed(address=client_address, now=now)
    return result


def _check_password(*, session: Session, name: str, password: str, settings: Settings,
                    now: datetime, proof: PasswordProof | None) -> LoginResult:
    user = session.scalar(select(User).where(User.username == name))

    def checked() -> tuple[bool, str | None]:
        if proof is not None and proof.checked_hash == user.password_hash:
            return proof.valid, proof.new_hash
        return verify_and_update(password, user.password_hash)

    def spend_the_time() -> None:
        if proof is None:
            dummy_verify(password)

    if user is None:
        spend_the_time()
        record_event(session, actor_id=None, action="login_failed", outcome="denied", at=now,
                     detail="unknown username")
        return LoginResult(actor=None, error=login_failed_message(settings))

    if is_locked(user, now):
        spend_the_time()
        record_event(session, actor_id=user.id, action="login_failed", outcome="denied", at=now,
                     detail="account locked")
        return LoginResult(actor=None, error=login_failed_message(settings))

    valid, new_hash = checked()
    if not valid or not user.is_active:
        detail = "wrong password" if not valid else "account deactivated"
        record_event(session, actor_id=user.id, action="login_failed", outcome="denied", at=now,
                     detail=detail)
        if not valid:
            count_failure(session, user, settings=settings, now=now, failures="failed logins")
        return LoginResult(actor=None, error=login_failed_message(settings))

    if new_hash is not None:
        # Parameters were raised since this hash was made: upgrade it while we hold the password.
        user.password_hash = new_hash
    if user.totp_enrolled_at is not None:
        # The password alone is not a login here: the failure count goes on until the second
        # factor passes too, or else a right password would buy five more guesses of a code.
        record_event(session, actor_id=user.id, action="login", at=now,
                     detail="password accepted, second factor pending")
        return LoginResult(actor=actor_from_user(user))
    clear_failures(user)
    user.last_login_at = now
    record_event(session, actor_id=user.id, action="login", at=now,
                 detail="password accepted, two-factor set-up pending"
                 if user.role_names & TWO_FACTOR_ROLES else None)
    return LoginResult(actor=actor_from_user(user))


def log_out(*, session: Session, actor_id: int, reason: str = "logged out",
            now: datetime) -> None:
    record_event(session, actor_id=actor_id, action="logout", at=now, detail=reason)


def current_actor(*, session: Session, user_id: int) -> Actor | None:
    """The actor for a session's user id, or None when the account is gone or deactivated."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return actor_from_user(user)


def session_expiry_reason(*, age: timedelta, idle: timedelta, settings: Settings) -> str | None:
    """Why a browser session has ended, or None while it is still valid.

    `age` is the time since login and `idle` the time since the person last did something,
    both measured on the monotonic clock (dashboard.clock.elapsed_seconds), so that a step
    of the wall clock neither stretches a session nor cuts it short. A negative duration
    can only come from a clock that is not monotonic: the session ends, as in any doubt.
    """
    if age >= settings.absolute_timeout or age < timedelta(0):
        hours = int(settings.absolute_timeout.total_seconds() // 3600)
        return f"For your privacy you are logged out after {hours} hours. Please log in again."
    if idle >= settings.idle_timeout or idle < timedelta(0):
        minutes = int(settings.idle_timeout.total_seconds() // 60)
        return (
            f"For your privacy you were logged out after {minutes} minutes without activity. "
            "Please log in again."
        )
    return None


def reconfirm_password(*, session: Session, user: User, password: str, action: str,
                       settings: Settings | None = None, now: datetime
                       ) -> str | None:
    """Check the password a logged-in person typed to confirm a change to their account;
    the reason it is refused, or None when it is right.

    A wrong password counts toward the lockout exactly like a failed login, and that count
    is committed at once, before the caller's action fails: otherwise a browser left
    logged in would let anyone guess the password without limit on this form. While the
    account is locked no password is checked here.
    """
    settings = settings or config.settings()
    if is_locked(user, now):
        dummy_verify(password)
        return _paused_message(user, now)
    valid, _ = verify_and_update(password, user.password_hash)
    if valid:
        return None
    record_event(session, actor_id=user.id, action="password_check_failed", outcome="denied",
                 at=now, detail=action)
    locked = count_failure(session, user, settings=settings, now=now,
                           failures="wrong passwords")
    session.commit()
    if locked:  # this one was the last try
        return "That is not your current password. " + _paused_message(user, now)
    return "That is not your current password."


def _paused_message(user: User, now: datetime) -> str:
    return ("Too many wrong passwords. For your safety this is paused: try again in "
            f"{minutes_left(user, now)}.")


def change_password(
    *, session: Session, actor: Actor, current_password: str, new_password: str,
    confirm_password: str, settings: Settings | None = None, now: datetime,
) -> None:
    user = session.get(User, actor.id)
    if user is None:
        raise ValidationError("Your account could not be found; please log in again.")
    errors: dict[str, str] = {}
    refused = reconfirm_password(session=session, user=user, password=current_password,
                                 action="change password", settings=settings, now=now)
    valid = refused is None
    if refused:
        errors["current_password"] = refused
    problem = password_problem(new_password)
    if problem:
        errors["new_password"] = problem
    elif new_password != confirm_password:
        errors["confirm_password"] = "The two new passwords are not the same."
    elif valid and new_password == current_password:
        errors["new_password"] = "Choose a password different from the current one."
    if errors:
        raise ValidationError(errors)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    record_event(session, actor_id=actor.id, action="password_changed", at=now)
