"""The one reader of the wall clock.

Everything else is given the time: a page asks here once per run and hands `now` to the
services it calls, a command asks once and does the same, and services never look at a
clock of their own. So one run of a screen sees one instant, and tests move this clock
with time-machine instead of patching functions across modules.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """This instant, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)
