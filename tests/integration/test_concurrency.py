"""Several people saving check-ins at the same moment: nothing lost, no error shown to anyone.

Eight threads, each with a session of its own from one sessionmaker, as eight browser
sessions of one app process would have. Each alternates between its own member's day
and one day of a member that all of them save, so that the common case (different
rows) and the worst case (one row, one flags episode) run side by side. Every writer
makes a fixed number of saves; a time limit far above what that takes is only there
so that a stuck writer fails the test instead of hanging it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from benchmarks import find_lost_writes, run_concurrent_checkins
from dashboard.write_turns import (
    FairTurn,
    WaitedTooLong,
    is_busy,
    retry_when_busy,
    run_transaction,
)
from models import AuditEvent, CheckIn, Flag, User
from tests.factories import NOW, make_user

WRITERS = 8
SAVES_PER_WRITER = 12
TIME_LIMIT_SECONDS = 60.0


@pytest.fixture
def people(session_factory):
    with session_factory.begin() as session:
        writers = [make_user(session, f"writer{n}", "member") for n in range(WRITERS)]
        shared = make_user(session, "shared", "member")
    return writers, shared


def _assert_nothing_lost(session_factory, load, writers, shared):
    # No "database is locked", no deadlock, no unique violation: nothing reached a person.
    assert load.errors == []
    assert Counter(w.writer for w in load.saved) == {n: SAVES_PER_WRITER for n in range(WRITERS)}

    day = NOW.date()
    saves_by_member = defaultdict(list)
    for write in load.saved:
        saves_by_member[write.member_id].append(write)
    with session_factory() as session:
        stored = dict(session.execute(
            select(CheckIn.member_id, CheckIn.journal).where(CheckIn.local_date == day)
        ).all())
        audited = dict(session.execute(
            select(AuditEvent.member_id, func.count()).where(AuditEvent.action == "checkin_saved")
            .group_by(AuditEvent.member_id)
        ).all())
        episodes = session.execute(
            select(Flag.member_id, Flag.rule_id, Flag.episode_key, func.count())
            .group_by(Flag.member_id, Flag.rule_id, Flag.episode_key)
        ).all()

    # A member only one writer saves holds that writer's last save, word for word.
    for writer in writers:
        own = saves_by_member[writer.id]
        assert stored[writer.id] == max(own, key=lambda w: w.sequence).journal
    # The day every writer saved holds one of their saves (the last to commit wins).
    assert stored[shared.id] in {w.journal for w in saves_by_member[shared.id]}
    # Every save that returned is on the record: committed together with its audit event.
    for member_id, saves in saves_by_member.items():
        assert audited.get(member_id) == len(saves)
    # The flags a hard day calls for were raised once per episode, not once per save.
    assert all(count == 1 for *_, count in episodes)
    assert any(member_id == shared.id and rule == "hard_day" for member_id, rule, *_ in episodes)

    assert find_lost_writes(session_factory, load) == []


def test_concurrent_saves_lose_nothing_and_show_no_error(session_factory, people):
    """As the app saves a check-in: in turn, and again when the database is busy."""
    writers, shared = people
    load = run_concurrent_checkins(session_factory=session_factory, writers=writers,
                                   shared=shared, seconds=TIME_LIMIT_SECONDS,
                                   max_writes_per_writer=SAVES_PER_WRITER, now=NOW)
    _assert_nothing_lost(session_factory, load, writers, shared)


def test_saves_without_a_turn_lose_nothing_either(session_factory, people):
    """Plain transactions, as a second process (the CLI) writes: the database's own locks
    and SQLite's busy timeout keep every save."""
    writers, shared = people
    load = run_concurrent_checkins(session_factory=session_factory, writers=writers,
                                   shared=shared, seconds=TIME_LIMIT_SECONDS,
                                   max_writes_per_writer=SAVES_PER_WRITER, now=NOW,
                                   in_turn=False)
    _assert_nothing_lost(session_factory, load, writers, shared)


def test_lost_writes_are_found(session_factory, people):
    """The benchmark's own check is not vacuous: a save missing from the database shows."""
    writers, shared = people
    load = run_concurrent_checkins(session_factory=session_factory, writers=writers[:2],
                                   shared=shared, seconds=TIME_LIMIT_SECONDS,
                                   max_writes_per_writer=3, now=NOW)
    assert load.errors == [] and load.writes == 6
    with session_factory.begin() as session:
        session.execute(CheckIn.__table__.update()
                        .where(CheckIn.member_id == writers[0].id)
                        .values(journal="overwritten behind the app's back"))
    problems = find_lost_writes(session_factory, load)
    assert len(problems) == 1 and "not the last save" in problems[0]


# ---------------------------------------------------------------------------------------
# The turn and the retry themselves.


def test_the_write_turn_goes_first_come_first_served():
    turn = FairTurn()
    served: list[int] = []
    turn.acquire()

    def wait_then_write(number: int) -> None:
        with turn:
            served.append(number)

    threads = []
    for number in range(5):
        thread = threading.Thread(target=wait_then_write, args=(number,), daemon=True)
        thread.start()
        threads.append(thread)
        # The next thread asks only once this one is in line.
        assert turn.wait_for_waiting(number + 1, timeout=10)
    turn.release()
    for thread in threads:
        thread.join(timeout=10)
    assert served == [0, 1, 2, 3, 4]
    assert turn.waiting == 0


def test_the_write_turn_can_be_taken_again_by_its_holder_and_gives_up_in_time():
    turn = FairTurn()
    with turn, turn:  # a transaction inside a transaction of the same thread
        outcome: list[BaseException | None] = []

        def impatient() -> None:
            try:
                turn.acquire(timeout=0.05)
            except WaitedTooLong as error:
                outcome.append(error)
            else:
                outcome.append(None)
                turn.release()

        thread = threading.Thread(target=impatient, daemon=True)
        thread.start()
        thread.join(timeout=10)
        assert isinstance(outcome[0], WaitedTooLong)
        assert turn.waiting == 0  # the one who gave up left the line
    with turn:  # free again
        pass


def test_a_busy_transaction_is_run_again_and_other_errors_are_not(sqlite_url):
    # A real "database is locked": a connection that gives up at once meets a held lock.
    path = sqlite_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    impatient = sqlite3.connect(path, timeout=0, isolation_level=None)
    attempts = []

    def write():
        attempts.append(1)
        if len(attempts) == 2:
            holder.execute("ROLLBACK")  # the other writer is done by the second try
        try:
            impatient.execute("BEGIN IMMEDIATE")
            impatient.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            raise OperationalError("BEGIN IMMEDIATE", {}, error) from error
        return "written"

    try:
        assert retry_when_busy(write) == "written"
        assert len(attempts) == 2
    finally:
        holder.close()
        impatient.close()

    calls = []

    def broken():
        calls.append(1)
        raise ValueError("not a busy database")

    with pytest.raises(ValueError):
        retry_when_busy(broken)
    assert len(calls) == 1
    assert not is_busy(ValueError("database is locked"))


def test_a_busy_attempt_is_rolled_back_and_the_retry_committed(session_factory, people):
    writers, _ = people
    attempts: list[int] = []

    def rename(session):
        attempts.append(1)
        session.execute(update(User).where(User.id == writers[0].id)
                        .values(display_name=f"try {len(attempts)}"))
        if len(attempts) == 1:
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
        return len(attempts)

    assert run_transaction(session_factory, rename) == 2
    with session_factory() as session:
        assert session.get(User, writers[0].id).display_name == "try 2"
