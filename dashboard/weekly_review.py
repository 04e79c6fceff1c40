"""The sponsor's weekly review: one card per sponsee for an ISO week, and marking it reviewed.

Each card holds only the categories the sponsee shares with the sponsor (None for the
others), read for all sponsees with a constant number of statements, and each sponsee
shown is audited once. A week is Monday to Sunday in the sponsee's own calendar:
check-in dates are already the member's local dates.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.categories import shown
from dashboard.config import settings
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.flags import is_silent, member_risks, sweep
from dashboard.follow_up import needs_action_condition
from dashboard.labels import CATEGORY_LABELS, STEP_LABELS, plural
from dashboard.member_views import FlagView
from dashboard.policy import audit_disclosures, disclose, shared_categories_by_member
from dashboard.progress import milestones_between
from dashboard.text import clean_text
from dashboard.timeutil import day_label, day_range_label, local_today
from models import (
    CATEGORIES,
    OUTREACH_METHODS,
    CheckIn,
    ContactEntry,
    Flag,
    MemberProfile,
    StepProgress,
    User,
    WeeklyReview,
)

PURPOSE = "sponsorship"
SCREEN = "Weekly review"
CONTEXT_WEEKS = 4
MAX_REVIEW_NOTE = 2000
ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(iso_week: str) -> date:
    """The Monday of an ISO week written like 2026-W48; ValueError when it is not one."""
    match = ISO_WEEK.match(iso_week or "")
    if not match:
        raise ValueError(f"{iso_week!r} is not a week like 2026-W48")
    return date.fromisocalendar(int(match[1]), int(match[2]), 1)


def recent_weeks(today: date, count: int = 12) -> list[str]:
    """The current ISO week first, then the ones before it."""
    return [iso_week_of(today - timedelta(weeks=n)) for n in range(count)]


def last_complete_week(today: date) -> str:
    """The week a review is about by default: the last one that is over."""
    return iso_week_of(today - timedelta(weeks=1))


def week_label(iso_week: str, *, today: date) -> str:
    """A week in words, for the reader whose day is `today`: "This week so far · 30 Nov to
    6 Dec", "Last week · 23 to 29 Nov", "16 to 22 Nov", "28 Dec 2026 to 3 Jan 2027"."""
    monday = week_monday(iso_week)
    days = day_range_label(monday, monday + timedelta(days=6), today=today)
    when = {iso_week_of(today): "This week so far",
            last_complete_week(today): "Last week"}.get(iso_week)
    return f"{when} \u00b7 {days}" if when else days


@dataclass(frozen=True)
class DayPoint:
    local_date: date
    mood: int
    craving: int
    hard_day: bool | None  # None unless hard days and flags are shared
    used_substances: bool


@dataclass
class SponseeWeek:
    member_id: int
    display_name: str
    categories: frozenset[str]
    week_start: date
    # checkins
    checkins_made: int | None = None
    days_in_week: int = 7
    mean_mood: float | None = None
    highest_craving: int | None = None
    meetings: int | None = None
    use_days: list[date] | None = None
    silent: bool | None = None  # no check-in for the silence rule's days, by the week's end
    milestones: list[str] | None = None
    chart: list[DayPoint] | None = None
    # flags (hard-day reasons only with notes too: dashboard/categories.py)
    hard_days: list[tuple[date, str | None]] | None = None
    open_flags: list[FlagView] | None = None  # those that need the sponsor's action
    risk: str | None = None  # the sponsee's: flags going on, whoever acted on them
    # steps
    step_changes: list[str] | None = None
    current_step: int | None = None  # the lowest step not completed; 12 once all are
    # the sponsor's own record
    review_note: str | None = None
    reviewed_at: datetime | None = None
    talking_points: list[str] = field(default_factory=list)

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None


def _weekday(day: date) -> str:
    return f"{day:%A}"


def talking_points(card: SponseeWeek) -> list[str]:
    """Things worth raising this week, drawn from what the sponsee shares."""
    points = []
    if card.use_days:
        days = ", ".join(_weekday(d) for d in card.use_days)
        points.append(f"Reported use on {days}: ask how they are and what they need now.")
    if card.open_flags:
        high = [f for f in card.open_flags if f.severity == "high"]
        if high:
            points.append(f"{len(high)} high flag{'s' if len(high) > 1 else ''} still open: "
                          "reach out before the week is over.")
    if card.hard_days:
        for day, reason in card.hard_days:
            points.append(f"{_weekday(day)} was a hard day" + (f": \u201c{reason}\u201d." if reason
                                                                else "."))
    if card.highest_craving is not None and card.highest_craving >= 7:
        points.append(f"Cravings reached {card.highest_craving}/10: talk through what helped.")
    if card.mean_mood is not None and card.mean_mood <= 2.5:
        points.append(f"Mood averaged {card.mean_mood:.1f}/5: check in on how they are sleeping "
                      "and who they talk to.")
    if card.checkins_made is not None and card.checkins_made <= card.days_in_week // 2:
        points.append(f"Checked in {card.checkins_made} of {card.days_in_week} days: ask what "
                      "gets in the way.")
    if card.meetings == 0:
        points.append("No meetings this week.")
    for change in card.step_changes or []:
        points.append(f"{change}: ask what they learned.")
    for milestone in card.milestones or []:
        points.append(f"Celebrate: {milestone}.")
    return points


def need_order(card: SponseeWeek) -> tuple:
    """Most in need first: open high flags, then hard days, days with use and silence, then
    the other flags open for the sponsor, then the sponsees not yet reviewed. A category
    not shared counts as nothing to raise."""
    open_flags = card.open_flags or []
    high = sum(f.severity == "high" for f in open_flags)
    return (-high, -len(card.hard_days or []), -len(card.use_days or []),
            -bool(card.silent), -len(open_flags), card.reviewed, card.display_name.casefold(),
            card.member_id)


def triage_facts(card: SponseeWeek) -> list[str]:
    """The sponsee's week in a few words, for the triage list: reviewed or not, check-ins,
    hard days, days with use, the sponsor's open flags, the current step. A category the
    sponsee keeps to themselves is one "... not shared", whatever it holds."""
    facts = ["Reviewed" if card.reviewed else "Not reviewed"]
    if card.checkins_made is None or card.use_days is None:
        facts.append(f"{CATEGORY_LABELS['checkins']} not shared")
    else:
        facts += [f"{card.checkins_made} of {card.days_in_week} check-ins",
                  plural(len(card.use_days), "day with use", "days with use")
                  if card.use_days else "no use"]
    if card.hard_days is None or card.open_flags is None:
        facts.append(f"{CATEGORY_LABELS['flags']} not shared")
    else:
        facts += [plural(len(card.hard_days), "hard day") if card.hard_days else "no hard day",
                  plural(len(card.open_flags), "flag for you", "flags for you")
                  if card.open_flags else "no flag for you"]
    facts.append(f"{CATEGORY_LABELS['steps']} not shared" if card.current_step is None
                 else f"step {card.current_step}")
    return facts


def weekly_review_for(
    *, session: Session, actor: Actor, iso_week: str, now: datetime,
) -> list[SponseeWeek]:
    """A card per sponsee sharing with the actor, for the week, most in need first
    (`need_order`). Each sponsee shown is audited, once per visit."""
    monday = _checked_week(actor, iso_week)
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=PURPOSE)
    if not shared:
        return []
    cards = _cards(session, actor=actor, shared=shared, monday=monday, iso_week=iso_week,
                   now=now)
    audit_disclosures(session, actor=actor, granted_by_member=shared, purpose=PURPOSE,
                      screen=SCREEN, at=now)
    return sorted(cards, key=need_order)


def sponsee_week_for(
    *, session: Session, actor: Actor, member_id: int, iso_week: str, now: datetime,
    action: str = "view",
) -> SponseeWeek:
    """One sponsee's card for the week, disclosed through the policy and audited as
    `action` (a download of its PDF is "export"); NotFound when they do not share with
    the actor."""
    monday = _checked_week(actor, iso_week)
    granted = disclose(session, actor=actor, member_id=member_id, wanted=CATEGORIES,
                       purpose=PURPOSE, screen=SCREEN, action=action, at=now)
    return _cards(session, actor=actor, shared={member_id: granted}, monday=monday,
                  iso_week=iso_week, now=now)[0]


def _checked_week(actor: Actor, iso_week: str) -> date:
    """The Monday of the week, for a sponsor; PermissionDenied or ValidationError."""
    if not actor.has_role("sponsor"):
        raise PermissionDenied()
    try:
        return week_monday(iso_week)
    except ValueError:
        raise ValidationError({"week": "Choose a week from the list."}) from None


def _cards(session: Session, *, actor: Actor, shared: dict[int, frozenset[str]], monday: date,
           iso_week: str, now: datetime) -> list[SponseeWeek]:
    """The cards of the sponsees in `shared` (id: categories granted), holding only those
    categories, read with a constant number of statements whatever their number."""
    sunday = monday + timedelta(days=6)
    ids = sorted(shared)
    with_flags = [m for m in ids if "flags" in shared[m]]
    if with_flags:
        sweep(session, now=now, member_ids=with_flags)

    people = {
        row.id: row for row in session.execute(
            select(User.id, User.display_name, User.timezone, MemberProfile.sobriety_date)
            .outerjoin(MemberProfile, MemberProfile.user_id == User.id)
            .where(User.id.in_(ids))
        )
    }
    context_start = monday - timedelta(weeks=CONTEXT_WEEKS)
    checkins: dict[int, list] = defaultdict(list)
    for row in session.execute(
        select(CheckIn.member_id, CheckIn.local_date, CheckIn.mood, CheckIn.craving,
               CheckIn.meetings, CheckIn.used_substances, CheckIn.hard_day,
               CheckIn.hard_day_reason)
        .where(CheckIn.member_id.in_(ids), CheckIn.local_date >= context_start,
               CheckIn.local_date <= sunday)
        .order_by(CheckIn.member_id, CheckIn.local_date)
    ):
        checkins[row.member_id].append(row)
    step_rows: dict[int, list] = defaultdict(list)
    current_steps: dict[int, int] = {}
    for row in session.execute(
        select(StepProgress.member_id, StepProgress.step, StepProgress.status,
               StepProgress.started_on, StepProgress.completed_on)
        .where(StepProgress.member_id.in_(ids))
        .order_by(StepProgress.member_id, StepProgress.step)
    ):
        # The current step is the lowest not completed; 12 once all are (it is lifelong).
        if row.status != "completed" and row.member_id not in current_steps:
            current_steps[row.member_id] = row.step
        if (row.started_on is not None and monday <= row.started_on <= sunday) or (
                row.completed_on is not None and monday <= row.completed_on <= sunday):
            step_rows[row.member_id].append(row)
    open_flags: dict[int, list[Flag]] = defaultdict(list)
    risks: dict[int, str] = {}
    if with_flags:
        since, open_for_sponsor = needs_action_condition(viewer_id=actor.id, purpose=PURPOSE)
        for flag in session.scalars(
            select(Flag).join(since, since.c.member_id == Flag.member_id)
            .where(Flag.member_id.in_(with_flags), open_for_sponsor)
            .order_by(Flag.raised_on, Flag.id)
        ):
            open_flags[flag.member_id].append(flag)
        risks = member_risks(session, member_ids=with_flags, now=now)
    reviews = {
        r.member_id: r for r in session.scalars(
            select(WeeklyReview).where(WeeklyReview.reviewer_id == actor.id,
                                       WeeklyReview.member_id.in_(ids),
                                       WeeklyReview.iso_week == iso_week)
        )
    }
    schedule = settings().milestones
    thresholds = settings().flag_thresholds

    cards = []
    for member_id in ids:
        granted = shared[member_id]
        person = people[member_id]
        today = local_today(person.timezone, now)
        card = SponseeWeek(member_id=member_id, display_name=person.display_name,
                           categories=granted, week_start=monday,
                           days_in_week=max(0, min(7, (today - monday).days + 1)))
        week_rows = [c for c in checkins[member_id] if c.local_date >= monday]
        if "checkins" in granted:
            card.checkins_made = len(week_rows)
            card.mean_mood = (sum(c.mood for c in week_rows) / len(week_rows)
                              if week_rows else None)
            card.highest_craving = max((c.craving for c in week_rows), default=None)
            card.meetings = sum(c.meetings for c in week_rows)
            card.use_days = [c.local_date for c in week_rows if c.used_substances]
            # Silent by the end of the week (or today, in the week going on); the context
            # weeks before it are read anyway, so a silence from before the week counts.
            end = min(sunday, today)
            made = [c.local_date for c in checkins[member_id] if c.local_date <= end]
            card.silent = not made or is_silent(made[-1], end, thresholds)
            card.chart = [DayPoint(c.local_date, c.mood, c.craving,
                                   shown("hard_day", granted, c.hard_day), c.used_substances)
                          for c in checkins[member_id]]
            if person.sobriety_date is not None:
                card.milestones = [
                    f"reaches {m.label} on "
                    f"{day_label(m.on, today=today, weekday=True, relative=False)}"
                    for m in milestones_between(person.sobriety_date, monday,
                                                sunday + timedelta(days=7), schedule)
                ]
        if "flags" in granted:
            card.hard_days = [(c.local_date, shown("hard_day_reason", granted, c.hard_day_reason))
                              for c in week_rows if c.hard_day]
            card.open_flags = [
                FlagView(id=f.id, rule_id=f.rule_id, severity=f.severity, raised_on=f.raised_on,
                         reason=f.reason,
                         quoted_text=shown("flag_quote", granted, f.quoted_text),
                         status="open", acknowledged_at=None, outreach_method=None,
                         resolved_at=None)
                for f in open_flags[member_id]
            ]
            card.risk = risks.get(member_id, "none")
        if "steps" in granted:
            changes = []
            for s in step_rows[member_id]:
                if s.completed_on and monday <= s.completed_on <= sunday:
                    changes.append(f"Completed step {s.step} ({STEP_LABELS[s.step]})")
                elif s.started_on and monday <= s.started_on <= sunday:
                    changes.append(f"Started step {s.step} ({STEP_LABELS[s.step]})")
            card.step_changes = changes
            card.current_step = current_steps.get(member_id, 12)
        review = reviews.get(member_id)
        if review is not None:
            card.review_note, card.reviewed_at = review.note, review.created_at
        card.talking_points = talking_points(card)
        cards.append(card)

    return cards


def mark_week_reviewed(
    *, session: Session, actor: Actor, member_id: int, iso_week: str, note: str,
    method: str | None = "met", now: datetime,
) -> None:
    """Record the sponsor's review of a sponsee's week, with a private note (editable),
    and the contact it was in the sponsor's contact log: one entry per week reviewed."""
    if not actor.has_role("sponsor"):
        raise PermissionDenied()
    try:
        week_monday(iso_week)
    except ValueError:
        raise ValidationError({"week": "Choose a week from the list."}) from None
    note = clean_text(note, multiline=True)
    if len(note) > MAX_REVIEW_NOTE:
        raise ValidationError({"note": f"Keep the note to {MAX_REVIEW_NOTE} characters."})
    if method not in OUTREACH_METHODS:
        raise ValidationError({"method": "Choose how you went over the week: called, texted, "
                                         "in person, at a meeting or other."})
    # Only a sponsor the member shares with (for any category) may review them.
    categories = shared_categories_by_member(session, viewer_id=actor.id, at=now,
                                             purpose=PURPOSE).get(member_id)
    disclose(session, actor=actor, member_id=member_id, wanted=categories or {"checkins"},
             purpose=PURPOSE, screen=SCREEN, action="week_reviewed", at=now)
    review = session.scalar(
        select(WeeklyReview).where(WeeklyReview.reviewer_id == actor.id,
                                   WeeklyReview.member_id == member_id,
                                   WeeklyReview.iso_week == iso_week)
    )
    if review is None:
        session.add(WeeklyReview(reviewer_id=actor.id, member_id=member_id, iso_week=iso_week,
                                 note=note or None, created_at=now))
    else:
        review.note = note or None
    contact = session.scalar(
        select(ContactEntry).where(ContactEntry.viewer_id == actor.id,
                                   ContactEntry.member_id == member_id,
                                   ContactEntry.kind == "review",
                                   ContactEntry.iso_week == iso_week)
    )
    if contact is None:
        session.add(ContactEntry(viewer_id=actor.id, member_id=member_id,
                                 contacted_on=local_today(actor.timezone, now), method=method,
                                 note=note or None, kind="review", iso_week=iso_week,
                                 created_at=now))
    else:
        contact.method, contact.note = method, note or None

