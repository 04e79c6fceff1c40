"""The counselor's caseload and alert queue.

`caseload_for` gives one row per client with an active counseling consent, read with a
constant number of set-based statements whatever the caseload size, never one per
client: the consents; one row of latest dates per client (correlated max() subqueries,
each an index seek), from which the silence flags due are raised; each client's 7-day
figures, aggregated in the database; the open flags by severity; then one insert of the
audit events. The clients are a subquery of the consents in each statement, not a list
of ids. Categories a client does not share come back as None, so the screen can say
"not shared" instead of a zero.

Days are the client's own: "today" and "the last 7 days" are computed per time zone (a
caseload has a handful of them).

The rest of the module is pure: filtering, sorting, the table as shown, its CSV and the
metrics strip, so that the page stays a thin layer and every rule here is unit-tested.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Date, String, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.config import settings
from dashboard.errors import PermissionDenied
from dashboard.flags import (
    SEVERITY_RANK,
    raise_silence_flags,
    risk_level,
    sweep,
)
from dashboard.labels import RULE_LABELS, SEVERITY_LABELS, STEP_LABELS
from dashboard.policy import (
    ROLE_FOR_PURPOSE,
    audit_disclosures,
    shared_categories_by_member,
    visible_members,
)
from dashboard.progress import sobriety_days
from dashboard.timeutil import day_label, local_today
from models import (
    SEVERITIES,
    CheckIn,
    Flag,
    MemberProfile,
    StepProgress,
    User,
    WeeklyReview,
)

PURPOSE = "counseling"
CASELOAD_SCREEN = "Caseload"
ALERTS_SCREEN = "Alerts"
WEEK_DAYS = 7
HEATMAP_DAYS = 28
HEATMAP_MAX_CLIENTS = 40
# What the caseload table shows; a client's notes never appear on it.
SHOWN_CATEGORIES = frozenset({"checkins", "steps", "flags"})
NOT_SHARED = "not shared"


def _require_counselor(actor: Actor) -> None:
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
    risk: str | None = None  # "high", "medium", "low" or "none"
    open_flags: int | None = None
    open_high_flags: int | None = None
    last_contact: datetime | None = None  # None also when nobody reached out yet

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
    _require_counselor(actor)
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
    people = [p for p in db.execute(_per_client_query(sharing())) if p.id in shared]
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
    open_flags = _open_flags(db, sharing("flags")) if shares["flags"] else {}

    rows = [_row(p, shared[p.id], today_in_zone[p.timezone], weeks.get(p.id, _NO_WEEK),
                 open_flags.get(p.id, {}))
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


def _per_client_query(members):
    """One row per client: name, time zone, sobriety date, last check-in, step, last
    contact."""
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
               _latest(Flag.acknowledged_at, Flag.member_id).label("last_acknowledged"),
               _latest(WeeklyReview.created_at, WeeklyReview.member_id).label("last_review"))
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


def _open_flags(db: Connection, members) -> dict[int, dict[str, int]]:
    """Each client's open flags, counted by severity."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for member_id, severity, count in db.execute(
        select(Flag.member_id, Flag.severity, func.count())
        .where(Flag.member_id.in_(members), Flag.status == "open")
        .group_by(Flag.member_id, Flag.severity)
    ):
        counts[member_id][severity] = count
    return counts


def _row(p, categories: frozenset[str], today: date, week: _Week,
         open_by_severity: dict[str, int]) -> CaseloadRow:
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
        contacts = [t for t in (p.last_acknowledged, p.last_review) if t is not None]
        values.update(
            risk=risk_level(open_by_severity),
            open_flags=sum(open_by_severity.values()),
            open_high_flags=open_by_severity.get("high", 0),
            last_contact=max(contacts, default=None),
        )
    return CaseloadRow(member_id=p.id, display_name=p.display_name, categories=categories,
                       today=today, **values)


def _restricted(row: CaseloadRow, categories: frozenset[str]) -> CaseloadRow:
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
        "open_flags": ("Open flags", "most first", "fewest first"),
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


# ---------------------------------------------------------------------------------------
# The table as shown, and its CSV (pure).


@dataclass(frozen=True)
class TableColumn:
    key: str
    label: str
    category: str | None  # the consent category it shows; None for the name
    help: str


TABLE_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("client", "Client", None, "Select a row to open the client's detail."),
    TableColumn("risk", "Risk", "flags", "Highest severity among the client's open flags."),
    TableColumn("days_silent", "Days silent", "checkins",
                "Days since the last check-in, in the client's own time zone; \"never\" "
                "when they have not checked in yet."),
    TableColumn("adherence", "Check-ins 7d", "checkins",
                "Days with a check-in among the last 7 (today counts once the client has "
                "checked in). Empty when check-ins are not shared."),
    TableColumn("mood_craving", "Mood / craving", "checkins",
                "Mean mood (1 to 5) / highest craving (0 to 10) over the same 7 days; "
                "\"none\" without a check-in in them."),
    TableColumn("days_sober", "Days sober", "checkins", "Days since the sobriety date."),
    TableColumn("step", "Step", "steps", "The lowest of the 12 steps not yet completed."),
    TableColumn("open_flags", "Open flags", "flags",
                "Flags nobody has acknowledged yet (work them on the Alerts page)."),
    TableColumn("last_contact", "Last contact", "flags",
                "The last day someone acknowledged a flag with outreach, or reviewed the "
                "client's week; \"none\" before the first."),
)
COLUMN_BY_KEY = {c.key: c for c in TABLE_COLUMNS}
NEVER = "never"
NONE = "none"


def _text(row: CaseloadRow, key: str, viewer_timezone: str, today: date | None = None) -> str:
    """A cell as words, as it reads on screen when given the viewer's `today` ("yesterday"),
    as it reads in an export without ("Tue 1 Dec 2026": a file is read on other days)."""
    if key == "client":
        return row.display_name
    category = COLUMN_BY_KEY[key].category
    if category is not None and not row.shares(category):
        return NOT_SHARED
    match key:
        case "risk":
            return SEVERITY_LABELS[row.risk]
        case "days_silent":
            return NEVER if row.days_silent is None else str(row.days_silent)
        case "adherence":
            return f"{row.checkins_7d}/{WEEK_DAYS}"
        case "mood_craving":
            if row.mean_mood_7d is None:
                return NONE
            return f"{row.mean_mood_7d:.1f} / {row.max_craving_7d}"
        case "days_sober":
            return str(row.days_sober)
        case "step":
            return str(row.current_step)
        case "open_flags":
            return str(row.open_flags)
        case "last_contact":
            if row.last_contact is None:
                return NONE
            return day_label(local_today(viewer_timezone, row.last_contact), today=today,
                             weekday=True, short=True)
    raise KeyError(key)


FIGURE_SPACE = "\u2007"  # as wide as a digit
# Widths that numbers are padded to on screen, so that a click on a column header (which
# sorts text as text) still sorts them as numbers; words sort after every number.
_PAD = {"days_silent": 5, "days_sober": 6, "step": 2, "open_flags": 4}


def screen_table(rows: Sequence[CaseloadRow], *, viewer_timezone: str, today: date,
                 columns: Sequence[str] | None = None) -> dict[str, list]:
    """Column label -> cell values, for the page's dataframe.

    Risk is a severity code (a list of one, for a coloured label; "not_shared" when
    not shared), adherence the number of days (None, an empty bar, when not shared),
    and the other cells are the words of the CSV, numbers padded as above.
    """
    keys = list(columns or COLUMN_BY_KEY)
    table: dict[str, list] = {COLUMN_BY_KEY[k].label: [] for k in keys}
    for row in rows:
        for key in keys:
            label = COLUMN_BY_KEY[key].label
            if key == "risk":
                table[label].append([row.risk or "not_shared"])
            elif key == "adherence":
                table[label].append(row.checkins_7d)
            else:
                text = _text(row, key, viewer_timezone, today)
                width = _PAD.get(key)
                if width and text.isdigit():
                    text = text.rjust(width, FIGURE_SPACE)
                table[label].append(text)
    return table


# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def caseload_csv(rows: Sequence[CaseloadRow], *, viewer_timezone: str,
                 columns: Sequence[str] | None = None) -> str:
    """The table as shown, as CSV: the same rows, columns and words."""
    keys = list(columns or COLUMN_BY_KEY)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([COLUMN_BY_KEY[k].label for k in keys])
    for row in rows:
        cells = [_text(row, k, viewer_timezone) for k in keys]
        writer.writerow(["'" + c if c.startswith(_FORMULA_STARTS) else c for c in cells])
    return out.getvalue()


def export_caseload_csv(*, session: Session, actor: Actor, rows: Sequence[CaseloadRow],
                        columns: Sequence[str] | None = None, now: datetime
                        ) -> str:
    """The CSV of the rows and columns shown, audited as an export of each client in it.

    Consent is asked again: a client who stopped sharing since the table was read is left
    out, and a category no longer shared is blanked.
    """
    _require_counselor(actor)
    keys = list(columns or COLUMN_BY_KEY)
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=PURPOSE)
    exported = [_restricted(r, shared[r.member_id]) for r in rows if r.member_id in shared]
    in_columns = {COLUMN_BY_KEY[k].category for k in keys} - {None}
    audit_disclosures(
        session, actor=actor, purpose=PURPOSE, screen=CASELOAD_SCREEN, action="export", at=now,
        granted_by_member={r.member_id: (shared[r.member_id] & in_columns) or shared[r.member_id]
                           for r in exported},
    )
    return caseload_csv(exported, viewer_timezone=actor.timezone, columns=keys)


# ---------------------------------------------------------------------------------------
# The metrics strip (pure).


@dataclass(frozen=True)
class CaseloadMetrics:
    clients: int
    sharing_flags: int
    open_high_flags: int
    sharing_checkins: int
    silent_days: int  # the threshold, from the flag rules' configuration
    silent_clients: int
    adherence_7d: float | None  # None when nobody shares check-ins


def caseload_metrics(rows: Sequence[CaseloadRow], *, silent_days: int | None = None
                     ) -> CaseloadMetrics:
    silent_days = silent_days or settings().flag_thresholds.silent_days
    flags = [r for r in rows if r.shares("flags")]
    checkins = [r for r in rows if r.shares("checkins")]
    return CaseloadMetrics(
        clients=len(rows),
        sharing_flags=len(flags),
        open_high_flags=sum(r.open_high_flags or 0 for r in flags),
        sharing_checkins=len(checkins),
        silent_days=silent_days,
        silent_clients=sum(1 for r in checkins
                           if r.never_checked_in or (r.days_silent or 0) >= silent_days),
        adherence_7d=(sum(r.checkins_7d or 0 for r in checkins) / (WEEK_DAYS * len(checkins))
                      if checkins else None),
    )


def showing_sentence(shown: int, total: int) -> str:
    clients = f"{total:,} client" + ("" if total == 1 else "s")
    if shown == total:
        return f"Showing all {clients}."
    return f"Showing {shown:,} of {clients}."


def high_risk_names(rows: Sequence[CaseloadRow], *, at_most: int = 5) -> str | None:
    """Who is at high risk, for the line above the table: "Ana A., Ben B. and 3 more"."""
    high = [r.display_name for r in rows if r.risk == "high"]
    if not high:
        return None
    named, more = high[:at_most], len(high) - at_most
    if more > 0:
        return f"{', '.join(named)} and {more} more"
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def step_choice_label(step: int) -> str:
    return f"{step}. {STEP_LABELS[step]}"


# ---------------------------------------------------------------------------------------
# The alert queue.


@dataclass(frozen=True)
class AlertItem:
    flag_id: int
    member_id: int
    display_name: str
    severity: str
    rule_id: str
    raised_on: date
    client_today: date  # the client's own date, by which the flag's age is counted
    reason: str
    quoted_text: str | None  # the client's own words, only when notes are shared
    status: str  # "open" or "acknowledged"
    acknowledged_at: datetime | None
    outreach_method: str | None
    acknowledged_by_me: bool

    @property
    def rule_label(self) -> str:
        return RULE_LABELS.get(self.rule_id, self.rule_id)

    @property
    def days_open(self) -> int:
        """Days since the flag was raised, in the client's own calendar."""
        return max(0, (self.client_today - self.raised_on).days)


@dataclass(frozen=True)
class AlertQueue:
    alerts: list[AlertItem]  # the page asked for, of the filtered queue
    total: int  # how many flags match the filters
    page: int  # the page returned (the last one when more was asked)
    pages: int
    by_severity: dict[str, int] = field(default_factory=dict)  # of the whole queue


def alert_queue(
    *, session: Session, actor: Actor, severities: Iterable[str] = (),
    rule_ids: Iterable[str] = (), page: int = 1, page_size: int = 20,
    now: datetime,
) -> AlertQueue:
    """Open and acknowledged flags of the clients who share flags with the actor: by
    severity, then the oldest first. Filters and paging apply in SQL, so that only the
    clients of the flags returned are disclosed (and audited)."""
    _require_counselor(actor)
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=PURPOSE)
    if not any("flags" in categories for categories in shared.values()):
        return AlertQueue(alerts=[], total=0, page=1, pages=1,
                          by_severity=dict.fromkeys(reversed(SEVERITIES), 0))
    with_flags = visible_members(viewer_id=actor.id, at=now, purpose=PURPOSE, category="flags")
    # Silence flags are raised here too, for a counselor who opens Alerts first.
    sweep(session, now=now, member_ids=with_flags)

    severities, rule_ids = list(severities), list(rule_ids)
    chosen = [Flag.member_id.in_(with_flags), Flag.status.in_(("open", "acknowledged"))]
    if rule_ids:
        chosen.append(Flag.rule_id.in_(rule_ids))
    # The whole queue by severity (the strip above the list) and how many of each match
    # the filters, in one statement.
    counts = session.connection().execute(
        select(Flag.severity, func.count(),
               func.count(case((Flag.rule_id.in_(rule_ids), 1))) if rule_ids else func.count())
        .where(*chosen[:2]).group_by(Flag.severity)
    ).all()
    by_severity = {severity: count for severity, count, _ in counts}
    total = sum(matching for severity, _, matching in counts
                if not severities or severity in severities)
    if severities:
        chosen.append(Flag.severity.in_(severities))
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    severity_rank = case(
        *((Flag.severity == name, rank) for name, rank in SEVERITY_RANK.items()), else_=0
    )
    query = (
        select(Flag, User.display_name, User.timezone)
        .join(User, User.id == Flag.member_id)
        .where(*chosen)
        .order_by(severity_rank.desc(), Flag.raised_on, Flag.id)
        .limit(page_size).offset((page - 1) * page_size)
    )
    alerts = [
        AlertItem(
            flag_id=f.id, member_id=f.member_id, display_name=name, severity=f.severity,
            rule_id=f.rule_id, raised_on=f.raised_on,
            client_today=local_today(tz, now), reason=f.reason,
            # The client's own words (decrypted by the column type) only with notes shared.
            quoted_text=f.quoted_text if "notes" in shared[f.member_id] else None,
            status=f.status, acknowledged_at=f.acknowledged_at,
            outreach_method=f.outreach_method, acknowledged_by_me=f.acknowledged_by_id == actor.id,
        )
        # Whole flags through the ORM (a page of them): selecting the encrypted column
        # alone in a cached Core statement trips its comparison guard (models/crypto.py).
        for f, name, tz in session.execute(query)
        # A consent granted since `shared` was read waits for the next view.
        if "flags" in shared.get(f.member_id, ())
    ]
    audit_disclosures(
        session, actor=actor, purpose=PURPOSE, screen=ALERTS_SCREEN, at=now,
        granted_by_member={a.member_id: shared[a.member_id] & {"flags", "notes"} for a in alerts},
    )
    return AlertQueue(alerts=alerts, total=total, page=page, pages=pages,
                      by_severity={s: by_severity.get(s, 0) for s in reversed(SEVERITIES)})
