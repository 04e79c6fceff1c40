"""Audited views per second from several processes at once, beside plain inserts.

Each process does what one view of one member does to the audit trail: a transaction that
appends one event (its HMAC, its id from the sequence) and commits, as many times as it
can for a few seconds, while the app's sealer seals in the background. Beside it, the
same rows inserted plainly, through the same kind of session, into a copy of the table (no
HMAC, the id left to the column's default): the floor. PostgreSQL only, in a scratch
database dropped afterwards, with throwaway keys (scratch.py).

    python -m benchmarks.audit_appends --database-url postgresql://user@host/db
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from dataclasses import dataclass

from sqlalchemy import text

from benchmarks.errors import BenchError
from benchmarks.scratch import scratch_database, scratch_settings
from dashboard import clock, config
from dashboard.audit import _event_row, record_event
from dashboard.audit_seal import AuditSealer
from dashboard.audit_verify import verify_log
from dashboard.config import Settings
from models.db import make_engine, make_session_factory, upgrade_to_head

PROCESSES = (1, 2, 4, 8)


@dataclass(frozen=True)
class Figure:
    processes: int
    audited_per_second: float
    plain_per_second: float

    @property
    def ratio(self) -> float:
        return self.audited_per_second / self.plain_per_second if self.plain_per_second else 0


def _worker(settings: Settings, kind: str, number: int, seconds: float, start, counts) -> None:
    config.put_in_force(settings)
    engine = make_engine(settings.database_url, pool_size=1)
    factory = make_session_factory(engine)
    insert = text("INSERT INTO plain_events (at, actor_id, actor_role, action, member_id, "
                  "categories, purpose, screen, outcome, detail) VALUES (:at, :actor_id, "
                  ":actor_role, :action, :member_id, :categories, :purpose, :screen, "
                  ":outcome, :detail)")
    done = 0
    start.wait()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        now = clock.now()
        view = dict(actor_id=number, actor_role="counselor", action="member_viewed",
                    member_id=done % 500, categories={"checkins", "steps"},
                    purpose="counseling", screen="Client detail")
        if kind == "audited":
            with factory.begin() as session:
                record_event(session, at=now, **view)
        else:
            row = _event_row(at=now, outcome="allowed", detail=None, **view)
            row["at"] = now.replace(tzinfo=None)
            with factory.begin() as session:
                session.execute(insert, row)
        done += 1
    counts[number] = done
    engine.dispose()


def _run(settings: Settings, kind: str, processes: int, seconds: float) -> float:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    with context.Manager() as manager:
        counts = manager.dict()
        workers = [context.Process(target=_worker,
                                   args=(settings, kind, n, seconds, start, counts))
                   for n in range(processes)]
        for worker in workers:
            worker.start()
        time.sleep(2.0)  # every process started and connected
        start.set()
        for worker in workers:
            worker.join()
        if any(worker.exitcode for worker in workers):
            raise BenchError(f"a {kind} writer failed")
        return sum(counts.values()) / seconds


def run(*, database_url: str, seconds: float, processes=PROCESSES) -> list[Figure]:
    with scratch_database(database_url=database_url) as scratch:
        if scratch.dialect != "postgresql":
            raise BenchError("this figure is for PostgreSQL")
        with scratch_settings(config.settings(), scratch=scratch) as settings:
            engine = make_engine(settings.database_url)
            upgrade_to_head(engine)
            with engine.begin() as connection:
                connection.execute(text(
                    "CREATE TABLE plain_events (LIKE audit_events INCLUDING ALL)"))
            sealer = AuditSealer(engine, every_seconds=2.0).start()
            figures = []
            try:
                for count in processes:
                    figures.append(Figure(count, _run(settings, "audited", count, seconds),
                                          _run(settings, "plain", count, seconds)))
            finally:
                sealer.stop()
            with make_session_factory(engine)() as session:
                report = verify_log(session, now=clock.now())
            engine.dispose()
            if not report.intact:
                raise BenchError(f"the audit trail is not intact: {report.problem}")
            return figures


def format_figures(figures: list[Figure]) -> str:
    lines = ["processes  audited views/s  plain inserts/s  audited/plain",
             *(f"{f.processes:>9}  {f.audited_per_second:>15,.0f}  "
               f"{f.plain_per_second:>15,.0f}  {f.ratio:>13.2f}" for f in figures)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: DATABASE_URL); "
                                               "the figure runs in a scratch database on it")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(format_figures(run(database_url=args.database_url or config.settings().database_url,
                             seconds=args.seconds)))


if __name__ == "__main__":
    main()
