"""Every CSV the app writes goes through one cell rule (dashboard/csv_cells.py)."""

import csv
import io
from datetime import date, datetime, timezone

import pytest

from dashboard.csv_cells import csv_text, safe_cell


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)",
                                   "\tcmd", "\rcmd"])
def test_a_cell_a_spreadsheet_would_run_is_shown_as_text(typed):
    assert safe_cell(typed) == "'" + typed


def test_other_values_are_kept_and_times_are_iso_8601():
    assert [safe_cell(v) for v in ("Ana", 3, None, date(2026, 2, 28),
                                   datetime(2026, 2, 28, 9, 5, tzinfo=timezone.utc))] == [
        "Ana", 3, "", "2026-02-28", "2026-02-28T09:05:00+00:00"]


def test_header_and_rows_round_trip_with_commas_quotes_and_line_breaks():
    text = csv_text(["name", "note"], [["Ana, B.", 'said "hi"\nthen left'], ["=1+1", None]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "note"], ["Ana, B.", 'said "hi"\nthen left'], ["'=1+1", ""]]
