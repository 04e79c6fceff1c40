"""The caseload's reads: the statements `caseload.caseload_for` runs, built once.

Each statement is built once, with bound values (the viewer, the time, the days of each
time zone), and cached: building it costs more Python than a rerun of the screen can
spare. The clients are the consents' own query (policy.shared_categories_query) in
each statement, never a list of ids.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    Row,
    String,
    and_,
    bindparam,
    case,
    func,
    select,
    union_all,
)

from dashboard.follow_up import needs_action_by_member
from dashboard.policy import shared_categories_query
from models import CATEGORIES, CheckIn, ContactEntry, MemberProfile, StepProgress, User
from models.base import UTCDateTime

PURPOSE = "counseling"
WEEK_DAYS = 7


def zones_of_clients(db: Connection, *, viewer_id: int, at: datetime) -> list[str]:
    """The time zones of the viewer's clients at `at`."""
    return db.scalars(_ZONES_OF_CLIENTS, {"viewer_id": viewer_id, "at": at}).all()


def client_rows(db: Connection, *, viewer_id: int, at: datetime,
                today_in_zone: dict[str, date]) -> list[Row]:
    """One row per client of the viewer at `at` (`_client_rows_statement` names the
    columns); `today_in_zone` holds each of their time zones' today."""
    return db.execute(_client_rows_statement(len(today_in_zone)), {
        "viewer_id": viewer_id, "at": at,
        "earliest": min(today_in_zone.values()) - timedelta(days=WEEK_DAYS),
        "latest": max(today_in_zone.values()),
        **_zone_days_values(today_in_zone),
    }).all()


def _clients():
    """The viewer's clients and what each shares (policy.shared_categories_query), for
    the bound viewer_id and at, as a CTE."""
    return shared_categories_query(viewer_id=bindparam("viewer_id", type_=Integer),
                                   at=bindparam("at", type_=UTCDateTime),
                                   purpose=PURPOSE).cte("clients")


_ZONES_OF_CLIENTS = (select(User.timezone).distinct()
                     .where(User.id.in_(select(_clients().c.member_id))))
_ZONE_DAY_COLUMNS = ("timezone", "today", "yesterday", "week_to_today", "week_to_yesterday")


def _zone_days_values(today_in_zone: dict[str, date]) -> dict:
    """The bound values of `_client_rows_statement`'s table of days, zone by zone."""
    values = {}
    for n, (tz, today) in enumerate(today_in_zone.items()):
        days = (tz, today, today - timedelta(days=1), today - timedelta(days=WEEK_DAYS - 1),
                today - timedelta(days=WEEK_DAYS))
        values.update({f"{column}_{n}": day for column, day in zip(_ZONE_DAY_COLUMNS, days)})
    return values


# Where a `client_rows` row holds the shares_* columns, in the order of CATEGORIES.
SHARES = slice(5, 5 + len(CATEGORIES))


@functools.lru_cache(maxsize=32)
def _client_rows_statement(zone_count: int):
    """One row per client: name, time zone, sobriety date, what they share, their 7-day
    figures, last check-in, current step, the flags needing the viewer's action and the
    viewer's last contact. Bound: viewer_id, at, the earliest and latest day of any
    zone's window, and per zone n, timezone_n and its days (`_zone_days_values`).

    The week's check-ins are joined and grouped once; the viewer's queue is a joined
    aggregate (correlated, it would cost PostgreSQL twice as much); the last check-in,
    the step and the last contact are one index range each (correlated subqueries: a
    joined aggregate of steps made SQLite read every member's steps). SQLite finds no
    index for check-ins grouped first and joined after, hence the join inside.

    The 7-day window is the client's own: it ends today once the client has checked in
    today, and yesterday until then, so that a morning view does not count a day that is
    not over yet as missed. Both windows are summed in one pass, with "today" given per
    time zone as a small table of constants (a caseload has a handful of zones).
    """
    clients = _clients()
    viewer_id = bindparam("viewer_id", type_=Integer)
    zone_days = union_all(*(
        select(*(bindparam(f"{column}_{n}", type_=String if column == "timezone" else Date)
                 .label(column) for column in _ZONE_DAY_COLUMNS))
        for n in range(zone_count)
    )).cte("zone_days")
    to_today = CheckIn.local_date.between(zone_days.c.week_to_today, zone_days.c.today)
    to_yesterday = CheckIn.local_date.between(zone_days.c.week_to_yesterday,
                                              zone_days.c.yesterday)
    # Grouped by the account alone (its other columns depend on it), which spares SQLite
    # a sort of every check-in row by a long key; what the client shares and their
    # sobriety date are joined after.
    per_client = (
        select(User.id.label("member_id"), User.display_name, User.timezone, User.is_active,
               func.max(case((CheckIn.local_date == zone_days.c.today, 1), else_=0))
               .label("made_today"),
               func.count(case((to_today, 1))).label("n_to_today"),
               func.sum(case((to_today, CheckIn.mood))).label("mood_to_today"),
               func.max(case((to_today, CheckIn.craving))).label("craving_to_today"),
               func.count(case((to_yesterday, 1))).label("n_to_yesterday"),
               func.sum(case((to_yesterday, CheckIn.mood))).label("mood_to_yesterday"),
               func.max(case((to_yesterday, CheckIn.craving))).label("craving_to_yesterday"))
        .select_from(clients)
        .join(User, User.id == clients.c.member_id)
        .join(zone_days, zone_days.c.timezone == User.timezone)
        # Every zone's days as plain values too, so that the index on (member, day)
        # bounds each client's range; each zone's own days are picked in the aggregates.
        .outerjoin(CheckIn, and_(
            CheckIn.member_id == User.id,
            CheckIn.local_date >= bindparam("earliest", type_=Date),
            CheckIn.local_date <= bindparam("latest", type_=Date)))
        .group_by(User.id)
        .subquery("per_client")
    )
    member = per_client.c.member_id
    # The current step: the lowest not completed; 12 once all are done (the twelfth is
    # lifelong). Every account has a row per step; were some missing, the next one is
    # current. One index range of a dozen rows per client.
    recorded = func.count()
    current_step = (
        select(func.coalesce(
            func.min(case((StepProgress.status != "completed", StepProgress.step))),
            case((recorded >= 11, 12), else_=recorded + 1)))
        .where(StepProgress.member_id == member)
        .scalar_subquery().label("current_step")
    )
    needs_action = needs_action_by_member(viewer_id=viewer_id, purpose=PURPOSE).subquery()
    shares = [clients.c[f"shares_{category}"] for category in CATEGORIES]
    return (
        select(member, per_client.c.display_name, per_client.c.timezone,
               per_client.c.is_active, MemberProfile.sobriety_date, *shares,
               *(per_client.c[name] for name in (
                   "made_today", "n_to_today", "mood_to_today", "craving_to_today",
                   "n_to_yesterday", "mood_to_yesterday", "craving_to_yesterday")),
               select(func.max(CheckIn.local_date)).where(CheckIn.member_id == member)
               .scalar_subquery().label("last_checkin"),
               current_step,
               needs_action.c.open_flags, needs_action.c.open_high_flags,
               select(func.max(ContactEntry.contacted_on))
               .where(ContactEntry.viewer_id == viewer_id, ContactEntry.member_id == member)
               .scalar_subquery().label("last_contact"))
        .select_from(per_client)
        .join(clients, clients.c.member_id == member)
        .outerjoin(MemberProfile, MemberProfile.user_id == member)
        .outerjoin(needs_action, needs_action.c.member_id == member)
    )
