"""Plain rows for display tables (pages turn them into dataframes).

A column is there only when the reader shares every category its field needs
(dashboard/categories.py); the member reading their own record shares them all.
Every cell the rows make reads as words, to a screen reader as on screen ("No", "None",
"Not recorded"), never as an empty cell or a code; only a free text left empty stays empty.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from dashboard.categories import ALL_CATEGORIES, visible
from dashboard.labels import MOOD_LABELS, STEP_LABELS, STEP_STATUS_LABELS
from dashboard.member_views import CheckInView, StepView

# Short enough that a day's actions fit a table column without sideways scrolling.
ACTION_SHORT = {"prayer_meditation": "Prayer", "called_support": "Called", "read_literature": "Read",
                "step_work": "Steps"}
NO_ACTIONS = "None"
SLEEP_NOT_RECORDED = "Not recorded"
FIGURE_SPACE = "\u2007"  # as wide as a digit
# Hours of sleep as text padded to one width ("\u20077.5", "10.0"), so that a click on the
# column's header, which sorts text as text, still sorts them as numbers.
_SLEEP_WIDTH = 4


def _sleep(hours: float | None) -> str:
    if hours is None:
        return SLEEP_NOT_RECORDED
    return f"{hours:.1f}".rjust(_SLEEP_WIDTH, FIGURE_SPACE)


# (column, field of dashboard/categories.py, cell); a column without a field is the date.
CHECKIN_COLUMNS: tuple[tuple[str, str | None, Callable[[CheckInView], object]], ...] = (
    ("Date", None, lambda c: c.local_date),
    ("Mood", "mood", lambda c: f"{c.mood} {MOOD_LABELS[c.mood]}"),
    ("Craving", "craving", lambda c: c.craving),
    ("Used", "used_substances", lambda c: "Yes" if c.used_substances else "No"),
    ("Meetings", "meetings", lambda c: c.meetings),
    ("Actions", "actions",
     lambda c: ", ".join(ACTION_SHORT[a] for a in c.actions) or NO_ACTIONS),
    ("Sleep (h)", "sleep_hours", lambda c: _sleep(c.sleep_hours)),
    ("Hard day", "hard_day", lambda c: "Yes" if c.hard_day else "No"),
    ("Late", "is_late", lambda c: "Late" if c.is_late else "On time"),
    ("Hard-day reason", "hard_day_reason", lambda c: c.hard_day_reason or ""),
    ("Gratitude", "gratitude", lambda c: c.gratitude or ""),
    # A viewer's record holds only the entries the member shared; the others are empty.
    ("Journal", "journal", lambda c: c.journal or ""),
)

# The columns of the member's own words: long, so a narrow screen reads them in full
# beside the table (checkin_words) rather than cut short in its cells.
WORD_COLUMNS = ("Hard-day reason", "Gratitude", "Journal")

STEP_COLUMNS: tuple[tuple[str, str, Callable[[StepView], object]], ...] = (
    ("Step", "step_status", lambda s: s.step),
    ("About", "step_status", lambda s: STEP_LABELS[s.step]),
    ("Status", "step_status", lambda s: STEP_STATUS_LABELS[s.status]),
    ("Started", "step_dates", lambda s: s.started_on),
    ("Completed", "step_dates", lambda s: s.completed_on),
    ("Notes", "step_notes", lambda s: s.notes or ""),
)


def _columns(columns, categories: Collection[str]):
    return [(label, cell) for label, field, cell in columns
            if field is None or visible(field, categories)]


def checkin_rows(checkins: list[CheckInView], *,
                 categories: Collection[str] = ALL_CATEGORIES) -> list[dict]:
    """A row per check-in, with the columns `categories` show (all: the member's own)."""
    columns = _columns(CHECKIN_COLUMNS, categories)
    return [{label: cell(c) for label, cell in columns} for c in checkins]


def step_rows(steps: list[StepView], *,
              categories: Collection[str] = ALL_CATEGORIES) -> list[dict]:
    """A row per step, with the columns `categories` show (all: the member's own)."""
    columns = _columns(STEP_COLUMNS, categories)
    return [{label: cell(s) for label, cell in columns} for s in steps]


def checkin_words(checkins: list[CheckInView], *,
                  categories: Collection[str] = ALL_CATEGORIES) -> list[tuple[date, list]]:
    """The days that have words of the member's (WORD_COLUMNS the reader shares), each with
    its (column, words) pairs, in the order of `checkins`."""
    columns = [(label, cell) for label, cell in _columns(CHECKIN_COLUMNS, categories)
               if label in WORD_COLUMNS]
    days = []
    for c in checkins:
        words = [(label, text) for label, cell in columns if (text := cell(c))]
        if words:
            days.append((c.local_date, words))
    return days
