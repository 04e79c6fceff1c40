"""Concurrent writers: threads saving check-ins at once, and the check that none was lost.

The writers are threads with a session each, as the browser sessions of one app process
are; `find_lost_writes` checks every save that returned against the database.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.auth import Actor
from dashboard.checkins import CheckInForm, save_checkin
from dashboard.timeutil import local_today
from dashboard.write_turns import run_transaction
from models import AuditEvent, CheckIn

# Enough for any sane number of seconds; the time limit is what normally ends a writer.
MAX_WRITES_PER_WRITER = 100_000


@dataclass(frozen=True)
class SavedWrite:
    writer: int
    sequence: int  # the writer's own count, in the order it saved
    member_id: int
    local_date: date
    journal: str  # unique to the write: how it is found again afterwards


@dataclass
class WriteLoad:
    """What concurrent writers did: every save that returned, and every error a user saw."""

    threads: int
    seconds: float
    saved: list[SavedWrite]
    errors: list[str]
    member_ids: list[int]  # every member written to
    audit_events_before: int  # their saves audited before the writers started
    latencies: list[float] = field(default_factory=list)  # seconds per save that returned
    lost_writes: list[str] = field(default_factory=list)  # filled in by `find_lost_writes`

    @property
    def writes(self) -> int:
        return len(self.saved)

    def latency_ms(self, fraction: float) -> float | None:
        """The save time that this fraction of saves stayed within (0.5: the median)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    @property
    def saves_per_writer(self) -> tuple[int, int]:
        """(fewest, most) saves of one writer: far apart means someone waited on others."""
        counts = Counter(write.writer for write in self.saved)
        per_writer = [counts.get(n, 0) for n in range(self.threads)]
        return min(per_writer, default=0), max(per_writer, default=0)

    @property
    def writes_per_second(self) -> float:
        return self.writes / self.seconds if self.seconds > 0 else 0.0


def run_concurrent_checkins(
    *, session_factory: sessionmaker[Session], writers: Sequence[Actor], shared: Actor,
    seconds: float, now: datetime, max_writes_per_writer: int = MAX_WRITES_PER_WRITER,
    in_turn: bool = True,
) -> WriteLoad:
    """One thread per writer saving check-ins at once, each with its own session.

    A writer alternates between its own member's day (rows nobody else writes) and one
    day of `shared` that every writer saves (the same row, the same flags episode). It
    stops after `seconds` or `max_writes_per_writer` saves, whichever comes first. Every
    exception a save raises is recorded: it is what a person would have seen.

    Each save is one transaction, saved as the app saves a check-in
    (`dashboard.write_turns.run_transaction`: in turn, again when busy); with `in_turn=False`,
    a plain `session_factory.begin()` that only SQLite's busy timeout makes wait.
    """

    def save(target: Actor, form: CheckInForm) -> None:
        def action(session: Session) -> None:
            save_checkin(session=session, actor=target, form=form, now=now)
        if in_turn:
            run_transaction(session_factory, action)
        else:
            with session_factory.begin() as session:
                action(session)

    saved: list[SavedWrite] = []
    errors: list[str] = []
    latencies: list[float] = []  # seconds from asking to save to the save returning
    involved = [w.id for w in writers] + [shared.id]
    with session_factory() as session:
        audit_before = _saves_audited(session, involved)
    started: list[float] = []
    # The clock starts when the last writer is ready, so that all of them start at once.
    barrier = threading.Barrier(len(writers), action=lambda: started.append(time.monotonic()))

    def write(number: int, own: Actor) -> None:
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            errors.append("BrokenBarrierError: the writers did not all start")
            return
        deadline = started[0] + seconds
        for sequence in range(max_writes_per_writer):
            if time.monotonic() >= deadline:
                break
            target = own if sequence % 2 == 0 else shared
            day = local_today(target.timezone, now)
            journal = f"writer {number} save {sequence}"
            hard = sequence % 3 == 0
            form = CheckInForm(
                local_date=day, mood=1 + sequence % 5, craving=sequence % 11,
                used_substances=False, meetings=sequence % 4, actions=("called_support",),
                sleep_hours=7.0, journal=journal, hard_day=hard,
                hard_day_reason="a long shift" if hard else None,
            )
            asked = time.perf_counter()
            try:
                save(target, form)
            except Exception as error:  # noqa: BLE001 - any failure is one a user would see
                first_line = (str(error).splitlines() or [""])[0]
                errors.append(f"{type(error).__name__}: {first_line}")
                continue
            latencies.append(time.perf_counter() - asked)
            saved.append(SavedWrite(number, sequence, target.id, day, journal))

    threads = [threading.Thread(target=write, args=(n, actor), name=f"bench-writer-{n}",
                                daemon=True)
               for n, actor in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A save waits at most the busy timeout (15 s) for the lock; far beyond that, a
        # writer is stuck and the load is reported as such instead of hanging the run.
        thread.join(timeout=seconds + 120)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        errors.append(f"stuck writers: {', '.join(stuck)}")
    # Until the last save in flight at the deadline has returned.
    elapsed = (time.monotonic() - started[0]) if started else 0.0
    return WriteLoad(threads=len(writers), seconds=elapsed, saved=saved, errors=errors,
                     member_ids=involved, audit_events_before=audit_before,
                     latencies=latencies)


def _saves_audited(session: Session, member_ids: Sequence[int]) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "checkin_saved", AuditEvent.member_id.in_(member_ids))
    )


def find_lost_writes(session_factory: sessionmaker[Session], load: WriteLoad) -> list[str]:
    """Every way the database disagrees with the saves that returned; empty when none was lost.

    A member that one writer alone saves holds that writer's last save; the shared day
    holds one of the saves made to it; and every save that returned left its audit event.
    """
    problems = []
    last_by_row: dict[tuple[int, date], SavedWrite] = {}
    writers_by_row: dict[tuple[int, date], set[int]] = {}
    journals_by_row: dict[tuple[int, date], set[str]] = {}
    for write in load.saved:
        key = (write.member_id, write.local_date)
        writers_by_row.setdefault(key, set()).add(write.writer)
        journals_by_row.setdefault(key, set()).add(write.journal)
        if key not in last_by_row or write.sequence > last_by_row[key].sequence:
            last_by_row[key] = write
    with session_factory() as session:
        for key, journals in journals_by_row.items():
            member_id, day = key
            stored = session.scalars(
                select(CheckIn.journal).where(CheckIn.member_id == member_id,
                                              CheckIn.local_date == day)
            ).all()
            if len(stored) != 1:
                problems.append(f"member {member_id} has {len(stored)} check-ins on {day}")
                continue
            if len(writers_by_row[key]) == 1:
                expected = last_by_row[key].journal
                if stored[0] != expected:
                    problems.append(f"member {member_id} on {day} holds {stored[0]!r}, "
                                    f"not the last save {expected!r}")
            elif stored[0] not in journals:
                problems.append(f"member {member_id} on {day} holds {stored[0]!r}, "
                                "which no save wrote")
        audited = _saves_audited(session, load.member_ids)
    if audited - load.audit_events_before != load.writes:
        problems.append(f"{load.writes} saves returned but "
                        f"{audited - load.audit_events_before} were audited")
    return problems
