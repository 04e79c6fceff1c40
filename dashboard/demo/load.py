"""Loading the demo: drawing every part in a fixed order, then writing it in one transaction.

Speed matters (2,000 members x 365 days is about half a million check-ins): rows are
plain dicts, check-ins stream to the database in chunks member by member instead of
piling up in memory, and they are written with Core bulk inserts, or with COPY on
PostgreSQL, where an insert round trip per row costs four times more.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, Table, func, select, text

from dashboard.audit import append_events
from dashboard.config import settings
from dashboard.demo.checkins import generate_checkins
from dashboard.demo.clock import Clock
from dashboard.demo.consents import consent_rows
from dashboard.demo.flags import FollowUps, follow_up_rows, raise_flags
from dashboard.demo.people import demo_sizes, make_people, plan_members
from dashboard.demo.reviews import weekly_review_rows
from dashboard.demo.steps import step_rows
from dashboard.errors import ValidationError
from dashboard.passwords import hash_password
from dashboard.timeutil import local_today
from models import (
    AuditEvent,
    CheckIn,
    Consent,
    ContactEntry,
    Flag,
    FlagFollowUp,
    MemberProfile,
    SobrietyDateChange,
    StepProgress,
    User,
    UserRole,
    WeeklyReview,
)
from models.db import insert_rows

DEMO_PASSWORD = "serenity-demo-2026"

MIN_MEMBERS, MAX_MEMBERS = 1, 20_000
MIN_DAYS, MAX_DAYS = 7, 3_650
CHUNK_ROWS = 20_000

ProgressCallback = Callable[[float, str], None]

# Tables whose integer id the demo sets explicitly; PostgreSQL's sequences must then be
# moved past the highest id, or the app's first own insert would collide with a demo row.
_TABLES_WITH_SERIAL_ID = (
    User.__table__,
    SobrietyDateChange.__table__,
    CheckIn.__table__,
    Consent.__table__,
    Flag.__table__,
    ContactEntry.__table__,
    FlagFollowUp.__table__,
    WeeklyReview.__table__,
    AuditEvent.__table__,
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoSummary:
    password: str
    accounts: list[DemoAccount]
    members: int
    sponsors: int
    counselors: int
    checkins: int
    consents: int
    flags: int


def _validate(*, members: int, days: int) -> None:
    errors: dict[str, str] = {}
    if (
        isinstance(members, bool)
        or not isinstance(members, int)
        or not (MIN_MEMBERS <= members <= MAX_MEMBERS)
    ):
        errors["members"] = f"Choose between {MIN_MEMBERS} and {MAX_MEMBERS:,} demo members."
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        errors["days"] = f"Choose between {MIN_DAYS} and {MAX_DAYS:,} days of check-ins."
    if errors:
        raise ValidationError(errors)


class _Progress:
    def __init__(self, callback: ProgressCallback | None):
        self._callback = callback

    def __call__(self, fraction: float, message: str) -> None:
        if self._callback is not None:
            self._callback(min(1.0, max(0.0, fraction)), message)


def _bulk_insert(conn: Connection, table: Table, rows: Sequence[dict]) -> None:
    """Insert rows that all have the same keys, in chunks, in the caller's transaction."""
    for start in range(0, len(rows), CHUNK_ROWS):
        insert_rows(conn, table, rows[start : start + CHUNK_ROWS])


def _advance_postgres_sequences(conn: Connection) -> None:
    for table in _TABLES_WITH_SERIAL_ID:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f" coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )
        )


def load_demo(
    *,
    engine: Engine,
    members: int = 60,
    days: int = 180,
    seed: int = 7,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> DemoSummary:
    """Load the demo caseload into an empty database, in one transaction, as it stands at
    `now` (the moment it loads).

    Refuses (ValidationError) sizes out of range and a database that already has
    accounts. `progress(fraction, message)` is called between chunks of rows.
    """
    _validate(members=members, days=days)
    report = _Progress(progress)
    report(0.0, "Preparing the demo caseload")

    # The order of the draws below is the demo: moving one changes what a seed gives.
    clock = Clock(now=now, days=days)
    thresholds = settings().flag_thresholds
    rng = random.Random(seed)
    sponsor_count, counselor_count = demo_sizes(members)
    people = make_people(rng, members=members, sponsors=sponsor_count, counselors=counselor_count)
    plans = plan_members(rng, people=people, clock=clock)

    # argon2 is slow on purpose: one hash shared by every demo account.
    password_hash = hash_password(DEMO_PASSWORD)
    user_rows = [
        {
            "id": p.id,
            "username": p.username,
            "display_name": p.display_name,
            "password_hash": password_hash,
            "is_active": True,
            "failed_logins": 0,
            "locked_until": None,
            "must_change_password": False,
            "timezone": p.timezone,
            "created_at": p.created_at,
            "last_login_at": None,
        }
        for p in people
    ]
    role_rows = [{"user_id": p.id, "role": role} for p in people for role in p.roles]
    profile_rows = [
        {
            "user_id": plan.person.id,
            "sobriety_date": plan.sobriety_date,
            "home_group": plan.home_group,
        }
        for plan in plans
    ]
    # Before the flags: the consents decide who follows them up.
    consents, sponsorships = consent_rows(plans, clock=clock)
    steps = [row for plan in plans for row in step_rows(plan, clock=clock)]

    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(User.__table__)).scalar_one():
            raise ValidationError(
                "The demo caseload loads only into an empty database;"
                " this one already has accounts."
            )
        report(0.02, "Creating accounts")
        _bulk_insert(conn, User.__table__, user_rows)
        _bulk_insert(conn, UserRole.__table__, role_rows)
        _bulk_insert(conn, MemberProfile.__table__, profile_rows)

        flag_rows: list[dict] = []
        follow_ups = FollowUps()
        sobriety_changes: list[tuple[int, date, date, datetime]] = []
        checkin_buffer: list[dict] = []
        checkin_total = 0
        for done, plan in enumerate(plans, start=1):
            first = len(checkin_buffer)
            checkin_total += generate_checkins(
                plan,
                clock=clock,
                first_id=checkin_total + 1,
                out=checkin_buffer,
                sobriety_changes=sobriety_changes,
            )
            flag_rows += raise_flags(plan, checkins=checkin_buffer[first:], clock=clock,
                                     thresholds=thresholds, follow_ups=follow_ups)
            if len(checkin_buffer) >= CHUNK_ROWS or done == len(plans):
                _bulk_insert(conn, CheckIn.__table__, checkin_buffer)
                checkin_buffer = []
                report(0.05 + 0.85 * done / len(plans), f"Wrote {checkin_total:,} check-ins")

        report(0.91, "Writing steps, sharing and sobriety history")
        _bulk_insert(conn, StepProgress.__table__, steps)
        _bulk_insert(conn, Consent.__table__, consents)
        _bulk_insert(
            conn,
            SobrietyDateChange.__table__,
            [
                {"id": n, "member_id": m, "previous_date": prev, "new_date": new, "changed_at": at}
                for n, (m, prev, new, at) in enumerate(sobriety_changes, start=1)
            ],
        )
        report(0.94, "Writing flags and their follow-up")
        zones = {p.id: p.timezone for p in people}
        flag_rows, follow_up_table, contact_table = follow_up_rows(flag_rows, zones=zones)
        _bulk_insert(conn, Flag.__table__, flag_rows)
        report(0.97, "Writing weekly reviews")
        reviews = weekly_review_rows(plans, sponsorships=sponsorships,
                                     people_by_id={p.id: p for p in people}, rng=rng,
                                     clock=clock)
        _bulk_insert(conn, WeeklyReview.__table__, reviews)
        # Each review is a contact of its sponsor's, as "mark reviewed" writes one.
        contact_table += [
            {"id": len(contact_table) + n, "viewer_id": r["reviewer_id"],
             "member_id": r["member_id"],
             "contacted_on": local_today(zones[r["reviewer_id"]], r["created_at"]),
             "method": "met", "note": r["note"], "kind": "review", "flag_id": None,
             "iso_week": r["iso_week"], "created_at": r["created_at"]}
            for n, r in enumerate(reviews, start=1)
        ]
        _bulk_insert(conn, ContactEntry.__table__, contact_table)
        _bulk_insert(conn, FlagFollowUp.__table__, follow_up_table)
        # Through the audit trail's own append, so the demo's event starts the hash chain.
        append_events(
            conn,
            [
                {
                    "at": now,
                    "actor_id": None,
                    "actor_role": None,
                    "action": "demo_loaded",
                    "member_id": None,
                    "categories": "",
                    "purpose": None,
                    "screen": None,
                    "outcome": "allowed",
                    "detail": f"{members} members x {days} days",
                }
            ],
        )
        if conn.dialect.name == "postgresql":
            _advance_postgres_sequences(conn)
    report(1.0, "Demo caseload loaded")

    return DemoSummary(
        password=DEMO_PASSWORD,
        accounts=[DemoAccount(p.username, p.display_name, p.roles) for p in people],
        members=members,
        sponsors=sponsor_count,
        counselors=counselor_count,
        checkins=checkin_total,
        consents=len(consents),
        flags=len(flag_rows),
    )
