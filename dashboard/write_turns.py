"""Write transactions that wait their turn fairly, and a retry for a busy database.

Why a turn: on SQLite every transaction of the app takes the one write lock when it
begins (BEGIN IMMEDIATE, see models/db.py). A transaction that finds it taken waits in
SQLite's busy handler, which sleeps and polls, up to 100 ms between tries. Under a
steady stream of short transactions (saves, and the audited page views that also
write) a waiter that polls keeps missing the moments the lock is free, while others
get it again and again: the benchmark's concurrent writers saw one writer wait seconds
while others saved dozens of times. Past the busy timeout that waiter's save fails with
"database is locked". `serialized_transaction` lines up the transactions of this
process first come, first served before they ask SQLite for the lock, so the lock is
handed from one to the next with no polling and no one is overtaken. Between
processes (the CLI's sweep, a backup) the busy timeout still does the waiting.

Why a retry: what can still fail is a transaction that met another process's lock for
longer than the busy timeout on SQLite, or, on PostgreSQL, a deadlock or a
serialization failure. All three mean "nothing was written, try again".
`retry_when_busy` runs the whole action again, a few times, then lets the error through.

PostgreSQL needs no turn: its row locks let unrelated writes run side by side.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

# Longer than SQLite's busy timeout (15 s): a transaction ahead in line that waits for
# another process is given as long as SQLite itself would give it.
TURN_TIMEOUT_SECONDS = 30.0
RETRY_ATTEMPTS = 3
# PostgreSQL: serialization_failure, deadlock_detected.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


class WaitedTooLong(TimeoutError):
    """The write turn did not come within TURN_TIMEOUT_SECONDS; nothing was written."""


class FairTurn:
    """A lock taken in the order it was asked for; the holder's thread may take it again.

    threading.Lock promises no order: a thread that releases it and asks again at once
    can overtake one that has waited long. Here each waiter has its own event, set by
    the holder that releases the turn to the longest waiting thread.
    """

    def __init__(self) -> None:
        self._guard = threading.Condition()
        self._waiting: deque[tuple[int, threading.Event]] = deque()
        self._holder: int | None = None
        self._depth = 0

    def acquire(self, timeout: float = TURN_TIMEOUT_SECONDS) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._holder == me:
                self._depth += 1
                return
            if self._holder is None and not self._waiting:
                self._holder, self._depth = me, 1
                return
            turn = threading.Event()
            self._waiting.append((me, turn))
            self._guard.notify_all()
        if turn.wait(timeout):
            return  # the releasing thread made us the holder
        with self._guard:
            if turn.is_set():  # handed over just as the wait ran out
                return
            self._waiting.remove((me, turn))
        raise WaitedTooLong(f"waited {timeout:g} s for a turn to write")

    def release(self) -> None:
        with self._guard:
            if self._holder != threading.get_ident():
                raise RuntimeError("the write turn is released by a thread that does not hold it")
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:
                self._holder, turn = self._waiting.popleft()
                self._depth = 1
                turn.set()
            else:
                self._holder = None

    @property
    def waiting(self) -> int:
        with self._guard:
            return len(self._waiting)

    def wait_for_waiting(self, count: int, timeout: float) -> bool:
        """Block until `count` threads wait for the turn (False after `timeout` seconds)."""
        with self._guard:
            return self._guard.wait_for(lambda: len(self._waiting) >= count, timeout)

    def __enter__(self) -> FairTurn:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


_turns: weakref.WeakKeyDictionary[Engine, FairTurn] = weakref.WeakKeyDictionary()
_turns_guard = threading.Lock()


def write_turn(engine: Engine) -> FairTurn | None:
    """The process's line for an engine's SQLite file; None for a database without the need."""
    if engine.dialect.name != "sqlite":
        return None
    with _turns_guard:
        turn = _turns.get(engine)
        if turn is None:
            turn = _turns[engine] = FairTurn()
        return turn


@contextmanager
def serialized_transaction(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """`session_factory.begin()`, entered in turn with this process's other transactions
    on SQLite; as it is on PostgreSQL. Committed at the end of the block, rolled back on
    an error, like `begin()`."""
    turn = write_turn(session_factory.kw["bind"])
    if turn is None:
        with session_factory.begin() as session:
            yield session
        return
    with turn, session_factory.begin() as session:
        yield session


def is_busy(error: BaseException) -> bool:
    """Whether the database refused for now and wrote nothing: worth one more try."""
    if isinstance(error, WaitedTooLong):
        return True
    if isinstance(error, OperationalError):
        message = str(error.orig or error).lower()
        if "database is locked" in message or "database is busy" in message:
            return True
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
    return False


def retry_when_busy(action: Callable[[], T], *, attempts: int = RETRY_ATTEMPTS,
                    also_retry: Callable[[BaseException], bool] | None = None) -> T:
    """Run `action` (a whole transaction: it opens, writes and commits) again while the
    database answers busy, up to `attempts` times in all; then the error goes through.

    `also_retry(error)` names other failures worth another try, with longer pauses: a
    connection dropped by a database restart, for an action that may safely run twice
    (an upsert such as a check-in save)."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as error:
            if attempt == attempts:
                raise
            if is_busy(error):
                # A short random pause, so that two retrying writers do not collide again.
                time.sleep(random.uniform(0.01, 0.05) * attempt)
            elif also_retry is not None and also_retry(error):
                # A restarting server takes a second or two to take connections again.
                time.sleep(min(2.0, 0.25 * 2 ** attempt))
            else:
                raise
    raise AssertionError("unreachable")


def run_transaction(session_factory: sessionmaker[Session], action: Callable[[Session], T], *,
                    also_retry: Callable[[BaseException], bool] | None = None) -> T:
    """`action(session)` as one transaction taken in turn, run again while the database
    answers busy (or `also_retry` says so): how the app saves what a person typed."""
    def attempt() -> T:
        with serialized_transaction(session_factory) as session:
            return action(session)
    # A dropped connection gets the pauses of a server restart: 0.5, 1, 2 and 2 s.
    return retry_when_busy(attempt, also_retry=also_retry,
                           attempts=RETRY_ATTEMPTS if also_retry is None else 5)
