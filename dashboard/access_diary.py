"""Who viewed my data, as a diary: one line per viewer, screen and day, in words.

A raw event is one visit of a screen, and until list screens extended their visits it was
one run of it: listed one by one they read like surveillance ("view, view, view..."). The
diary groups the events of the same viewer, role, act, screen and outcome on the same day
of the member's (their own time zone, daylight saving included) and says what happened:
"Latoya N., counselor, saw you on Caseload 6 times between 10:02 and 10:09: check-ins,
hard days and flags". A group counts the runs its events stand for (the sum of their
`seen_count`), from the first one's time to the last one's (`last_seen_at`, or the time of
an event that stands for one run). Refused attempts are lines of their own, said so
without blaming the member. The raw events stay in the accounting of disclosures
(dashboard/sharing.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.errors import PermissionDenied
from dashboard.labels import ACCESS_ACTION_LABELS, CATEGORY_LABELS, plural
from dashboard.sharing import others_accesses
from dashboard.timeutil import day_label, end_of_local_day, local_today, to_local
from models import CATEGORIES, AuditEvent, User

ROLE_WORDS = {"sponsor": "sponsor", "counselor": "counselor", "admin": "administrator"}
REFUSED = "refused, you do not share that with them"
_ALL = frozenset(CATEGORIES)

# Acts on one thing each, counted in their object ("acknowledged 2 flags"): the words of
# the act done (once, n times) and of an attempt refused.
_COUNTED_ACTS = {
    "flag_acknowledged": (("acknowledged a flag", "acknowledged {n} flags"),
                          "tried to acknowledge a flag"),
    "flag_resolved": (("resolved a flag", "resolved {n} flags"), "tried to resolve a flag"),
    "contact_logged": (("noted a contact with you", "noted {n} contacts with you"),
                       "tried to note a contact with you"),
}
# Other acts, done and refused, with the categories ("{shared}") and the screen
# ("{from_screen}", "{on_screen}") in them.
_ACTS = {
    "export": ("exported your {shared}{from_screen}", "tried to export your {shared}{from_screen}"),
    "week_reviewed": ("marked your week reviewed{on_screen}",
                      "tried to mark your week reviewed{on_screen}"),
}


@dataclass(frozen=True)
class Visit:
    """One line of the diary: the events of one viewer, role, act, screen and outcome on
    one day of the member's."""

    day: date
    viewer_id: int | None  # None: the server's operator (the command line)
    viewer_name: str
    viewer_role: str | None
    action: str
    screen: str | None
    outcome: str  # "allowed" or "denied"
    categories: tuple[str, ...]  # the union over the events, in CATEGORIES order
    times: int  # the runs the events stand for: the sum of their seen_count
    events: int  # the events (visits) themselves
    first_at: datetime
    last_at: datetime
    who: str  # "Latoya N., counselor,"
    what: str  # "saw you on Caseload 6 times between 10:02 and 10:09: check-ins"

    @property
    def text(self) -> str:
        return f"{self.who} {self.what}"


@dataclass(frozen=True)
class DiaryDay:
    day: date
    label: str  # "Today, Thursday 3 December", "Tuesday 1 December 2025"
    visits: tuple[Visit, ...]  # the latest first


@dataclass(frozen=True)
class AccessDiary:
    days: tuple[DiaryDay, ...]  # the latest first
    visits: int  # events
    people: int
    refused: int  # refused events
    summary: str  # "12 visits by 2 people in this period; 1 refused."


def access_diary(
    *, session: Session, actor: Actor, viewer_id: int | None = None, since: datetime,
    until: datetime, now: datetime,
) -> AccessDiary:
    """The actor's accesses by others in [since, until), grouped by viewer, screen and the
    actor's own day, the latest day first. Grouped and counted in the database (two
    statements, the period's bounds and the groups); only the wording is done here."""
    if not actor.has_role("member"):
        raise PermissionDenied()
    tz = actor.timezone
    scope = [others_accesses(actor.id), AuditEvent.at >= since, AuditEvent.at < until]
    if viewer_id is not None:
        scope.append(AuditEvent.actor_id == viewer_id)
    # The days told apart are those from the period's first event to its last, so that a
    # period chosen from years back costs no more than the events it holds.
    first, last = session.execute(
        select(func.min(AuditEvent.at), func.max(AuditEvent.at)).where(*scope)).one()
    if first is None:
        return _diary([], now=now, tz=tz)
    first_day, last_day = to_local(first, tz).date(), to_local(last, tz).date()
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    # The member's day of an event, in SQL: SQLite knows no time zones, so the ends of the
    # member's days (their daylight saving included) are reckoned here and the database
    # only compares instants, on either backend.
    local_day = case(*((AuditEvent.at < end_of_local_day(day, tz), day.toordinal())
                       for day in days)).label("day")
    last_at = func.max(func.coalesce(AuditEvent.last_seen_at, AuditEvent.at))
    # Whether an event touched a category: stored as "checkins,flags", and no category's
    # code is part of another's.
    shared = [func.max(case((AuditEvent.categories.like(f"%{c}%"), 1), else_=0)).label(c)
              for c in CATEGORIES]
    keys = (local_day, AuditEvent.actor_id, User.display_name, AuditEvent.actor_role,
            AuditEvent.action, AuditEvent.screen, AuditEvent.outcome)
    query = (
        select(*keys, *shared, func.sum(AuditEvent.seen_count).label("times"),
               func.count().label("events"), func.min(AuditEvent.at).label("first_at"),
               last_at.label("last_at"))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        # Within the bounds just read: an event committed since waits for the next run.
        .where(*scope, AuditEvent.at >= first, AuditEvent.at <= last)
        .group_by(*keys)
        .order_by(local_day.desc(), last_at.desc())
    )
    rows = session.execute(query).all()
    visits = [_visit(row, member_id=actor.id, tz=tz) for row in rows]
    return _diary(visits, now=now, tz=tz)


def _visit(row, *, member_id: int, tz: str) -> Visit:
    day = date.fromordinal(row.day)
    categories = tuple(c for c in CATEGORIES if getattr(row, c))
    if row.actor_id is None:
        name = "The server's operator"
    elif row.actor_id == member_id:
        # Only a session begun with an administrator's reset code brings the member's own
        # reads here: it may not have been them.
        name = "Your account, in a session begun with a reset code,"
    else:
        name = row.display_name or "A deleted account"
    role = ROLE_WORDS.get(row.actor_role)
    visit = Visit(
        day=day, viewer_id=row.actor_id, viewer_name=name, viewer_role=row.actor_role,
        action=row.action, screen=row.screen, outcome=row.outcome, categories=categories,
        times=int(row.times), events=row.events, first_at=row.first_at, last_at=row.last_at,
        who=f"{name}, {role}," if role else name, what="",
    )
    return _with_words(visit, own_account=row.actor_id == member_id, tz=tz)


def _with_words(visit: Visit, *, own_account: bool, tz: str) -> Visit:
    refused = visit.outcome == "denied"
    screen = visit.screen or ""
    shared = _in_words(visit.categories)
    counted = True  # whether "once", "twice" or "n times" follows the act
    if visit.action == "view":
        if refused:
            act = f"tried to see your {shared}"
        else:
            act = "saw your data" if own_account else "saw you"
        act += f" on {screen}" if screen else ""
    elif visit.action in _COUNTED_ACTS:
        (one, many), tried = _COUNTED_ACTS[visit.action]
        act = tried if refused else (one if visit.times == 1 else many.format(n=visit.times))
        act += f" on {screen}" if screen else ""
        counted = refused
    else:
        done, tried = _ACTS.get(visit.action) or (_other_act(visit.action), None)
        act = (tried if refused and tried else done).format(
            shared=shared, from_screen=f" from {screen}" if screen else "",
            on_screen=f" on {screen}" if screen else "")
        # A one-off act needs no "once"; a view always says how often.
        counted = refused or visit.times > 1
    words = [act]
    if counted:
        words.append(_how_often(visit.times))
    words.append(_when(visit, tz=tz))
    what = " ".join(words)
    if visit.action == "view" and not refused and visit.categories:
        what += ": " + ", ".join(CATEGORY_LABELS[c].lower() for c in visit.categories)
    if refused:
        what += f": {REFUSED}"
    return replace(visit, what=what)


def _other_act(action: str) -> str:
    # "Reset your password" -> "reset your password"; an act without words of its own is
    # named by its code, so that nothing done is left out of the diary.
    label = ACCESS_ACTION_LABELS.get(action)
    if label:
        return label[0].lower() + label[1:]
    return f"used your data{{from_screen}} ({action.replace('_', ' ')})"


def _in_words(categories: tuple[str, ...]) -> str:
    """"check-ins and notes"; "data" for all four, or none known."""
    if not categories or set(categories) == _ALL:
        return "data"
    labels = [CATEGORY_LABELS[c].lower() for c in categories]
    if len(labels) == 1:
        return labels[0]
    # "hard days and flags" has its own "and": a comma before the last keeps it one item.
    last = ", and " if " and " in labels[-1] and len(labels) > 2 else " and "
    return ", ".join(labels[:-1]) + last + labels[-1]


def _how_often(times: int) -> str:
    return {1: "once", 2: "twice"}.get(times, f"{times} times")


def _when(visit: Visit, *, tz: str) -> str:
    first, last = to_local(visit.first_at, tz), to_local(visit.last_at, tz)
    if f"{first:%H:%M}" == f"{last:%H:%M}" and first.date() == last.date():
        return f"at {first:%H:%M}"
    # A visit begun late in the evening may run past midnight (an event extends for half
    # an hour from its first run): its day is the day it began.
    end = f"{last:%H:%M}" + (" the next day" if last.date() > visit.day else "")
    return f"between {first:%H:%M} and {end}"


def _diary(visits: list[Visit], *, now: datetime, tz: str) -> AccessDiary:
    today = local_today(tz, now)
    by_day: dict[date, list[Visit]] = {}
    for visit in visits:
        by_day.setdefault(visit.day, []).append(visit)
    days = tuple(DiaryDay(day=day, label=_day_heading(day, today=today), visits=tuple(lines))
                 for day, lines in by_day.items())
    count = sum(v.events for v in visits)
    people = len({v.viewer_id for v in visits})
    refused = sum(v.events for v in visits if v.outcome == "denied")
    summary = (f"{plural(count, 'visit')} by {plural(people, 'person', 'people')} in this period"
               + (f"; {refused} refused." if refused else "."))
    return AccessDiary(days=days, visits=count, people=people, refused=refused,
                       summary=summary)


def _day_heading(day: date, *, today: date) -> str:
    label = day_label(day, today=today, weekday=True, relative=False)
    near = day_label(day, today=today)
    return f"{near.capitalize()}, {label}" if near in ("today", "yesterday") else label
