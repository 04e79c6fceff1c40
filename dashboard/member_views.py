"""What a read of member data gives a screen: plain, frozen views of one member's record.

A category the member does not share with the viewer is None, never an empty list, so a
screen says "not shared" instead of showing nothing as if it were data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dashboard.progress import sobriety_days


@dataclass(frozen=True)
class CheckInView:
    local_date: date
    mood: int
    craving: int
    used_substances: bool
    meetings: int
    actions: tuple[str, ...]
    sleep_hours: float | None
    # Flags: None unless hard days and flags are shared (dashboard/categories.py).
    hard_day: bool | None
    is_late: bool
    # The member's own words: None unless notes are shared (the hard-day reason: and flags).
    gratitude: str | None
    # For a viewer: only an entry the member marked shared; the member reads all of theirs.
    journal: str | None
    hard_day_reason: str | None
    # Whether the member marked the journal entry shared (None when notes are not shared).
    journal_shared: bool | None = None


@dataclass(frozen=True)
class StepView:
    step: int
    status: str
    started_on: date | None
    completed_on: date | None
    notes: str | None


@dataclass(frozen=True)
class FlagView:
    id: int
    rule_id: str
    severity: str
    raised_on: date
    reason: str
    quoted_text: str | None
    # The viewer's own follow-up: "open" until they acknowledge it ("open" for the member).
    status: str
    acknowledged_at: datetime | None
    outreach_method: str | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class SobrietyDateChangeView:
    previous_date: date
    new_date: date
    changed_at: datetime


@dataclass(frozen=True)
class MemberRecord:
    member_id: int
    display_name: str
    timezone: str
    categories: frozenset[str]
    today: date
    sobriety_date: date | None
    checkins: list[CheckInView] | None
    steps: list[StepView] | None
    flags: list[FlagView] | None
    # For a viewer: when the consents that let them see this end (None for the member).
    shared_until: datetime | None = None
    days: int = 30  # the range of check-ins read, ending today
    # The member's earlier sobriety dates, newest change first: for the member alone (a
    # reset tells of a relapse, which is theirs to tell).
    sobriety_history: list[SobrietyDateChangeView] | None = None
    # The member's risk (flags going on, dashboard/flags.py); None unless flags are shared.
    risk: str | None = None

    @property
    def days_sober(self) -> int | None:
        if self.sobriety_date is None:
            return None
        return sobriety_days(self.sobriety_date, self.today)

    @property
    def current_step(self) -> int | None:
        return current_step_of(self.steps)


def current_step_of(steps: list[StepView] | None) -> int | None:
    """The lowest step not completed; 12 once every step is done; None when not shared."""
    if steps is None:
        return None
    open_steps = [s.step for s in steps if s.status != "completed"]
    return min(open_steps) if open_steps else 12
