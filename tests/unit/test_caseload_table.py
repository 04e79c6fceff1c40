"""The Caseload screen's table, its CSV and the metrics strip (dashboard/caseload_table.py)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from dashboard.caseload import CaseloadFilter, filter_caseload, sort_caseload
from dashboard.caseload_table import (
    FIGURE_SPACE,
    RISK_CELL_COLORS,
    TABLE_COLUMNS,
    caseload_csv,
    caseload_metrics,
    high_risk_names,
    screen_table,
    showing_sentence,
)
from tests.unit.caseload_rows import client


def test_not_shared_categories_read_not_shared_never_zero(rows):
    table = screen_table(rows, viewer_timezone="UTC", today=date(2026, 11, 26))
    cy = {label: values[3] for label, values in table.items()}
    assert cy["Client"] == "Cy Chen"
    assert cy["Risk"] == ["Not shared"]
    assert cy["Check-ins 7d"] is None  # an empty bar, not 0/7
    for label in ("Days silent", "Mood / craving", "Days sober", "Needs my action", "Last contact"):
        assert cy[label] == "not shared"
    assert cy["Step"].strip(FIGURE_SPACE) == "7"


def test_every_screen_cell_reads_as_words_never_as_a_code(rows):
    """A screen reader reads a table cell's value: the Risk label's value is its word."""
    table = screen_table(rows, viewer_timezone="UTC", today=date(2026, 11, 26))
    assert [cell for [cell] in table["Risk"]] == [
        "High", "Medium", "Medium", "Not shared", "Low", "None"]
    for label, values in table.items():
        for value in values:
            if isinstance(value, str):
                assert "_" not in value, (label, value)


def test_each_risk_word_keeps_its_colour():
    # The label's colour follows the word: High solid, "Not shared" without a badge.
    assert list(RISK_CELL_COLORS) == ["High", "Medium", "Low", "None", "Not shared"]
    assert RISK_CELL_COLORS["High"] == "#B34700"  # white text on it: 5.5:1
    assert RISK_CELL_COLORS["Not shared"] == "#FFFFFF"
    for risk, word in {"high": "High", "medium": "Medium", "low": "Low", "none": "None",
                       None: "Not shared"}.items():
        categories = {"flags"} if risk else {"steps"}
        values = {"risk": risk} if risk else {}
        [[cell]] = screen_table([client(1, "Ana", categories, **values)], viewer_timezone="UTC",
                                today=date(2026, 11, 26), columns=["risk"])["Risk"]
        assert cell == word


def test_shared_but_empty_values_have_words_of_their_own(rows):
    dee = caseload_csv([rows[4]], viewer_timezone="UTC").splitlines()[1].split(",")
    # Never checked in, no check-in this week, nobody reached out yet.
    assert dee == ["Dee Diaz", "Low", "1", "never", "0/7", "none", "100", "1", "none"]


def test_numbers_are_padded_so_that_a_header_click_sorts_them_as_numbers():
    table = screen_table([client(1, "A", days_silent=12), client(2, "B", days_silent=3),
                          client(3, "C", {"steps"})], viewer_timezone="UTC",
                         today=date(2026, 11, 26))
    silent = table["Days silent"]
    assert silent[:2] == [FIGURE_SPACE * 3 + "12", FIGURE_SPACE * 4 + "3"]
    # The browser's collation puts a space before a digit and a digit before a letter,
    # as ASCII does once the figure space is a plain one.
    as_the_browser_sorts = sorted(silent, key=lambda s: s.replace(FIGURE_SPACE, " "))
    assert as_the_browser_sorts == [silent[1], silent[0], "not shared"]


def test_csv_holds_exactly_the_rows_and_columns_shown(rows):
    shown = sort_caseload(filter_caseload(rows, CaseloadFilter(risks=frozenset({"medium"}))))
    parsed = list(csv.reader(io.StringIO(caseload_csv(shown, viewer_timezone="UTC"))))
    assert parsed[0] == [c.label for c in TABLE_COLUMNS]
    assert parsed[1:] == [
        ["Ben Brown", "Medium", "1", "6", "1/7", "3.0 / 2", "100", "2", "none"],
        ["José Núñez", "Medium", "1", "2", "7/7", "3.0 / 2", "100", "4", "none"],
    ]
    only = caseload_csv(shown, viewer_timezone="UTC", columns=["client", "risk"])
    assert only.splitlines() == ["Client,Risk", "Ben Brown,Medium", "José Núñez,Medium"]


def test_csv_shows_last_contact_as_the_day_of_the_viewers_entry():
    # The entry is dated by the viewer, in their own calendar: the same day everywhere.
    row = client(1, "Ana", last_contact=date(2026, 11, 24))
    # A file is read on other days: the day in full, never "yesterday".
    for zone in ("America/Los_Angeles", "UTC"):
        assert caseload_csv([row], viewer_timezone=zone,
                            columns=["last_contact"]).splitlines()[1] == "Tue 24 Nov 2026"


def test_the_screen_says_last_contact_in_words_from_the_viewers_today():
    row = client(1, "Ana", last_contact=date(2026, 11, 25))

    def cell(today):
        return screen_table([row], viewer_timezone="UTC", today=today,
                            columns=["last_contact"])["Last contact"][0]

    assert cell(date(2026, 11, 26)) == "yesterday"
    assert cell(date(2026, 11, 25)) == "today"
    assert cell(date(2026, 11, 30)) == "Wed 25 Nov"
    assert cell(date(2027, 1, 2)) == "Wed 25 Nov 2026"


def test_csv_defuses_a_name_a_spreadsheet_would_run_as_a_formula():
    text = caseload_csv([client(1, "=HYPERLINK(\"http://x\")")], viewer_timezone="UTC",
                        columns=["client"])
    assert list(csv.reader(io.StringIO(text)))[1] == ["'=HYPERLINK(\"http://x\")"]


def test_metrics_count_only_the_clients_who_share_each_category(rows):
    metrics = caseload_metrics(rows, silent_days=3)
    assert metrics.clients == 6
    assert (metrics.sharing_flags, metrics.open_high_flags) == (5, 1)
    # Ben (6 days) and Dee (never); Cy shares no check-ins.
    assert (metrics.sharing_checkins, metrics.silent_clients) == (5, 2)
    assert metrics.adherence_7d == pytest.approx((5 + 1 + 7 + 0 + 7) / 35)


def test_metrics_of_a_caseload_without_check_ins_shared_say_so():
    assert caseload_metrics([client(1, "Cy", {"steps"})], silent_days=3).adherence_7d is None


def test_high_risk_names_for_the_line_above_the_table(rows):
    assert high_risk_names(rows) == "Ana Alvarez"
    many = [client(n, f"C{n}", risk="high") for n in range(1, 8)]
    assert high_risk_names(many[:2]) == "C1 and C2"
    assert high_risk_names(many) == "C1, C2, C3, C4, C5 and 2 more"
    assert high_risk_names([client(1, "Eve")]) is None


def test_showing_sentence():
    assert showing_sentence(3, 3) == "Showing all 3 clients."
    assert showing_sentence(1, 12) == "Showing 1 of 12 clients."
    assert showing_sentence(1_200, 2_050) == "Showing 1,200 of 2,050 clients."


# --- charts ------------------------------------------------------------------------------
