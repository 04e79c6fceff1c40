"""How fast logins may be tried: per client address and per username, in this process.

The lockout (lockout.py) protects one account from guessing. This protects the rest: one
address may not try passwords on many accounts (failed logins per address), and nobody
may hammer one username, locked or not, which costs a password hash each time (attempts
per username). A refused attempt is answered before any password is checked.

The counts live in the app process, like the browser sessions: behind a proxy with several
processes each keeps its own, which multiplies the limits by the number of processes.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limit:
    attempts: int
    window: timedelta


# A clinic's staff share an address behind its router: only failures count there.
FAILURES_PER_ADDRESS = Limit(attempts=20, window=timedelta(minutes=10))
ATTEMPTS_PER_USERNAME = Limit(attempts=10, window=timedelta(minutes=1))


class _Window:
    """Moments of recent events per key, forgetting those older than the limit's window."""

    def __init__(self, limit: Limit):
        self.limit = limit
        self.moments: dict[str, deque[datetime]] = defaultdict(deque)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        moments = self.moments[key]
        while moments and moments[0] <= now - self.limit.window:
            moments.popleft()
        if not moments:
            del self.moments[key]
            return deque()
        return moments

    def wait(self, key: str, now: datetime) -> timedelta | None:
        """How long until `key` may try again, or None if it may now."""
        moments = self._recent(key, now)
        if len(moments) < self.limit.attempts:
            return None
        return moments[-self.limit.attempts] + self.limit.window - now

    def add(self, key: str, now: datetime) -> None:
        self._recent(key, now)
        self.moments[key].append(now)


class LoginThrottle:
    def __init__(self, *, per_address: Limit = FAILURES_PER_ADDRESS,
                 per_username: Limit = ATTEMPTS_PER_USERNAME):
        self._lock = threading.Lock()
        self._per_address = _Window(per_address)
        self._per_username = _Window(per_username)

    def attempt(self, *, address: str | None, username: str, now: datetime
                ) -> timedelta | None:
        """Count an attempt to log in as `username` from `address` (None when unknown);
        how long to wait instead, if it is one too many."""
        with self._lock:
            waits = [self._per_username.wait(username, now)]
            if address:
                waits.append(self._per_address.wait(address, now))
            longest = max((w for w in waits if w is not None), default=None)
            if longest is None:
                self._per_username.add(username, now)
            return longest

    def would_refuse(self, *, address: str | None, username: str, now: datetime) -> bool:
        """Whether `attempt` would refuse now; counts nothing (to skip a hash in vain)."""
        with self._lock:
            return (self._per_username.wait(username, now) is not None
                    or bool(address) and self._per_address.wait(address, now) is not None)

    def failed(self, *, address: str | None, now: datetime) -> None:
        if address:
            with self._lock:
                self._per_address.add(address, now)

    def forget(self) -> None:
        """Start afresh (tests; the counts are not kept across restarts either)."""
        with self._lock:
            self._per_address = _Window(self._per_address.limit)
            self._per_username = _Window(self._per_username.limit)


# The process's throttle, used by every login of the process.
THROTTLE = LoginThrottle()
