"""Resets of a person's password or second factor, which nobody may do unseen.

An administrator never holds a working credential of another account. A password reset
gives a single-use code, good for 24 hours, that the administrator hands over in person:
it lets its holder choose a new password, nothing more. Every reset, of a password or a
second factor, is recorded with the person as its member (so it is listed in their "Who
viewed my data" and their accounting), and the person is told of it in plain words at
their next login. A session that begins with a reset code says so in the audit event of
everything it reads (dashboard/policy.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dashboard.audit import record_event
from dashboard.auth import (
    Actor,
    LoginResult,
    actor_from_user,
    login_failed_message,
    normalize_username,
)
from dashboard.config import Settings
from dashboard.errors import ValidationError
from dashboard.lockout import count_failure, is_locked, unlock
from dashboard.login_throttle import THROTTLE, LoginThrottle
from dashboard.passwords import (
    dummy_verify,
    hash_password,
    password_problem,
    verify_and_update,
)
from dashboard.timeutil import moment_label
from dashboard.two_factor import RECOVERY_ALPHABET as CODE_ALPHABET
from models import AccountReset, User

CODE_LIFETIME = timedelta(hours=24)
# In the recovery codes' letters (nothing to mistake when read aloud), four groups of four.
CODE_GROUPS, GROUP_LENGTH = 4, 4
CODE_REFUSED = ("That reset code did not work: it may be mistyped, used already or more "
                "than 24 hours old. Ask an administrator for a new one.")


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * GROUP_LENGTH))
    return "-".join(raw[i:i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def _clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch in CODE_ALPHABET)


def _admin_name(actor: Actor | None) -> str:
    return actor.display_name if actor is not None else "the server's operator"


def record_reset(session: Session, *, actor: Actor | None, user: User, kind: str,
                 now: datetime, code: str | None = None) -> None:
    """Keep a reset for the person's next login and record it as an event about them."""
    if code is not None:
        # A newer code replaces any older one not used yet.
        session.execute(update(AccountReset).where(
            AccountReset.user_id == user.id, AccountReset.kind == "password",
            AccountReset.used_at.is_(None), AccountReset.code_hash.is_not(None),
        ).values(code_hash=None))
    session.add(AccountReset(
        user_id=user.id, kind=kind, reset_by_id=actor.id if actor else None,
        reset_by_name=_admin_name(actor), at=now,
        code_hash=hash_password(_clean_code(code)) if code else None,
        expires_at=now + CODE_LIFETIME if code else None))
    record_event(session, actor_id=actor.id if actor else None,
                 actor_role="admin" if actor else None,
                 action="password_reset" if kind == "password" else "two_factor_reset",
                 member_id=user.id, screen="Users" if actor else None, at=now,
                 detail=None if actor else "command line")


def create_reset_code(session: Session, *, actor: Actor | None, user: User,
                      now: datetime) -> str:
    """A new single-use code for `user` to choose a new password with; shown once."""
    code = _new_code()
    record_reset(session, actor=actor, user=user, kind="password", now=now, code=code)
    return code


def redeem_reset_code(
    *, session: Session, username: str, code: str, new_password: str, confirm_password: str,
    settings: Settings, now: datetime, client_address: str | None = None,
    throttle: LoginThrottle = THROTTLE,
) -> LoginResult:
    """Choose a new password with a reset code, and log in with it.

    A wrong code counts like a wrong password (throttle and lockout), and its answer never
    tells whether the username exists. Raises ValidationError for a new password that
    does not meet the policy, before the code is checked or spent.
    """
    problem = password_problem(new_password)
    if problem:
        raise ValidationError({"new_password": problem})
    if new_password != confirm_password:
        raise ValidationError({"confirm_password": "The two new passwords are not the same."})
    name = normalize_username(username)
    wait = throttle.attempt(address=client_address, username=name, now=now)
    if wait is not None:
        record_event(session, actor_id=None, action="reset_code_refused", outcome="denied",
                     at=now, detail="too many attempts")
        return LoginResult(actor=None, error=login_failed_message(settings))
    user = session.scalar(select(User).where(User.username == name).with_for_update())
    resets = [] if user is None else session.scalars(
        select(AccountReset).where(
            AccountReset.user_id == user.id, AccountReset.kind == "password",
            AccountReset.used_at.is_(None), AccountReset.code_hash.is_not(None),
            AccountReset.expires_at > now)).all()
    cleaned = _clean_code(code)
    matching = next((r for r in resets if verify_and_update(cleaned, r.code_hash)[0]), None)
    if not resets:
        dummy_verify(cleaned)
    if user is None or matching is None or is_locked(user, now) or not user.is_active:
        throttle.failed(address=client_address, now=now)
        record_event(session, actor_id=user.id if user else None,
                     action="reset_code_refused", outcome="denied", at=now,
                     detail="no such username" if user is None else "wrong or spent code")
        if user is not None and matching is None and not is_locked(user, now):
            count_failure(session, user, settings=settings, now=now,
                          failures="wrong reset codes")
        return LoginResult(actor=None, error=CODE_REFUSED)
    matching.used_at = now
    matching.code_hash = None
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.last_login_at = now
    unlock(user)
    record_event(session, actor_id=user.id, action="password_changed", member_id=user.id,
                 at=now, detail="with a reset code")
    return LoginResult(actor=actor_from_user(user))


@dataclass(frozen=True)
class ResetNotice:
    kind: str
    by: str
    at: datetime

    def sentence(self, timezone: str, now: datetime) -> str:
        what = "your password" if self.kind == "password" else "your two-factor login"
        return (f"{self.by} reset {what} ({moment_label(self.at, timezone, now=now)}). "
                "If you did not ask for this, tell your counselor or the clinic at once: "
                "your data may have been opened by someone else.")


def resets_to_tell(session: Session, *, user_id: int, now: datetime) -> list[ResetNotice]:
    """The resets of this account not yet told to its owner, oldest first; from now on,
    told."""
    resets = session.scalars(select(AccountReset).where(
        AccountReset.user_id == user_id, AccountReset.seen_at.is_(None),
    ).order_by(AccountReset.at, AccountReset.id)).all()
    for reset in resets:
        reset.seen_at = now
    return [ResetNotice(kind=r.kind, by=_by_words(r), at=r.at) for r in resets]


def _by_words(reset: AccountReset) -> str:
    if reset.reset_by_id is None and reset.reset_by_name == "the server's operator":
        return "The server's operator"
    return f"An administrator ({reset.reset_by_name})"
