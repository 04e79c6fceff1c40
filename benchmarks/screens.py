"""The screens' figures: each screen's data as the screen asks the services for it, beside
its floor, then every screen's whole page run through AppTest (page_runs.py).

Statements are counted with a `before_cursor_execute` listener on every engine of the
process (the AppTest pages open their own engine), so a statement per client would show
as a count that grows with the caseload.

Every figure runs "as of" `now`, the moment the benchmark started: the demo was loaded
as of it and the services are given it, so every date is relative to it and runs on
different days read rows of the same shape. The AppTest page runs read the clock
themselves, as the app does, a few minutes later at most. They run on the settings in
force in this process, which the benchmark makes those of its scratch database
(benchmarks/scratch.py).

The caseload is measured twice. Its first view writes an audit event per client; a
rerun within the visit (a filter changed, a sort: the same screen, viewer and categories
within 30 minutes) extends those events instead (dashboard/audit.py). Each first-view run
starts without a visit: the one the run before left is removed from the scratch database
first, untimed. The reruns then extend the last first view's visit, and so does the
Caseload page (AppTest), which reads the clock minutes later.

Nothing here imports Streamlit: the page runs import it inside their functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.cast import BENCH_COUNSELOR, Cast
from benchmarks.errors import BenchError
from benchmarks.floors import (
    ALERTS_PAGE_SIZE,
    floor_alert_queue,
    floor_caseload,
    floor_checkin_save,
    floor_client_detail,
    floor_weekly_review,
    zones_in_use,
)
from benchmarks.page_runs import (
    measure_beside_today,
    measure_page_run,
    page_runs_for,
    quiet_context_warnings,
)
from benchmarks.plans import QueryPlan, explain
from benchmarks.report import (
    ALERT_QUEUE,
    ALERTS_PAGE,
    CASELOAD,
    CASELOAD_PAGE_RUN,
    CASELOAD_RERUN,
    CHECKIN_SAVE,
    CLIENT_DETAIL,
    LOGIN,
    WEEKLY_REVIEW,
    Figure,
    FigureSpec,
)
from benchmarks.timing import StatementCounter, Stopwatch, measure, peak_rss_mb
from dashboard.alert_queue import alert_queue
from dashboard.audit_seal import stop_audit_sealers
from dashboard.auth import Actor, log_in
from dashboard.caseload import CASELOAD_SCREEN, caseload_for
from dashboard.checkins import CheckInForm, save_checkin
from dashboard.config import Settings
from dashboard.demo import DEMO_PASSWORD
from dashboard.member_record import member_record
from dashboard.sqlite_owner import release_all
from dashboard.timeutil import local_today
from dashboard.weekly_review import iso_week_of, weekly_review_for
from models import AuditEvent, Flag, User


def caseload_data(session: Session, *, actor: Actor, now: datetime) -> list:
    return caseload_for(session=session, actor=actor, now=now)


def alert_queue_data(session: Session, *, actor: Actor, now: datetime):
    """The Alerts screen's first page, with the counts of the whole queue."""
    return alert_queue(session=session, actor=actor, page=1, page_size=ALERTS_PAGE_SIZE,
                       now=now)


def forget_caseload_visit(engine: Engine, *, counselor_id: int) -> None:
    """Remove the counselor's Caseload views from the scratch database, so that the next
    run is a first view (only ever the benchmark's own throwaway trail: the app deletes no
    event)."""
    with engine.begin() as connection:
        connection.execute(delete(AuditEvent).where(
            AuditEvent.actor_id == counselor_id, AuditEvent.action == "view",
            AuditEvent.screen == CASELOAD_SCREEN))


def flags_raised_for(engine: Engine, *, member_ids: Sequence[int], now: datetime) -> int:
    """How many flags were raised at `now` for these members (by the saves measured)."""
    with engine.connect() as connection:
        return connection.scalar(
            select(func.count()).select_from(Flag)
            .where(Flag.member_id.in_(member_ids), Flag.created_at == now)
        )


def measure_screens(*, engine: Engine, factory: sessionmaker[Session], settings: Settings,
                    cast: Cast, runs: int, explain_plans: bool, now: datetime,
                    say: Callable[[str], None]) -> tuple[list[Figure], list[QueryPlan]]:
    """Every screen's figure as of `now`, in the order of `FIGURES`; with `explain_plans`,
    the query plans of the statements of the four data figures too."""
    week = iso_week_of(local_today(cast.sponsor.timezone, now))
    with engine.connect() as connection:
        zones = zones_in_use(connection)
    figures: list[Figure] = []
    plans: list[QueryPlan] = []

    with StatementCounter() as counter:

        def transaction_run(work: Callable[[Session], object]) -> Callable[[int, Stopwatch], None]:
            # One user action, one transaction: the commit (of the audit events) counts.
            def run(index: int, watch: Stopwatch) -> None:
                with watch(), factory.begin() as session:
                    work(session)
            return run

        def floor_run(query: Callable[..., object]) -> Callable[[int, Stopwatch], None]:
            def run(index: int, watch: Stopwatch) -> None:
                with watch(), engine.begin() as connection:
                    query(connection)
            return run

        def add(spec: FigureSpec, median_ms: float, statements: int, floor_ms: float | None,
                detail: str, *, today_ms: float | None = None) -> None:
            figures.append(Figure(name=spec.name, label=spec.label, median_ms=median_ms,
                                  budget_ms=spec.budget_ms, floor_ms=floor_ms,
                                  statements=statements, peak_rss_mb=peak_rss_mb(),
                                  detail=detail, floor_target=spec.floor_target,
                                  today_ms=today_ms, today_target=spec.today_target))
            say(f"{spec.label}: {median_ms:,.1f} ms")

        # Caseload: the first view of a visit, then reruns within it, beside one floor.
        counselor = cast.counselor

        def first_view_run(index: int, watch: Stopwatch) -> None:
            forget_caseload_visit(engine, counselor_id=counselor.id)
            with watch(), factory.begin() as session:
                caseload_data(session, actor=counselor, now=now)

        median, statements = measure(runs=runs, counter=counter, run=first_view_run)
        caseload_floor, _ = measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_caseload(c, counselor_id=counselor.id, zones=zones, now=now)))
        add(CASELOAD, median, statements, caseload_floor,
            f"{cast.clients:,} consenting clients, a new audit event each")
        median, statements = measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: caseload_data(s, actor=counselor, now=now)))
        add(CASELOAD_RERUN, median, statements, caseload_floor,
            "the same screen again within the visit (a filter changed): each client's "
            "event extended")

        # Weekly review.
        sponsor = cast.sponsor
        median, statements = measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: weekly_review_for(session=s, actor=sponsor, iso_week=week, now=now)))
        floor, _ = measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_weekly_review(c, sponsor_id=sponsor.id, iso_week=week, now=now)))
        add(WEEKLY_REVIEW, median, statements, floor,
            f"{sponsor.username}, {cast.sponsees} sponsees sharing, week {week}")

        # Client detail.
        detail_id = cast.detail_member_id
        with factory() as session:
            detail_today = local_today(session.get(User, detail_id).timezone, now)
        median, statements = measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: member_record(session=s, actor=counselor, member_id=detail_id,
                                    purpose="counseling", screen="Client detail", days=365,
                                    now=now)))
        floor, _ = measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_client_detail(c, member_id=detail_id, today=detail_today,
                                          days=365)))
        add(CLIENT_DETAIL, median, statements, floor,
            f"{cast.detail_member_name}: check-ins, steps and flags as the counselor sees them")

        # Alert queue.
        median, statements = measure(runs=runs, counter=counter, run=transaction_run(
            lambda s: alert_queue_data(s, actor=counselor, now=now)))
        alert_queue_floor, _ = measure(runs=runs, counter=counter, run=floor_run(
            lambda c: floor_alert_queue(c, counselor_id=counselor.id, now=now)))
        with engine.connect() as connection:
            first_page = floor_alert_queue(connection, counselor_id=counselor.id, now=now)
        unresolved = first_page[0].total if first_page else 0
        add(ALERT_QUEUE, median, statements, alert_queue_floor,
            f"first page of {ALERTS_PAGE_SIZE}, of {unresolved:,} unresolved flags")

        if explain_plans:
            for spec, work in (
                (CASELOAD, lambda s: caseload_data(s, actor=counselor, now=now)),
                (WEEKLY_REVIEW, lambda s: weekly_review_for(session=s, actor=sponsor,
                                                            iso_week=week, now=now)),
                (CLIENT_DETAIL, lambda s: member_record(
                    session=s, actor=counselor, member_id=detail_id, purpose="counseling",
                    screen="Client detail", days=365, now=now)),
                (ALERT_QUEUE, lambda s: alert_queue_data(s, actor=counselor, now=now)),
            ):
                with counter.recording() as recorded, factory.begin() as session:
                    work(session)
                plans.extend(explain(engine, recorded, figure=spec.name))

        # Check-in save, each run for a member with nothing saved today.
        savers = cast.savers

        # A hard day with a high craving: the save raises two flags, the costly path. The
        # day is each saver's own today.
        form = CheckInForm(
            local_date=None, mood=2, craving=8, used_substances=False, meetings=1,
            actions=("called_support", "prayer_meditation"), sleep_hours=6.5,
            gratitude="A friend who just listened", journal="Rough afternoon.",
            hard_day=True, hard_day_reason="Argument with my brother",
        )

        def save_run(index: int, watch: Stopwatch) -> None:
            member = savers[index]
            with watch(), factory.begin() as session:
                save_checkin(session=session, actor=member, form=form, now=now)

        def save_floor_run(index: int, watch: Stopwatch) -> None:
            member = savers[runs + 1 + index]
            today = local_today(member.timezone, now)
            with watch(), engine.begin() as connection:
                floor_checkin_save(connection, member_id=member.id,
                                   form=replace(form, local_date=today), today=today, now=now)

        median, statements = measure(runs=runs, counter=counter, run=save_run)
        floor, _ = measure(runs=runs, counter=counter, run=save_floor_run)
        saved_members = sorted({m.id for m in savers[:runs + 1]})
        flags = flags_raised_for(engine, member_ids=saved_members, now=now)
        add(CHECKIN_SAVE, median, statements, floor,
            f"first check-in of the day, hard day, craving 8: {flags} flags raised by "
            f"{len(saved_members)} saves")

        # Every screen's whole page run through AppTest: Today's, the reference, then each
        # other's in turn with Today's, its ratio to the Today runs beside it. The Caseload
        # and Alerts pages' floors are their data's.
        page_floors = {CASELOAD_PAGE_RUN.name: caseload_floor, ALERTS_PAGE.name: alert_queue_floor}
        try:
            with quiet_context_warnings():
                today, *others = page_runs_for(cast)
                median, statements = measure_page_run(
                    actor=today.actor, page=today.page, query=today.query, shows=today.shows,
                    runs=runs, counter=counter)
                add(today.spec, median, statements, None, today.detail, today_ms=median)
                for page in others:
                    (median, statements), today_ms = measure_beside_today(
                        page, today, runs=runs, counter=counter)
                    add(page.spec, median, statements, page_floors.get(page.spec.name),
                        f"{page.detail}; beside Today's runs, {today_ms:,.1f} ms",
                        today_ms=today_ms)
        finally:
            stop_audit_sealers()  # the pages' sealer: its database goes at the end of the run
            release_all()  # and the pages' claim on the scratch SQLite file
            for seen in list(counter.engines):
                if seen is not engine:
                    seen.dispose()  # the pages' own engine: close it before the database goes

        # Login.
        def login_run(index: int, watch: Stopwatch) -> None:
            with watch(), factory.begin() as session:
                result = log_in(session=session, username=BENCH_COUNSELOR,
                                password=DEMO_PASSWORD, settings=settings, now=now)
            if not result.ok:
                raise BenchError("the benchmark counselor could not log in")

        median, statements = measure(runs=runs, counter=counter, run=login_run)
        add(LOGIN, median, statements, None, "argon2id verify, audit event, last login")

    return figures, plans
