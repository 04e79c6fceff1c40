"""Two-factor login: time-based codes from an authenticator app (TOTP, RFC 6238) and
single-use recovery codes.

Required for sponsors, counselors and administrators (`auth.TWO_FACTOR_ROLES`), optional
for members. The rules:

- A code is accepted for the current 30-second time step or one step either side (clock
  drift), and only for a step later than the last one accepted: no code works twice, and
  once a code is used no older code works either.
- Ten recovery codes are made at enrolment, shown once and stored as argon2id hashes
  (the same `CryptContext` as passwords); each works once.
- Wrong codes count in `users.failed_logins` with the passwords' threshold and lock
  duration (`Settings.lockout_attempts`, `Settings.lockout_duration`). A right code from
  a clock that is off (the phone's or the server's, by up to `SKEW_STEPS` steps) is
  refused, said so, and not counted: the person knows the secret, the clocks disagree.
- Every attempt is audited; the audit never holds a code or the secret.

Every function takes `now` so tests can move the clock; pages pass nothing and get the
real time. Functions that check a code return a result instead of raising on a wrong
one, so the failure count and its audit event are committed with the action.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from dashboard.audit import record_event
from dashboard.auth import TWO_FACTOR_ROLES, Actor, reconfirm_password
from dashboard.config import Settings
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.lockout import (
    clear_failures,
    count_failure,
    is_locked,
    lockout_minutes,
    minutes_left,
    tries_left,
)
from dashboard.passwords import (
    dummy_verify,
    hash_password,
    password_context,
)
from dashboard.totp_codes import (
    DIGITS,
    STEP_SECONDS,
    clean_code,
    clock_skew_message,
    clock_skew_steps,
    matching_step,
    replayed,
)
from models import User
from models.entities import RecoveryCode

RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without the look-alikes 0/o, 1/l/i: 31 symbols, so a code
# of 10 carries about 49 bits, shown as two groups of five.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
# The name an authenticator app lists the account under. Neutral on purpose: a phone's
# screen is seen by others, and "recovery" there would tell them more than it should.
ISSUER = "Dashboard"

_SPACES_AND_DASHES = re.compile(r"[\s\-]+")

CODE_FORMAT_MESSAGE = "Enter the 6-digit code that your authenticator app shows now."
RECOVERY_FORMAT_MESSAGE = (
    f"A recovery code is {RECOVERY_LENGTH} letters and digits, such as abcde-fgh23; "
    "type it as written on your saved list."
)
ENROL_CODE_MESSAGE = (
    "That code does not match. Check that you added the key shown above, then enter the "
    "newest code your app shows for it. If it still fails, make sure your phone sets its "
    "clock automatically."
)
ACCOUNT_GONE_MESSAGE = "Your account could not be found; please log in again."


def is_required(roles: frozenset[str]) -> bool:
    """Whether accounts with these roles must use two-factor login."""
    return bool(roles & TWO_FACTOR_ROLES)


# --- recovery codes -------------------------------------------------------------------


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    half = RECOVERY_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


def _clean_recovery_code(code: str) -> str | None:
    cleaned = _SPACES_AND_DASHES.sub("", code or "").lower()
    if len(cleaned) != RECOVERY_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in cleaned):
        return None
    return cleaned


def _store_recovery_codes(session: Session, user_id: int, now: datetime) -> list[str]:
    """Replace the account's recovery codes with new ones; returns them, the only time
    they exist in the clear."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.execute(
        insert(RecoveryCode),
        [{"user_id": user_id, "code_hash": hash_password(_SPACES_AND_DASHES.sub("", c)),
          "created_at": now} for c in codes],
    )
    return codes


def recovery_codes_left(*, session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ) or 0


# --- enrolment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """A new secret, not stored anywhere until it is confirmed with a first code."""

    secret: str
    uri: str

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, as people type it into an app by hand."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def start_enrolment(*, actor: Actor) -> Enrolment:
    """A fresh 160-bit secret and the otpauth:// address its QR code carries."""
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS, digits=DIGITS).provisioning_uri(
        name=actor.username, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def qr_png(uri: str, *, scale: int = 6) -> bytes:
    """The QR code of an otpauth:// address as a PNG, made here: nothing leaves the server."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=scale, border=4,
                                    dark="#000000", light="#ffffff")
    return buffer.getvalue()


@dataclass(frozen=True)
class Enrolled:
    enrolled_at: datetime
    recovery_codes: list[str]


def _user_for_update(session: Session, user_id: int) -> User | None:
    """The account row, locked until the transaction ends (PostgreSQL; SQLite's transactions
    hold the write lock from their start), so two tries of one code cannot both pass."""
    return session.scalar(
        select(User).where(User.id == user_id).with_for_update()
        .execution_options(populate_existing=True)
    )


def confirm_enrolment(
    *, session: Session, actor: Actor, secret: str, code: str, password: str,
    settings: Settings | None = None, now: datetime
) -> Enrolled:
    """Turn on two-factor login with the secret shown to the person, once they prove their
    app has it by entering a first code, and that they are the account's owner with its
    password: someone at an open session must not bind their own phone to it. Returns the
    recovery codes, to show once.

    A wrong password counts toward the lockout. A wrong code is a typing slip, not an
    attack (the secret was just shown to this session): it is refused without counting.
    """
    user = _user_for_update(session, actor.id)
    if user is None or not user.is_active:
        raise ValidationError(ACCOUNT_GONE_MESSAGE)
    if user.totp_enrolled_at is not None:
        raise ValidationError("Two-factor login is already set up for your account.")
    refused = reconfirm_password(session=session, user=user, password=password,
                                 action="turn on two-factor login", settings=settings, now=now)
    if refused:
        raise ValidationError({"password": refused})
    cleaned = clean_code(code)
    if cleaned is None:
        raise ValidationError({"code": CODE_FORMAT_MESSAGE})
    try:
        step = matching_step(secret, cleaned, now, after=None)
    except ValueError:  # not base32: never from start_enrolment
        step = None
    if step is None:
        skew = clock_skew_steps(secret, cleaned, now, after=None)
        raise ValidationError({"code": ENROL_CODE_MESSAGE if skew is None
                               else clock_skew_message(skew)})
    user.totp_secret = secret
    user.totp_enrolled_at = now
    user.totp_last_step = step
    codes = _store_recovery_codes(session, user.id, now)
    record_event(session, actor_id=user.id, action="two_factor_enrolled", at=now,
                 detail=f"{RECOVERY_CODE_COUNT} recovery codes made")
    return Enrolled(enrolled_at=now, recovery_codes=codes)


# --- the second factor at login -------------------------------------------------------


@dataclass(frozen=True)
class SecondFactorResult:
    """What a code at login led to. `enrolled_at` is the set-up it passed, which the browser
    session keeps; `locked` means the session must end."""

    ok: bool
    error: str | None = None
    locked: bool = False
    enrolled_at: datetime | None = None
    recovery_codes_left: int | None = None


def locked_message(user: User, now: datetime) -> str:
    return (
        "Too many wrong tries: to keep your account safe it is locked for "
        f"{minutes_left(user, now)}. Then log in again. If you no longer have your phone, use one "
        "of your recovery codes, or ask an administrator to reset your two-factor login."
    )


def _wrong_message(what: str, tries_left: int, settings: Settings) -> str:
    tries = "1 more wrong try" if tries_left == 1 else f"{tries_left} more wrong tries"
    return f"{what} After {tries} your account locks for {lockout_minutes(settings)}."


def _check_second_factor(
    session: Session, *, actor: Actor, settings: Settings, now: datetime, kind: str,
    attempt,
) -> SecondFactorResult:
    """The shared frame of both kinds of code: account state, lockout, counting, audit.

    `attempt(user)` returns (accepted, audit detail, message on failure) or, for a failure
    that must not count toward the lockout (a right code from a clock that is off), a
    fourth item False.
    """
    user = _user_for_update(session, actor.id)
    if user is None or not user.is_active:
        return SecondFactorResult(ok=False, error=ACCOUNT_GONE_MESSAGE, locked=True)
    if user.totp_enrolled_at is None or user.totp_secret is None:
        # Reset by an administrator meanwhile: the router sends the session to enrolment.
        return SecondFactorResult(ok=False, error="Two-factor login is not set up for your "
                                  "account any more: set it up again to continue.")
    if is_locked(user, now):
        if kind == "recovery code":
            dummy_verify("spend the time of a check")
        record_event(session, actor_id=user.id, action="second_factor_failed", outcome="denied",
                     at=now, detail=f"{kind}: account locked")
        return SecondFactorResult(ok=False, error=locked_message(user, now), locked=True)

    accepted, detail, message, *counts = attempt(user)
    if not accepted:
        record_event(session, actor_id=user.id, action="second_factor_failed", outcome="denied",
                     at=now, detail=f"{kind}: {detail}")
        if counts == [False]:
            return SecondFactorResult(ok=False, error=message)
        if count_failure(session, user, settings=settings, now=now, failures="failed logins"):
            return SecondFactorResult(ok=False, error=locked_message(user, now), locked=True)
        return SecondFactorResult(
            ok=False, error=_wrong_message(message, tries_left(user, settings), settings))

    clear_failures(user)
    user.last_login_at = now
    record_event(session, actor_id=user.id, action="second_factor_passed", at=now, detail=kind)
    return SecondFactorResult(ok=True, enrolled_at=user.totp_enrolled_at)


def verify_second_factor(
    *, session: Session, actor: Actor, code: str, settings: Settings,
    now: datetime,
) -> SecondFactorResult:
    """Check a code from the authenticator app after the password.

    Malformed input (not 6 digits) raises ValidationError and is not counted: it cannot be
    right, and counting a slip of the finger would only lock people out.
    """
    cleaned = clean_code(code)
    if cleaned is None:
        raise ValidationError({"code": CODE_FORMAT_MESSAGE})

    def attempt(user: User):
        step = matching_step(user.totp_secret, cleaned, now, after=user.totp_last_step)
        if step is None:
            skew = clock_skew_steps(user.totp_secret, cleaned, now, after=user.totp_last_step)
            if skew is not None:
                return (False, f"clock off by {skew * STEP_SECONDS:+d} s",
                        clock_skew_message(skew), False)
            replay = replayed(user.totp_secret, cleaned, now, after=user.totp_last_step)
            return (False, "code used before" if replay else "wrong code",
                    "That code did not work. Enter the newest code that your authenticator "
                    "app shows for this account: each code works only once.")
        user.totp_last_step = step
        return True, None, None

    return _check_second_factor(session, actor=actor, settings=settings, now=now,
                                kind="authenticator code", attempt=attempt)


def use_recovery_code(
    *, session: Session, actor: Actor, code: str, settings: Settings,
    now: datetime,
) -> SecondFactorResult:
    """Pass the second factor with one of the account's recovery codes, which is then spent."""
    cleaned = _clean_recovery_code(code)
    if cleaned is None:
        raise ValidationError({"recovery_code": RECOVERY_FORMAT_MESSAGE})

    def attempt(user: User):
        unused = session.scalars(
            select(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            .order_by(RecoveryCode.id)
        ).all()
        # A wrong code costs one argon2id check per unused code; a right one stops early,
        # which tells nothing its holder does not know.
        match = next((row for row in unused if password_context.verify(cleaned, row.code_hash)),
                     None)
        if not unused:
            dummy_verify(cleaned)
        if match is None:
            return (False, "wrong or used recovery code",
                    "That recovery code did not work. Each recovery code works only once; "
                    "type one from your saved list that you have not used yet.")
        match.used_at = now
        return True, None, None

    result = _check_second_factor(session, actor=actor, settings=settings, now=now,
                                  kind="recovery code", attempt=attempt)
    if not result.ok:
        return result
    left = recovery_codes_left(session=session, user_id=actor.id)
    record_event(session, actor_id=actor.id, action="recovery_code_used", at=now,
                 detail=f"{left} recovery codes left")
    return SecondFactorResult(ok=True, enrolled_at=result.enrolled_at, recovery_codes_left=left)


# --- managing one's own second factor -------------------------------------------------


@dataclass(frozen=True)
class TwoFactorStatus:
    enrolled_at: datetime | None
    required: bool
    recovery_codes_left: int


def two_factor_status(*, session: Session, actor: Actor) -> TwoFactorStatus:
    user = session.get(User, actor.id)
    if user is None:
        raise ValidationError(ACCOUNT_GONE_MESSAGE)
    return TwoFactorStatus(
        enrolled_at=user.totp_enrolled_at,
        required=is_required(user.role_names),
        recovery_codes_left=recovery_codes_left(session=session, user_id=user.id),
    )


def regenerate_recovery_codes(
    *, session: Session, actor: Actor, code: str, now: datetime
) -> list[str]:
    """New recovery codes in place of the old ones, after a current code from the app.

    Only for a session that has passed its second factor (the page checks): a wrong code
    here is refused without counting, since there is nothing left to guess.
    """
    user = _user_for_update(session, actor.id)
    if user is None or not user.is_active:
        raise ValidationError(ACCOUNT_GONE_MESSAGE)
    if user.totp_enrolled_at is None or user.totp_secret is None:
        raise ValidationError("Two-factor login is not set up for your account.")
    cleaned = clean_code(code)
    if cleaned is None:
        raise ValidationError({"code": CODE_FORMAT_MESSAGE})
    step = matching_step(user.totp_secret, cleaned, now, after=user.totp_last_step)
    if step is None:
        raise ValidationError({"code": "That code did not work. Enter the newest code that "
                                       "your authenticator app shows: each code works only once."})
    user.totp_last_step = step
    codes = _store_recovery_codes(session, user.id, now)
    record_event(session, actor_id=user.id, action="recovery_codes_renewed", at=now,
                 detail=f"{RECOVERY_CODE_COUNT} recovery codes made, the old ones spent")
    return codes


def clear_second_factor(session: Session, user: User) -> None:
    """Forget an account's secret and recovery codes (audited by the caller)."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off(
    *, session: Session, actor: Actor, password: str, settings: Settings | None = None,
    now: datetime
) -> None:
    """A member turns their optional two-factor login off, confirming with their password
    (a wrong one counts toward the lockout)."""
    user = _user_for_update(session, actor.id)
    if user is None or not user.is_active:
        raise ValidationError(ACCOUNT_GONE_MESSAGE)
    if is_required(user.role_names):
        raise PermissionDenied("Two-factor login is required for sponsors, counselors and "
                               "administrators, so it stays on.")
    if user.totp_enrolled_at is None:
        raise ValidationError("Two-factor login is already off.")
    refused = reconfirm_password(session=session, user=user, password=password,
                                 action="turn off two-factor login", settings=settings, now=now)
    if refused:
        raise ValidationError({"password": refused})
    clear_second_factor(session, user)
    record_event(session, actor_id=user.id, action="two_factor_turned_off", at=now)
