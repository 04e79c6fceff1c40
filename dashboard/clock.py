"""The one reader of the clocks.

Everything else is given the time: a page asks here once per run and hands `now` to the
services it calls, a command asks once and does the same, and services never look at a
clock of their own. So one run of a screen sees one instant, and tests move this clock
with time-machine instead of patching functions across modules.

Two clocks. `now` is the wall clock, for what is dated: check-ins, consents, audit events.
It can step back (an operator's correction, a virtual machine restored): that is logged,
and nothing that protects a member depends on it going forward (a revoked consent is a
state, not a time). `elapsed_seconds` is the monotonic clock, for how long something has
lasted: a browser session's idle and absolute limits, which a step of the wall clock must
neither stretch nor cut short.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

logger = logging.getLogger(__name__)
# Smaller steps back are the normal jitter of clock discipline (NTP slews, not steps).
STEP_BACK_WORTH_A_WARNING = timedelta(seconds=2)

_latest: datetime | None = None
_latest_lock = threading.Lock()


def now() -> datetime:
    """This instant, timezone-aware, in UTC; a warning in the log when the wall clock has
    gone back since the last call."""
    global _latest
    instant = datetime.now(timezone.utc)
    with _latest_lock:
        latest = _latest
        stepped_back = latest is not None and latest - instant >= STEP_BACK_WORTH_A_WARNING
        if latest is None or instant > latest or stepped_back:
            # After a step back, watch from the new time: one warning per step.
            _latest = instant
    if stepped_back:
        logger.warning(
            "The system clock went back by %s (from %s to %s UTC). Consent revocations and "
            "session limits do not depend on it, but new check-ins and audit events are "
            "dated by it: check the host's time synchronisation.",
            latest - instant, latest.strftime("%Y-%m-%d %H:%M:%S"),
            instant.strftime("%Y-%m-%d %H:%M:%S"))
    return instant


def forget_latest() -> None:
    """Start the step-back watch afresh (tests that travel back on purpose)."""
    global _latest
    with _latest_lock:
        _latest = None


def elapsed_seconds() -> float:
    """Seconds on the monotonic clock: only differences of two readings mean anything."""
    return time.monotonic()
