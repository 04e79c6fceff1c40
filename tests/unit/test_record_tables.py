"""The rows of the record's tables: a column only for a reader sharing its categories."""

from datetime import date

from dashboard.categories import FIELD_CATEGORIES
from dashboard.member_views import CheckInView, StepView
from dashboard.record_tables import (
    CHECKIN_COLUMNS,
    STEP_COLUMNS,
    checkin_rows,
    step_rows,
)

CHECKIN = CheckInView(
    local_date=date(2026, 11, 26), mood=2, craving=7, used_substances=True, meetings=1,
    actions=("called_support",), sleep_hours=6.0, hard_day=True, is_late=False,
    gratitude="thanks", journal="shared words", hard_day_reason="why", journal_shared=True)
STEP = StepView(step=1, status="in_progress", started_on=date(2026, 11, 1), completed_on=None,
                notes="my list")


def test_every_column_is_in_the_category_map():
    for _, field, _ in CHECKIN_COLUMNS + STEP_COLUMNS:
        assert field is None or field in FIELD_CATEGORIES


def test_check_ins_alone_show_no_hard_day_and_no_words():
    [row] = checkin_rows([CHECKIN], categories={"checkins"})
    assert list(row) == ["Date", "Mood", "Craving", "Used", "Meetings", "Actions", "Sleep (h)",
                         "Late"]


def test_the_words_need_notes_and_the_hard_day_reason_flags_too():
    [notes] = checkin_rows([CHECKIN], categories={"checkins", "notes"})
    assert (notes["Gratitude"], notes["Journal"]) == ("thanks", "shared words")
    assert "Hard day" not in notes and "Hard-day reason" not in notes
    [both] = checkin_rows([CHECKIN], categories={"checkins", "flags", "notes"})
    assert (both["Hard day"], both["Hard-day reason"]) == ("Yes", "why")


def test_the_member_reads_every_column_of_their_own():
    [row] = checkin_rows([CHECKIN])
    assert [label for label, _, _ in CHECKIN_COLUMNS] == list(row)


def test_step_notes_need_notes():
    assert "Notes" not in step_rows([STEP], categories={"steps"})[0]
    assert step_rows([STEP], categories={"steps", "notes"})[0]["Notes"] == "my list"
