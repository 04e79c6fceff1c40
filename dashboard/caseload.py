"""The counselor's caseload: one row per client who shares with them, filtered and sorted.

`caseload_for` gives one row per client with an active counseling consent, read with a
constant number of set-based statements whatever the caseload size, never one per
client: the consents; one row of latest dates per client (correlated max() subqueries,
each an index seek), from which the silence flags due are raised; each client's 7-day
figures, aggregated in the database; the flags going on (the client's risk) and those
open for the counselor (needing their action), by severity; then the audit events. The clients are a subquery of the consents in each statement, not a list
of ids. Categories a client does not share come back as None, so the screen can say
"not shared" instead of a zero.

Days are the client's own: "today" and "the last 7 days" are computed per time zone (a
caseload has a handful of them).

Filtering and sorting are pure and unit-tested; the table as shown, its CSV and the
metrics strip are in caseload_table.py, the alert queue in alert_queue.py.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Connection,
    Date,
    String,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.config import FlagThresholds, settings
from dashboard.errors import PermissionDenied
from dashboard.flags import (
    MemberDays,
    is_silent,
    raise_silence_flags,
    recent_flag_severities,
    risk_of,
)
from dashboard.follow_up import needs_action_counts
from dashboard.policy import (
    ROLE_FOR_PURPOSE,
    audit_disclosures,
    shared_categories_by_member,
    visible_members,
)
from dashboard.progress import sobriety_days
from dashboard.timeutil import local_today
from models import CheckIn, ContactEntry, MemberProfile, StepProgress, User

PURPOSE = "counseling"
CASELOAD_SCREEN = "Caseload"
ALERTS_SCREEN = "Alerts"
WEEK_DAYS = 7
HEATMAP_DAYS = 28
HEATMAP_MAX_CLIENTS = 40
# What the caseload table shows; a client's notes never appear on it.
SHOWN_CATEGORIES = frozenset({"checkins", "steps", "flags"})


def require_counselor(actor: Actor) -> None:
    if not actor.has_role(ROLE_FOR_PURPOSE[PURPOSE]):
        raise PermissionDenied()


# ---------------------------------------------------------------------------------------
# The caseload service.


@dataclass(frozen=True)
class CaseloadRow:
    """One client of the caseload. None means: that category is not shared."""

    member_id: int
    display_name: str
    categories: frozenset[str]
    today: date  # the client's local date
    # check-ins
    last_checkin: date | None = None
    days_silent: int | None = None  # None also when the client has never checked in
    checkins_7d: int | None = None  # days with a check-in in the 7-day window
    mean_mood_7d: float | None = None  # None also when no check-in in the window
    max_craving_7d: int | None = None
    days_sober: int | None = None
    # steps
    current_step: int | None = None
    # flags
    risk: str | None = None  # "high", "medium", "low" or "none": flags going on
    open_flags: int | None = None  # flags that need the counselor's action
    open_high_flags: int | None = None
    # the counselor's own contact log
    last_contact: date | None = None  # None also before their first entry

    def shares(self, category: str) -> bool:
        return category in self.categories

    @property
    def adherence_7d(self) -> float | None:
        return None if self.checkins_7d is None else self.checkins_7d / WEEK_DAYS

    @property
    def never_checked_in(self) -> bool:
        return self.shares("checkins") and self.last_checkin is None


def caseload_for(*, session: Session, actor: Actor, now: datetime
                 ) -> list[CaseloadRow]:
    """Every client with an active counseling consent to the actor, in the default order
    (highest risk first, then the longest silent). Audits one view per client."""
    require_counselor(actor)
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=PURPOSE)
    if not shared:
        return []

    def sharing(category: str | None = None):
        # The clients as a subquery of the consents, not thousands of bound ids: the
        # database reads them where it needs them, and nothing is re-sent per statement.
        return visible_members(viewer_id=actor.id, at=now, purpose=PURPOSE, category=category)

    shares = {c: any(c in categories for categories in shared.values())
              for c in SHOWN_CATEGORIES}

    # Reads go through the Connection: plain rows, without the ORM's work per row, which
    # counts at thousands of clients. Values of a category a client does not share may be
    # read, but never leave this function: `_row` copies only the shared ones. A consent
    # granted since `shared` was read (PostgreSQL reads each statement afresh) is left
    # for the next view.
    db = session.connection()
    people = [p for p in db.execute(_per_client_query(sharing(), viewer_id=actor.id))
              if p.id in shared]
    if shares["flags"]:
        # Raise the silence flags now, before the flags are counted, so that the risk
        # shown does not wait for a cron job: `sweep`'s rule, from the rows just read.
        raise_silence_flags(session, (
            (p.id, p.last_checkin, p.timezone) for p in people
            if p.is_active and p.last_checkin is not None and "flags" in shared[p.id]
        ), now=now)
    today_in_zone = {tz: local_today(tz, now) for tz in {p.timezone for p in people}}
    weeks = (_week_figures(db, sharing("checkins"), today_in_zone)
             if shares["checkins"] and people else {})
    open_flags = (needs_action_counts(
        session, viewer_id=actor.id, purpose=PURPOSE,
        member_ids=(p.id for p in people if "flags" in shared[p.id]))
        if shares["flags"] else {})
    recent = (recent_flag_severities(session, sharing("flags"), now=now)
              if shares["flags"] else {})

    thresholds = settings().flag_thresholds
    rows = [_row(p, shared[p.id], today_in_zone[p.timezone], weeks.get(p.id, _NO_WEEK),
                 open_flags.get(p.id, {}), recent.get(p.id, ()), thresholds)
            for p in people]
    audit_disclosures(session, actor=actor,
                      granted_by_member=_disclosed(shared, (p.id for p in people)),
                      purpose=PURPOSE, screen=CASELOAD_SCREEN, at=now)
    return sort_caseload(rows)


def _disclosed(shared: dict[int, frozenset[str]], ids: Iterable[int]) -> dict[int, frozenset[str]]:
    # A client who shares only notes still appears by name under that consent: audit the
    # consent's categories then, as an event needs at least one.
    return {m: (shared[m] & SHOWN_CATEGORIES) or shared[m] for m in ids}


def _latest(column, member_column):
    """The latest value of `column` for the client of the row: a correlated max(), which is
    one index seek per client where an index leads with the member (a GROUP BY would read
    the client's whole history)."""
    return (select(func.max(column)).where(member_column == User.id).correlate(User)
            .scalar_subquery())


def _per_client_query(members, *, viewer_id: int):
    """One row per client: name, time zone, sobriety date, last check-in, step, and the
    viewer's last contact."""
    steps_recorded = (
        select(func.count()).where(StepProgress.member_id == User.id).correlate(User)
        .scalar_subquery()
    )
    lowest_open_step = (
        select(func.min(StepProgress.step))
        .where(StepProgress.member_id == User.id, StepProgress.status != "completed")
        .correlate(User).scalar_subquery()
    )
    return (
        select(User.id, User.display_name, User.timezone, User.is_active,
               MemberProfile.sobriety_date,
               _latest(CheckIn.local_date, CheckIn.member_id).label("last_checkin"),
               lowest_open_step.label("lowest_open_step"),
               steps_recorded.label("steps_recorded"),
               select(func.max(ContactEntry.contacted_on))
               .where(ContactEntry.viewer_id == viewer_id, ContactEntry.member_id == User.id)
               .correlate(User).scalar_subquery().label("last_contact"))
        .outerjoin(MemberProfile, MemberProfile.user_id == User.id)
        .where(User.id.in_(members))
    )


@dataclass(frozen=True)
class _Week:
    checkins: int
    mood_total: int
    top_craving: int | None


def _week_figures(db: Connection, members, today_in_zone: dict[str, date]
                  ) -> dict[int, _Week]:
    """Each client's check-ins in their own 7-day window, aggregated in the database.

    The window ends today once the client has checked in today, and yesterday until
    then, so that a morning view does not count a day that is not over yet as missed.
    Both windows are summed in one pass; "today" is the client's, by time zone (a
    caseload has a handful of them).
    """
    # The days that matter, per time zone: a small table joined by the client's zone, so
    # that each check-in is compared with plain columns.
    zones = union_all(*(
        select(literal(tz, String).label("timezone"), literal(today, Date).label("today"),
               literal(today - timedelta(days=1), Date).label("yesterday"),
               literal(today - timedelta(days=WEEK_DAYS - 1), Date).label("week_to_today"),
               literal(today - timedelta(days=WEEK_DAYS), Date).label("week_to_yesterday"))
        for tz, today in sorted(today_in_zone.items())
    )).cte("zones")
    to_today = CheckIn.local_date >= zones.c.week_to_today
    to_yesterday = CheckIn.local_date <= zones.c.yesterday
    rows = db.execute(
        select(CheckIn.member_id,
               func.max(case((CheckIn.local_date == zones.c.today, 1), else_=0)),
               func.count(case((to_today, 1))),
               func.sum(case((to_today, CheckIn.mood))),
               func.max(case((to_today, CheckIn.craving))),
               func.count(case((to_yesterday, 1))),
               func.sum(case((to_yesterday, CheckIn.mood))),
               func.max(case((to_yesterday, CheckIn.craving))))
        .select_from(User)
        .join(zones, zones.c.timezone == User.timezone)
        .join(CheckIn, and_(CheckIn.member_id == User.id,
                            CheckIn.local_date >= zones.c.week_to_yesterday,
                            CheckIn.local_date <= zones.c.today))
        # The same range as plain values too, wide enough for every zone's week, so that
        # the planner can bound each client's index range with them.
        .where(User.id.in_(members),
               CheckIn.local_date >= min(today_in_zone.values()) - timedelta(days=WEEK_DAYS),
               CheckIn.local_date <= max(today_in_zone.values()))
        .group_by(CheckIn.member_id)
    )
    return {
        member_id: (_Week(n_today, mood_today or 0, craving_today) if made_today
                    else _Week(n_yesterday, mood_yesterday or 0, craving_yesterday))
        for (member_id, made_today, n_today, mood_today, craving_today,
             n_yesterday, mood_yesterday, craving_yesterday) in rows
    }


_NO_WEEK = _Week(checkins=0, mood_total=0, top_craving=None)


def _row(p, categories: frozenset[str], today: date, week: _Week,
         open_by_severity: dict[str, int], recent: Iterable[tuple[str, date]],
         thresholds: FlagThresholds) -> CaseloadRow:
    """The caseload row of one client, holding only the categories shared."""
    values: dict = {}
    if "checkins" in categories:
        last = p.last_checkin
        values.update(
            last_checkin=last,
            days_silent=max(0, (today - last).days) if last is not None else None,
            checkins_7d=week.checkins,
            mean_mood_7d=week.mood_total / week.checkins if week.checkins else None,
            max_craving_7d=week.top_craving,
            days_sober=sobriety_days(p.sobriety_date, today)
            if p.sobriety_date is not None else None,
        )
    if "steps" in categories:
        # The lowest step not completed; 12 once all are done (the twelfth is lifelong).
        # Every account has a row per step; were some missing, the next one is current.
        values["current_step"] = p.lowest_open_step or min(p.steps_recorded + 1, 12)
    if "flags" in categories:
        values.update(
            # A silence going on is the time rule holding today: the caseload has just
            # raised its flag (raise_silence_flags above) for every active client.
            risk=risk_of(MemberDays(
                today, p.last_checkin,
                p.last_checkin.isoformat()
                if p.is_active and is_silent(p.last_checkin, today, thresholds) else None),
                recent),
            open_flags=sum(open_by_severity.values()),
            open_high_flags=open_by_severity.get("high", 0),
            last_contact=p.last_contact,
        )
    return CaseloadRow(member_id=p.id, display_name=p.display_name, categories=categories,
                       today=today, **values)


def restricted_to(row: CaseloadRow, categories: frozenset[str]) -> CaseloadRow:
    """The row with every value of a category outside `categories` blanked out."""
    blank: dict[str, None] = {}
    if "checkins" not in categories:
        blank |= dict.fromkeys(("last_checkin", "days_silent", "checkins_7d", "mean_mood_7d",
                                "max_craving_7d", "days_sober"))
    if "steps" not in categories:
        blank["current_step"] = None
    if "flags" not in categories:
        blank |= dict.fromkeys(("risk", "open_flags", "open_high_flags", "last_contact"))
    return replace(row, categories=row.categories & categories, **blank)


# ---------------------------------------------------------------------------------------
# Filtering and sorting (pure).


@dataclass(frozen=True)
class CaseloadFilter:
    """What the counselor narrowed the table to; an empty criterion lets every row pass."""

    risks: frozenset[str] = frozenset()  # "high", "medium", "low", "none", "not_shared"
    open_flags_only: bool = False
    silent_for_at_least: int = 0  # days; 0 = any
    steps: frozenset[int] = frozenset()
    name: str = ""


def _folded(text: str) -> str:
    """Lower case without accents, so that "jose" finds "José"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def filter_caseload(rows: Iterable[CaseloadRow], criteria: CaseloadFilter) -> list[CaseloadRow]:
    """The rows that meet every criterion. A criterion on a category a client does not
    share excludes them: nothing is known to match."""
    terms = _folded(criteria.name).split()

    def keep(row: CaseloadRow) -> bool:
        if terms:
            name = _folded(row.display_name)
            if not all(term in name for term in terms):
                return False
        if criteria.risks and (row.risk or "not_shared") not in criteria.risks:
            return False
        if criteria.open_flags_only and not row.open_flags:
            return False
        if criteria.silent_for_at_least > 0:
            # A client who has never checked in has been silent all along.
            silent_enough = (row.days_silent or 0) >= criteria.silent_for_at_least
            if not (row.never_checked_in or silent_enough):
                return False
        return not criteria.steps or row.current_step in criteria.steps

    return [row for row in rows if keep(row)]


_RISK_RANK = {"high": 3, "medium": 2, "low": 1, "none": 0}
_NEVER = 10**6  # a client who never checked in sorts as the longest silent


def _silence(row: CaseloadRow) -> int | None:
    if row.never_checked_in:
        return _NEVER
    return row.days_silent


# Sort keys by column; None (not shared) always sorts last, whatever the direction.
SORT_KEYS: dict[str, Callable[[CaseloadRow], object]] = {
    "client": lambda r: _folded(r.display_name),
    "risk": lambda r: None if r.risk is None else _RISK_RANK[r.risk],
    "days_silent": _silence,
    "adherence": lambda r: r.checkins_7d,
    "mood": lambda r: r.mean_mood_7d,
    "craving": lambda r: r.max_craving_7d,
    "days_sober": lambda r: r.days_sober,
    "step": lambda r: r.current_step,
    "open_flags": lambda r: r.open_flags,
    "last_contact": lambda r: r.last_contact,
}


def _default_order(row: CaseloadRow) -> tuple:
    risk = -1 if row.risk is None else _RISK_RANK[row.risk]
    silence = _silence(row)
    # casefold() is enough for ties, and cheap at thousands of rows.
    return (-risk, -(silence if silence is not None else -1), row.display_name.casefold(),
            row.member_id)


def sort_caseload(rows: Iterable[CaseloadRow], by: str | None = None,
                  descending: bool = True) -> list[CaseloadRow]:
    """Rows by one column, ties in the default order: highest risk first, then the
    longest silent, then by name. Values not shared go last in either direction."""
    ordered = sorted(rows, key=_default_order)
    if by is None:
        return ordered
    key = SORT_KEYS[by]
    known = [r for r in ordered if key(r) is not None]
    unknown = [r for r in ordered if key(r) is None]
    known.sort(key=key, reverse=descending)  # stable: ties keep the default order
    return known + unknown


@dataclass(frozen=True)
class SortChoice:
    by: str | None  # a key of SORT_KEYS; None for the default order
    descending: bool
    label: str


def _sort_choices() -> dict[str, SortChoice]:
    # Each column both ways, in words that say which end comes first.
    words = {
        "client": ("Name", "Z to A", "A to Z"),
        "risk": ("Risk", "highest first", "lowest first"),
        "days_silent": ("Days silent", "longest first", "shortest first"),
        "adherence": ("Check-ins in 7 days", "most first", "fewest first"),
        "mood": ("Mood over 7 days", "highest first", "lowest first"),
        "craving": ("Craving over 7 days", "highest first", "lowest first"),
        "days_sober": ("Days sober", "most first", "fewest first"),
        "step": ("Current step", "highest first", "lowest first"),
        "open_flags": ("Needs my action", "most first", "fewest first"),
        "last_contact": ("Last contact", "latest first", "earliest first"),
    }
    choices = {"default": SortChoice(None, True, "Risk, then days silent (default)")}
    for key, (name, down, up) in words.items():
        choices[f"{key}:desc"] = SortChoice(key, True, f"{name}, {down}")
        choices[f"{key}:asc"] = SortChoice(key, False, f"{name}, {up}")
    return choices


SORT_CHOICES = _sort_choices()


@dataclass(frozen=True)
class CaseloadView:
    """The caseload screen's data, read in one transaction."""

    rows: list[CaseloadRow]  # every client, in the default order (metrics, risk chart)
    shown: list[CaseloadRow]  # the table: filtered and sorted as asked
    # The heatmap: for the first HEATMAP_MAX_CLIENTS rows of the table that share
    # check-ins, the days ago (0 = the client's today) with a check-in.
    checkin_days: dict[int, frozenset[int]]


def caseload_view(
    *, session: Session, actor: Actor, criteria: CaseloadFilter | None = None,
    sort_by: str | None = None, descending: bool = True, now: datetime,
) -> CaseloadView:
    """`caseload_for`, the table filtered and sorted, and the heatmap of its top rows.

    The heatmap's days are read for the clients it draws only (one more statement): they
    are among the check-ins `caseload_for` has audited as disclosed on this screen.
    """
    rows = caseload_for(session=session, actor=actor, now=now)  # in the default order
    shown = filter_caseload(rows, criteria or CaseloadFilter())  # keeps the order
    if sort_by is not None:
        shown = sort_caseload(shown, sort_by, descending)
    sharing = [r for r in shown if r.shares("checkins")][:HEATMAP_MAX_CLIENTS]
    drawn = {r.member_id: r.today for r in sharing}
    days: dict[int, set[int]] = {m: set() for m in drawn}
    if drawn:
        for member_id, day in session.connection().execute(
            select(CheckIn.member_id, CheckIn.local_date)
            .where(CheckIn.member_id.in_(list(drawn)),
                   CheckIn.local_date > min(drawn.values()) - timedelta(days=HEATMAP_DAYS),
                   CheckIn.local_date <= max(drawn.values()))
        ):
            ago = (drawn[member_id] - day).days
            if 0 <= ago < HEATMAP_DAYS:
                days[member_id].add(ago)
    return CaseloadView(rows=rows, shown=shown,
                        checkin_days={m: frozenset(d) for m, d in days.items()})
