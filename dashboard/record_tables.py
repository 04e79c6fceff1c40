"""Plain rows for display tables (pages turn them into dataframes)."""

from __future__ import annotations

from dashboard.labels import MOOD_LABELS, STEP_LABELS, STEP_STATUS_LABELS
from dashboard.member_views import CheckInView, StepView


# Short enough that a day's actions fit a table column without sideways scrolling.
ACTION_SHORT = {"prayer_meditation": "Prayer", "called_support": "Called", "read_literature": "Read",
                "step_work": "Steps"}


def checkin_rows(checkins: list[CheckInView], *, notes_shared: bool) -> list[dict]:
    rows = []
    for c in checkins:
        row = {
            "Date": c.local_date,
            "Mood": f"{c.mood} {MOOD_LABELS[c.mood]}",
            "Craving": c.craving,
            "Used": "Yes" if c.used_substances else "No",
            "Meetings": c.meetings,
            "Actions": ", ".join(ACTION_SHORT[a] for a in c.actions),
            "Sleep (h)": c.sleep_hours,
            "Hard day": "Yes" if c.hard_day else "",
            "Late": "Late" if c.is_late else "",
        }
        if notes_shared:
            row["Hard-day reason"] = c.hard_day_reason or ""
            row["Gratitude"] = c.gratitude or ""
        rows.append(row)
    return rows


def step_rows(steps: list[StepView], *, notes_shared: bool) -> list[dict]:
    rows = []
    for s in steps:
        row = {
            "Step": s.step,
            "About": STEP_LABELS[s.step],
            "Status": STEP_STATUS_LABELS[s.status],
            "Started": s.started_on,
            "Completed": s.completed_on,
        }
        if notes_shared:
            row["Notes"] = s.notes or ""
        rows.append(row)
    return rows
