"""The rows of the record's tables: a column only for a reader sharing its categories."""

from dataclasses import replace
from datetime import date

from dashboard.categories import FIELD_CATEGORIES
from dashboard.member_views import CheckInView, StepView
from dashboard.record_tables import (
    CHECKIN_COLUMNS,
    FIGURE_SPACE,
    STEP_COLUMNS,
    WORD_COLUMNS,
    checkin_rows,
    checkin_words,
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


QUIET_DAY = CheckInView(
    local_date=date(2026, 11, 27), mood=4, craving=0, used_substances=False, meetings=0,
    actions=(), sleep_hours=None, hard_day=False, is_late=True, gratitude=None, journal=None,
    hard_day_reason=None, journal_shared=False)


def test_every_cell_reads_as_words_never_empty_or_a_code():
    """A screen reader reads a table cell's value: a day without actions, sleep or a hard
    day says so in words instead of leaving a blank."""
    [row] = checkin_rows([QUIET_DAY])
    assert (row["Actions"], row["Sleep (h)"], row["Hard day"], row["Late"]) == (
        "None", "Not recorded", "No", "Late")
    [row] = checkin_rows([CHECKIN])
    assert (row["Mood"], row["Used"], row["Actions"], row["Hard day"], row["Late"]) == (
        "2 Low", "Yes", "Called", "Yes", "On time")
    for label, value in row.items():
        if isinstance(value, str):
            assert value.strip() and "_" not in value, (label, value)


def test_hours_of_sleep_sort_as_numbers_when_sorted_as_text():
    days = [replace(QUIET_DAY, sleep_hours=hours) for hours in (10.0, 7.5, 8.0, 0.0)]
    cells = [row["Sleep (h)"] for row in checkin_rows(days)]
    assert [c.strip(FIGURE_SPACE) for c in cells] == ["10.0", "7.5", "8.0", "0.0"]
    # The browser's collation puts a space before a digit, as ASCII does.
    assert sorted(cells, key=lambda c: c.replace(FIGURE_SPACE, " ")) == [
        cells[3], cells[1], cells[2], cells[0]]


def test_the_words_of_each_day_in_full_only_days_that_have_some():
    assert checkin_words([QUIET_DAY]) == []
    assert checkin_words([CHECKIN, QUIET_DAY]) == [
        (date(2026, 11, 26), [("Hard-day reason", "why"), ("Gratitude", "thanks"),
                              ("Journal", "shared words")])]
    # A reader who does not share flags reads no hard-day reason, as in the table.
    assert checkin_words([CHECKIN], categories={"checkins", "notes"}) == [
        (date(2026, 11, 26), [("Gratitude", "thanks"), ("Journal", "shared words")])]
    assert checkin_words([CHECKIN], categories={"checkins"}) == []
    assert [label for label, _ in checkin_words([CHECKIN])[0][1]] == list(WORD_COLUMNS)
