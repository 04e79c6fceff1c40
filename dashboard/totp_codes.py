"""Time-based one-time codes (TOTP, RFC 6238): which 30-second step a code belongs to,
and whether a right code comes from a clock that is off.

The rules of two-factor login that use these are in dashboard/two_factor.py.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
# Codes of one step before or after the current one are accepted too (RFC 6238 section 6).
DRIFT_STEPS = 1
# Beyond the drift window, a code that matches a step this far away (10 minutes either
# side) tells of a clock that is off. Wider would let a guess match by chance more often
# (2 x 20 steps in a million codes) without helping anyone whose clock is set at all.
SKEW_STEPS = 20
_SPACES_AND_DASHES = re.compile(r"[\s\-]+")


def time_step(now: datetime) -> int:
    """The RFC 6238 time step of a moment: 30-second periods since the Unix epoch."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, now: datetime, *, steps: int = 0) -> str:
    """The code an authenticator app shows at `now` (or `steps` periods away from it)."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS, digits=DIGITS).generate_otp(
        time_step(now) + steps)


def clean_code(code: str) -> str | None:
    """The 6 digits typed (spaces allowed, as apps show "123 456"), or None if malformed."""
    cleaned = _SPACES_AND_DASHES.sub("", code or "")
    return cleaned if len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit() else None


def matching_step(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """The earliest step within the drift window whose code is `code` and that comes after
    `after` (the last step accepted), or None."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS, digits=DIGITS)
    current = time_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def clock_skew_steps(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """How many steps away from now, beyond the drift window and within `SKEW_STEPS`, the
    step whose code is `code` lies (negative: the phone is behind), or None. Only steps
    after the last one accepted count: an old code replayed is not a clock that is off."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS, digits=DIGITS)
    current = time_step(now)
    for distance in range(DRIFT_STEPS + 1, SKEW_STEPS + 1):
        for step in (current - distance, current + distance):
            if after is not None and step <= after:
                continue
            if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
                return step - current
    return None


# A right code up to this many steps old was most likely typed slowly, not skewed.
JUST_EXPIRED_STEPS = 3


def clock_skew_message(steps: int) -> str:
    """What to do about a right code from a clock that is off by `steps` time steps."""
    if -JUST_EXPIRED_STEPS <= steps < 0:
        return ("That code has just expired: the app shows a new one every 30 seconds. "
                "This try does not count against you. Enter the newest code your app shows; "
                "if it fails again, check that your phone takes its time from the network.")
    minutes = max(1, round(abs(steps) * STEP_SECONDS / 60))
    direction = "behind" if steps < 0 else "ahead of"
    return (
        f"That code is right, but your phone's clock is about {minutes} minute"
        f"{'' if minutes == 1 else 's'} {direction} this server's, so it cannot be accepted. "
        "This try does not count against you. Set your phone to take its time from the "
        "network (in its date and time settings), then enter the newest code. If your "
        "phone's time is right, tell an administrator: the server's clock may be off."
    )


def replayed(secret: str, code: str, now: datetime, *, after: int | None) -> bool:
    """Whether `code` is right for a step in the window that was already used (for the audit)."""
    if after is None:
        return False
    return matching_step(secret, code, now, after=None) is not None
