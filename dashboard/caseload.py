"""The counselor's caseload: one row per client who shares with them, filtered and sorted.

`caseload_for` gives one row per client with an active counseling consent, read with a
constant number of set-based statements whatever the caseload size, never one per
client: the time zones of the clients; one row per client with what the consents share,
their 7-day figures, last check-in, step, the flags needing the counselor's action and
the counselor's last contact; the silence flags due, raised from those rows; the flags
going on (the client's risk); then the audit events. The clients are a subquery of the
consents in each statement, not a list of ids. Categories a client does not share come
back as None, so the screen can say "not shared" instead of a zero.

Days are the client's own: "today" and "the last 7 days" are computed per time zone (a
caseload has a handful of them).

Filtering and sorting are pure and unit-tested; the table as shown, its CSV and the
metrics strip are in caseload_table.py, the alert queue in alert_queue.py.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.caseload_reads import (
    PURPOSE,
    SHARES,
    WEEK_DAYS,
    client_rows,
    zones_of_clients,
)
from dashboard.config import FlagThresholds, settings
from dashboard.errors import PermissionDenied
from dashboard.flags import (
    NO_CHECKIN_SEVERITY,
    MemberDays,
    is_silent,
    raise_silence_flags,
    recent_flag_severities,
    risk_of,
)
from dashboard.policy import (
    ROLE_FOR_PURPOSE,
    audit_disclosures,
    categories_shared,
    visible_members,
)
from dashboard.progress import sobriety_days
from dashboard.timeutil import local_today
from models import CheckIn

CASELOAD_SCREEN = "Caseload"
ALERTS_SCREEN = "Alerts"
HEATMAP_DAYS = 28
HEATMAP_MAX_CLIENTS = 40
# What the caseload table shows; a client's notes never appear on it.
SHOWN_CATEGORIES = frozenset({"checkins", "steps", "flags"})


def require_counselor(actor: Actor) -> None:
    if not actor.has_role(ROLE_FOR_PURPOSE[PURPOSE]):
        raise PermissionDenied()


# ---------------------------------------------------------------------------------------
# The caseload service.


class CaseloadRow(NamedTuple):
    """One client of the caseload. None means: that category is not shared.

    A named tuple rather than a frozen dataclass: as immutable, and built several times
    faster, which counts at thousands of clients per run."""

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
    # Reads go through the Connection: plain rows, without the ORM's work per row, which
    # counts at thousands of clients.
    db = session.connection()
    zones = zones_of_clients(db, viewer_id=actor.id, at=now)
    if not zones:
        return []
    today_in_zone = {tz: local_today(tz, now) for tz in sorted(zones)}
    # One row per client, with what they share, read in one statement. Values of a
    # category a client does not share are read, but never leave this function: `_row`
    # copies only the shared ones.
    people = client_rows(db, viewer_id=actor.id, at=now, today_in_zone=today_in_zone)
    shared = {p.member_id: categories_shared(p[SHARES]) for p in people}
    thresholds = settings().flag_thresholds
    flags_shared = [p for p in people if "flags" in shared[p.member_id]]
    # Raise the silence flags due now, so that what the counselor sees does not wait for
    # a cron job: `sweep`'s rule, for the clients silent in the rows just read. A flag
    # raised here is one more needing the counselor's action (nobody has acted on it).
    raised = Counter(raise_silence_flags(session, (
        (p.member_id, p.last_checkin, p.timezone) for p in flags_shared
        if p.is_active and is_silent(p.last_checkin, today_in_zone[p.timezone], thresholds)
    ), now=now))
    recent = (recent_flag_severities(session, visible_members(
        viewer_id=actor.id, at=now, purpose=PURPOSE, category="flags"), now=now)
        if flags_shared else {})
    rows = [_row(p, shared[p.member_id], today_in_zone[p.timezone],
                 recent.get(p.member_id, ()), raised.get(p.member_id, 0), thresholds)
            for p in people]
    audit_disclosures(session, actor=actor,
                      granted_by_member=_disclosed(shared),
                      purpose=PURPOSE, screen=CASELOAD_SCREEN, at=now)
    return sort_caseload(rows)


def _disclosed(shared: dict[int, frozenset[str]]) -> dict[int, frozenset[str]]:
    # A client who shares only notes still appears by name under that consent: audit the
    # consent's categories then, as an event needs at least one.
    return {m: (categories & SHOWN_CATEGORIES) or categories
            for m, categories in shared.items()}


def _row(p, categories: frozenset[str], today: date, recent: Iterable[tuple[str, date]],
         raised: int, thresholds: FlagThresholds) -> CaseloadRow:
    """The caseload row of one client (a `caseload_reads.client_rows` row), holding only the
    categories shared. `raised`: the silence flags this view has just raised for them."""
    (member_id, display_name, _zone, is_active, sobriety_date, *_shares, made_today,
     n_to_today, mood_to_today, craving_to_today, n_to_yesterday, mood_to_yesterday,
     craving_to_yesterday, last_checkin, step, open_flags, open_high_flags, last_contact) = p
    # Every value starts as "not shared"; each category shared fills its own.
    last, days_silent, checkins, mean_mood, top_craving, days_sober = (None,) * 6
    if "checkins" in categories:
        last = last_checkin
        if made_today:
            checkins, mood_total, top_craving = n_to_today, mood_to_today, craving_to_today
        else:
            checkins, mood_total = n_to_yesterday, mood_to_yesterday
            top_craving = craving_to_yesterday
        days_silent = max(0, (today - last).days) if last else None
        mean_mood = mood_total / checkins if checkins else None
        days_sober = sobriety_days(sobriety_date, today) if sobriety_date else None
    current_step = step if "steps" in categories else None
    risk = open_count = open_high = contact = None
    if "flags" in categories:
        # A silence going on is the time rule holding today: the caseload has just raised
        # its flag (raise_silence_flags above) for every active client.
        silent = is_active and is_silent(last_checkin, today, thresholds)
        risk = (risk_of(MemberDays(today, last_checkin, last_checkin.isoformat()
                                   if silent else None), recent)
                if silent or recent else "none")
        open_count = (open_flags or 0) + raised
        open_high = (open_high_flags or 0) + (raised if NO_CHECKIN_SEVERITY == "high" else 0)
        contact = last_contact
    return CaseloadRow(member_id, display_name, categories, today, last, days_silent,
                       checkins, mean_mood, top_craving, days_sober, current_step, risk,
                       open_count, open_high, contact)


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
    return row._replace(categories=row.categories & categories, **blank)


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
    sort_by: str | None = None, descending: bool = True, heatmap: bool = True, now: datetime,
) -> CaseloadView:
    """`caseload_for`, the table filtered and sorted, and the heatmap of its top rows
    (`heatmap=False`: none, for a screen that does not draw it).

    The heatmap's days are read for the clients it draws only (one more statement): they
    are among the check-ins `caseload_for` has audited as disclosed on this screen.
    """
    rows = caseload_for(session=session, actor=actor, now=now)  # in the default order
    shown = filter_caseload(rows, criteria or CaseloadFilter())  # keeps the order
    if sort_by is not None:
        shown = sort_caseload(shown, sort_by, descending)
    sharing = [r for r in shown if r.shares("checkins")][:HEATMAP_MAX_CLIENTS if heatmap else 0]
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
