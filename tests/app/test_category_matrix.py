"""Every subset of the four categories, shared with a counselor and with a sponsor: no
screen shows a value of a category outside the subset (dashboard/categories.py).

For each of the 15 non-empty subsets, the real pages run (Client detail, Sponsee detail,
Weekly review) and everything they put on screen is read: text, captions (the charts'
summaries among them), metrics, dataframes with their column names, and the Plotly
figures' JSON (markers, legend names, hover text). The caseload CSV is read too. A
member with a hard day with a reason, reported use, gratitude, a shared and a private
journal entry, step notes and an open flag is the one looked at.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard import clock
from dashboard.caseload import caseload_for
from dashboard.caseload_table import TABLE_COLUMNS, export_caseload_csv
from dashboard.labels import CATEGORY_LABELS, NOT_SHARED, STEP_LABELS
from dashboard.timeutil import local_today
from dashboard.web.member_record import RECORD_TABLES, detail_query
from dashboard.weekly_review import iso_week_of
from models import Flag, StepProgress
from tests.app.conftest import by_label, no_exception, shown
from tests.factories import add_checkin, grant, make_user

CATEGORIES = ("checkins", "steps", "flags", "notes")
SUBSETS = [frozenset(c) for n in range(1, 5) for c in itertools.combinations(CATEGORIES, n)]

MEMBER = "Zoe Quill"
# The member's own words, each a marker of where it came from.
REASON = "REASONWORDS the landlord called"
GRATITUDE = "GRATITUDEWORDS my sister"
SHARED_JOURNAL = "SHAREDJOURNAL talked it through"
PRIVATE_JOURNAL = "PRIVATEJOURNAL for nobody"
STEP_NOTE = "STEPNOTEWORDS wrote my list"
FLAG_REASON = "Marked today a hard day"

# Words of a screen that name a category or a section rather than show its data.
NEUTRAL = (CATEGORY_LABELS["flags"], "\nHard days\n")  # the week's section heading
HARD_DAY = re.compile(r"hard[ -]day", re.IGNORECASE)
# The check-in table's columns, and what only check-ins draw.
CHECKIN_MARKERS = ("mood averaged", "Sleep (h)", "Reported use", "Days with use 1")
STEP_MARKERS = (STEP_LABELS[1], STEP_LABELS[2])


def arrange(session, subset):
    now = clock.now()
    today = now.date()
    member = make_user(session, "zoe", "member", name=MEMBER,
                       sobriety_date=today - timedelta(days=40))
    counselor = make_user(session, "carla", "counselor", name="Carla Counselor")
    sponsor = make_user(session, "sam", "member", "sponsor", name="Sam Sponsor")
    checkin = add_checkin(session, member, today, mood=2, craving=9, used_substances=True,
                          meetings=3, sleep_hours=6.5, step_work=True, hard_day=True,
                          hard_day_reason=REASON, gratitude=GRATITUDE,
                          journal=SHARED_JOURNAL, journal_shared=True)
    add_checkin(session, member, today - timedelta(days=1), mood=4, craving=1,
                journal=PRIVATE_JOURNAL)
    steps = {s.step: s for s in session.scalars(
        select(StepProgress).where(StepProgress.member_id == member.id))}
    steps[1].status, steps[1].started_on, steps[1].completed_on = (
        "completed", today - timedelta(days=30), today)
    steps[1].notes = STEP_NOTE
    steps[2].status, steps[2].started_on = "in_progress", today
    session.add(Flag(member_id=member.id, rule_id="hard_day", severity="medium",
                     raised_on=today, episode_key="hard", reason=FLAG_REASON,
                     quoted_text=REASON, checkin_id=checkin.id, created_at=now))
    window = {"starts_at": now - timedelta(days=10), "expires_at": now + timedelta(days=100)}
    grant(session, member, counselor, *subset, purpose="counseling", **window)
    grant(session, member, sponsor, *subset, purpose="sponsorship", **window)
    session.flush()
    return member, counselor, sponsor


def screen_text(at) -> str:
    """All that a page puts on screen, as text."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "text",
                                  "info", "warning", "error", "success")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [" ".join(map(str, s.options)) for s in at.selectbox]
    for frame in at.dataframe:
        value = frame.value
        parts.append(" ".join(map(str, value.columns)))
        parts.append(value.to_csv(index=False))
    parts += [chart.proto.spec for chart in at.get("plotly_chart")]
    return shown("\n".join(str(p) for p in parts))


def run_screen(new_app, viewer, screen: str, member_id: int) -> str:
    at = no_exception(new_app(viewer).run())
    at.switch_page(f"../pages/{screen}")
    if screen != "weekly_review.py":
        # Opened on the member, as a list screen's link opens a detail screen.
        noun = "client" if screen == "client_detail.py" else "sponsee"
        at.query_params.update(detail_query(noun, member_id))
        # What waits to be asked for, asked for: the Caseload's charts, a record's tables.
        for key in ("caseload_charts", *RECORD_TABLES):
            at.session_state[key] = True
        return screen_text(no_exception(at.run()))
    # The week of the check-ins arranged (the screen opens on the last complete one).
    no_exception(at.run())
    this_week = iso_week_of(local_today(viewer.timezone, clock.now()))
    return screen_text(no_exception(by_label(at.selectbox, "Week").set_value(this_week).run()))


def check_screen(text: str, subset: frozenset[str], *, detail: bool) -> None:
    """What the screen shows of each category, whether shared or not."""
    assert MEMBER in text
    # Never: a journal entry the member kept private.
    assert PRIVATE_JOURNAL not in text
    # Flags: hard days, as a column, a marker, a count, a sentence, a flag.
    neutral = text
    for words in NEUTRAL:
        neutral = neutral.replace(words, "")
    assert bool(HARD_DAY.search(neutral)) == ("flags" in subset), HARD_DAY.findall(neutral)
    assert (FLAG_REASON in text) == ("flags" in subset)
    # Check-ins.
    for marker in CHECKIN_MARKERS:
        if "checkins" not in subset:
            assert marker not in text, marker
    assert ("mood averaged" in text) == ("checkins" in subset)
    assert ('"name":"Mood"' in text) == ("checkins" in subset)
    # Steps.
    for marker in STEP_MARKERS:
        if "steps" not in subset:
            assert marker not in text, marker
    if detail:
        assert (STEP_LABELS[2] in text) == ("steps" in subset)
    # Notes: each of the member's words needs notes and the categories of what it is about.
    assert (REASON in text) == ({"flags", "notes"} <= subset)
    assert (STEP_NOTE in text) == (detail and {"steps", "notes"} <= subset)
    assert (GRATITUDE in text) == (detail and {"checkins", "notes"} <= subset)
    assert (SHARED_JOURNAL in text) == (detail and {"checkins", "notes"} <= subset)


@pytest.mark.parametrize("subset", SUBSETS, ids=["+".join(sorted(s)) for s in SUBSETS])
def test_no_screen_shows_a_category_that_is_not_shared(new_app, app_db, subset):
    with app_db.begin() as session:
        member, counselor, sponsor = arrange(session, subset)

    for viewer, screen in ((counselor, "client_detail.py"), (sponsor, "sponsee_detail.py")):
        check_screen(run_screen(new_app, viewer, screen, member.id), subset, detail=True)
    check_screen(run_screen(new_app, sponsor, "weekly_review.py", member.id), subset,
                 detail=False)

    with app_db.begin() as session:
        now = clock.now()
        rows = caseload_for(session=session, actor=counselor, now=now)
        exported = export_caseload_csv(session=session, actor=counselor, rows=rows, now=now)
    [header, row] = list(csv.reader(io.StringIO(exported)))
    cells = dict(zip(header, row, strict=True))
    for column in TABLE_COLUMNS:
        if column.category is not None:
            assert (cells[column.label] == NOT_SHARED) == (column.category not in subset), (
                column.label, cells)
    assert PRIVATE_JOURNAL not in exported and REASON not in exported
