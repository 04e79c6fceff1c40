"""The Caseload screen's table, its CSV export and the metrics strip above it: the words
and numbers shown for the rows that caseload.py reads (pure, but for the export's audit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.caseload import (
    CASELOAD_SCREEN,
    PURPOSE,
    WEEK_DAYS,
    CaseloadRow,
    require_counselor,
    restricted_to,
)
from dashboard.caseload_charts import RISK_BADGE_COLORS, RISK_LABELS
from dashboard.categories import category_of
from dashboard.config import settings
from dashboard.csv_cells import csv_text
from dashboard.labels import NOT_SHARED, SEVERITY_LABELS, STEP_LABELS
from dashboard.policy import audit_disclosures, shared_categories_by_member
from dashboard.timeutil import day_label


@dataclass(frozen=True)
class TableColumn:
    key: str
    label: str
    # The consent category it shows (dashboard/categories.py, by key); None for the name.
    category: str | None
    help: str


TABLE_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("client", "Client", None, "Select a row to open the client's detail (from "
                "the keyboard: \"Open a client\", above the table)."),
    TableColumn("risk", "Risk", category_of("risk"),
                "Describes the client: the highest severity among their flags still going "
                "on (a silence flag until the next check-in, the others for 7 days), "
                "whoever has acknowledged them."),
    TableColumn("open_flags", "Needs my action", category_of("open_flags"),
                "Describes your queue: the client's flags you have not acknowledged yet "
                "(work them on the Alerts page). Nobody else's follow-up changes it."),
    TableColumn("days_silent", "Days silent", category_of("days_silent"),
                "Days since the last check-in, in the client's own time zone; \"never\" "
                "when they have not checked in yet."),
    TableColumn("adherence", "Check-ins 7d", category_of("adherence"),
                "Days with a check-in among the last 7 (today counts once the client has "
                "checked in). Empty when check-ins are not shared."),
    TableColumn("mood_craving", "Mood / craving", category_of("mood_craving"),
                "Mean mood (1 to 5) / highest craving (0 to 10) over the same 7 days; "
                "\"none\" without a check-in in them."),
    TableColumn("days_sober", "Days sober", category_of("days_sober"),
                "Days since the sobriety date."),
    TableColumn("step", "Step", category_of("step"),
                "The lowest of the 12 steps not yet completed."),
    TableColumn("last_contact", "Last contact", category_of("last_contact"),
                "The date of your own last entry in the client's contact log (an "
                "acknowledged flag writes one); \"none\" before the first."),
)
COLUMN_BY_KEY = {c.key: c for c in TABLE_COLUMNS}
NEVER = "never"
NONE = "none"


def _text(row: CaseloadRow, key: str, viewer_timezone: str, today: date | None = None,
          day_labels: dict[date, str] | None = None) -> str:
    """A cell as words, as it reads on screen when given the viewer's `today` ("yesterday"),
    as it reads in an export without ("Tue 1 Dec 2026": a file is read on other days).
    `day_labels`: the words of each day already written, kept for the next rows."""
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
            if day_labels is None:
                return day_label(row.last_contact, today=today, weekday=True, short=True)
            words = day_labels.get(row.last_contact)
            if words is None:
                words = day_labels[row.last_contact] = day_label(
                    row.last_contact, today=today, weekday=True, short=True)
            return words
    raise KeyError(key)


FIGURE_SPACE = "\u2007"  # as wide as a digit
# Widths that numbers are padded to on screen, so that a click on a column header (which
# sorts text as text) still sorts them as numbers; words sort after every number.
_PAD = {"days_silent": 5, "days_sober": 6, "step": 2, "open_flags": 4}


# The words of the Risk column's coloured labels, each with its colour. A cell is read
# out as its value (a screen reader reads "Not shared", never "not_shared"), so the value
# is the word itself, and the table's options are these words.
RISK_CELL_COLORS = {RISK_LABELS[level]: color for level, color in RISK_BADGE_COLORS.items()}


def _risk_cell(row: CaseloadRow) -> list[str]:
    """The Risk cell: a list of one word, for a coloured label ("High", "Not shared")."""
    return [RISK_LABELS[row.risk or "not_shared"]]


def screen_table(rows: Sequence[CaseloadRow], *, viewer_timezone: str, today: date,
                 columns: Sequence[str] | None = None) -> dict[str, list]:
    """Column label -> cell values, for the page's dataframe.

    Risk is a word of RISK_CELL_COLORS (a list of one, for a coloured label: "High",
    "Not shared"), adherence the number of days (None, an empty bar, when not shared),
    and the other cells are the words of the CSV, numbers padded as above.
    """
    # Column by column, each day written once: thousands of rows, a few hundred days.
    day_labels: dict[date, str] = {}
    table: dict[str, list] = {}
    for key in columns or COLUMN_BY_KEY:
        if key == "risk":
            cells: list = [_risk_cell(row) for row in rows]
        elif key == "adherence":
            cells = [row.checkins_7d for row in rows]
        else:
            cells = [_text(row, key, viewer_timezone, today, day_labels) for row in rows]
            width = _PAD.get(key)
            if width:
                cells = [text.rjust(width, FIGURE_SPACE) if text.isdigit() else text
                         for text in cells]
        table[COLUMN_BY_KEY[key].label] = cells
    return table


def caseload_csv(rows: Sequence[CaseloadRow], *, viewer_timezone: str,
                 columns: Sequence[str] | None = None) -> str:
    """The table as shown, as CSV: the same rows, columns and words."""
    keys = list(columns or COLUMN_BY_KEY)
    return csv_text([COLUMN_BY_KEY[k].label for k in keys],
                    ([_text(row, k, viewer_timezone) for k in keys] for row in rows))


def export_caseload_csv(*, session: Session, actor: Actor, rows: Sequence[CaseloadRow],
                        columns: Sequence[str] | None = None, now: datetime
                        ) -> str:
    """The CSV of the rows and columns shown, audited as an export of each client in it.

    Consent is asked again: a client who stopped sharing since the table was read is left
    out, and a category no longer shared is blanked.
    """
    require_counselor(actor)
    keys = list(columns or COLUMN_BY_KEY)
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=PURPOSE)
    exported = [restricted_to(r, shared[r.member_id]) for r in rows if r.member_id in shared]
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
