"""The caseload's pure parts: filters, search, sorting, the table as shown, its CSV, the
metrics strip, and the words beside the charts."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest

from dashboard.caseload import (
    SORT_CHOICES,
    CaseloadFilter,
    CaseloadRow,
    filter_caseload,
    restricted_to,
    sort_caseload,
)
from dashboard.caseload_charts import (
    RISK_COLORS,
    adherence_heatmap_figure,
    adherence_heatmap_summary,
    risk_counts,
    risk_distribution_figure,
    risk_distribution_summary,
)
from dashboard.caseload_table import (
    FIGURE_SPACE,
    TABLE_COLUMNS,
    caseload_csv,
    caseload_metrics,
    high_risk_names,
    screen_table,
    showing_sentence,
)

TODAY = date(2026, 11, 26)
ALL = frozenset({"checkins", "steps", "flags"})


def client(member_id: int, name: str, categories=ALL, **values) -> CaseloadRow:
    """A row as caseload_for builds it: values only for the categories shared."""
    defaults = {}
    if "checkins" in categories:
        defaults |= {"last_checkin": TODAY, "days_silent": 0, "checkins_7d": 7,
                     "mean_mood_7d": 3.0, "max_craving_7d": 2, "days_sober": 100}
    if "steps" in categories:
        defaults["current_step"] = 1
    if "flags" in categories:
        defaults |= {"risk": "none", "open_flags": 0, "open_high_flags": 0, "last_contact": None}
    return CaseloadRow(member_id=member_id, display_name=name, categories=frozenset(categories),
                       today=TODAY, **(defaults | values))


@pytest.fixture
def rows():
    return [
        client(1, "Ana Alvarez", risk="high", open_flags=2, open_high_flags=1, days_silent=1,
               current_step=4, checkins_7d=5, mean_mood_7d=2.2, max_craving_7d=9),
        client(2, "Ben Brown", risk="medium", open_flags=1, days_silent=6, checkins_7d=1,
               current_step=2),
        client(3, "José Núñez", risk="medium", open_flags=1, days_silent=2, current_step=4),
        client(4, "Cy Chen", {"steps"}, current_step=7),
        client(5, "Dee Diaz", risk="low", open_flags=1, last_checkin=None, days_silent=None,
               checkins_7d=0, mean_mood_7d=None, max_craving_7d=None),
        client(6, "Eve Evans"),
    ]


def names(rows) -> list[str]:
    return [r.display_name for r in rows]


# --- filters and search ------------------------------------------------------------------


def test_no_criterion_keeps_every_client(rows):
    assert filter_caseload(rows, CaseloadFilter()) == rows


def test_risk_filter_keeps_the_chosen_levels_and_not_shared_only_when_asked(rows):
    assert names(filter_caseload(rows, CaseloadFilter(risks=frozenset({"high"})))) == [
        "Ana Alvarez"]
    assert names(filter_caseload(rows, CaseloadFilter(risks=frozenset({"medium", "none"})))) == [
        "Ben Brown", "José Núñez", "Eve Evans"]
    # Cy does not share flags: his risk is unknown, so he matches only "not shared".
    assert names(filter_caseload(rows, CaseloadFilter(risks=frozenset({"not_shared"})))) == [
        "Cy Chen"]


def test_open_flags_filter_leaves_out_clients_without_or_not_sharing_flags(rows):
    assert names(filter_caseload(rows, CaseloadFilter(open_flags_only=True))) == [
        "Ana Alvarez", "Ben Brown", "José Núñez", "Dee Diaz"]


def test_silent_filter_counts_a_client_who_never_checked_in_as_silent(rows):
    assert names(filter_caseload(rows, CaseloadFilter(silent_for_at_least=2))) == [
        "Ben Brown", "José Núñez", "Dee Diaz"]
    assert names(filter_caseload(rows, CaseloadFilter(silent_for_at_least=6))) == [
        "Ben Brown", "Dee Diaz"]
    assert names(filter_caseload(rows, CaseloadFilter(silent_for_at_least=7))) == ["Dee Diaz"]


def test_step_filter(rows):
    assert names(filter_caseload(rows, CaseloadFilter(steps=frozenset({4, 7})))) == [
        "Ana Alvarez", "José Núñez", "Cy Chen"]


@pytest.mark.parametrize(("query", "expected"), [
    ("ana", ["Ana Alvarez"]),
    ("  BROWN ", ["Ben Brown"]),
    ("jose nunez", ["José Núñez"]),  # accents and case do not matter
    ("núñez josé", ["José Núñez"]),  # nor the order of the words
    ("ez", ["Ana Alvarez", "José Núñez"]),
    ("zed", []),
])
def test_search_by_name(rows, query, expected):
    assert names(filter_caseload(rows, CaseloadFilter(name=query))) == expected


def test_criteria_combine(rows):
    criteria = CaseloadFilter(risks=frozenset({"medium"}), steps=frozenset({4}), name="j")
    assert names(filter_caseload(rows, criteria)) == ["José Núñez"]


# --- sorting -----------------------------------------------------------------------------


def test_default_order_is_risk_then_longest_silent_then_name(rows):
    # Medium: Ben (6 days) before José (2 days); Dee never checked in: the longest silent
    # of the low ones; Cy (flags not shared) last.
    assert names(sort_caseload(rows)) == [
        "Ana Alvarez", "Ben Brown", "José Núñez", "Dee Diaz", "Eve Evans", "Cy Chen"]


@pytest.mark.parametrize(("by", "descending", "expected"), [
    ("client", False, ["Ana Alvarez", "Ben Brown", "Cy Chen", "Dee Diaz", "Eve Evans",
                       "José Núñez"]),
    ("days_silent", True, ["Dee Diaz", "Ben Brown", "José Núñez", "Ana Alvarez", "Eve Evans",
                           "Cy Chen"]),
    ("days_silent", False, ["Eve Evans", "Ana Alvarez", "José Núñez", "Ben Brown", "Dee Diaz",
                            "Cy Chen"]),
    ("craving", True, ["Ana Alvarez", "Ben Brown", "José Núñez", "Eve Evans", "Dee Diaz",
                       "Cy Chen"]),
    ("mood", False, ["Ana Alvarez", "Ben Brown", "José Núñez", "Eve Evans", "Dee Diaz",
                     "Cy Chen"]),
    ("adherence", False, ["Dee Diaz", "Ben Brown", "Ana Alvarez", "José Núñez", "Eve Evans",
                          "Cy Chen"]),
    ("step", True, ["Cy Chen", "Ana Alvarez", "José Núñez", "Ben Brown", "Dee Diaz",
                    "Eve Evans"]),
    ("open_flags", True, ["Ana Alvarez", "Ben Brown", "José Núñez", "Dee Diaz", "Eve Evans",
                          "Cy Chen"]),
])
def test_sort_by_a_column_keeps_not_shared_last_and_ties_in_the_default_order(
        rows, by, descending, expected):
    assert names(sort_caseload(rows, by, descending)) == expected


def test_every_sort_choice_names_its_direction_and_sorts():
    assert SORT_CHOICES["default"].by is None
    assert SORT_CHOICES["days_silent:desc"].label == "Days silent, longest first"
    assert SORT_CHOICES["client:asc"].label == "Name, A to Z"
    for choice in SORT_CHOICES.values():
        sort_caseload([client(1, "A"), client(2, "B", {"notes"})], choice.by, choice.descending)


# --- the table as shown and its CSV ------------------------------------------------------


def test_not_shared_categories_read_not_shared_never_zero(rows):
    table = screen_table(rows, viewer_timezone="UTC", today=date(2026, 11, 26))
    cy = {label: values[3] for label, values in table.items()}
    assert cy["Client"] == "Cy Chen"
    assert cy["Risk"] == ["not_shared"]
    assert cy["Check-ins 7d"] is None  # an empty bar, not 0/7
    for label in ("Days silent", "Mood / craving", "Days sober", "Open flags", "Last contact"):
        assert cy[label] == "not shared"
    assert cy["Step"].strip(FIGURE_SPACE) == "7"


def test_shared_but_empty_values_have_words_of_their_own(rows):
    dee = caseload_csv([rows[4]], viewer_timezone="UTC").splitlines()[1].split(",")
    # Never checked in, no check-in this week, nobody reached out yet.
    assert dee == ["Dee Diaz", "Low", "never", "0/7", "none", "100", "1", "1", "none"]


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
        ["Ben Brown", "Medium", "6", "1/7", "3.0 / 2", "100", "2", "1", "none"],
        ["José Núñez", "Medium", "2", "7/7", "3.0 / 2", "100", "4", "1", "none"],
    ]
    only = caseload_csv(shown, viewer_timezone="UTC", columns=["client", "risk"])
    assert only.splitlines() == ["Client,Risk", "Ben Brown,Medium", "José Núñez,Medium"]


def test_csv_shows_last_contact_as_the_viewers_local_date():
    late = datetime(2026, 11, 25, 3, 30, tzinfo=timezone.utc)  # 24 Nov in Los Angeles
    row = client(1, "Ana", last_contact=late)
    # A file is read on other days: the day in full, never "yesterday".
    assert caseload_csv([row], viewer_timezone="America/Los_Angeles",
                        columns=["last_contact"]).splitlines()[1] == "Tue 24 Nov 2026"
    assert caseload_csv([row], viewer_timezone="UTC",
                        columns=["last_contact"]).splitlines()[1] == "Wed 25 Nov 2026"


def test_the_screen_says_last_contact_in_words_from_the_viewers_today():
    late = datetime(2026, 11, 25, 3, 30, tzinfo=timezone.utc)  # 24 Nov in Los Angeles
    row = client(1, "Ana", last_contact=late)

    def cell(zone, today):
        return screen_table([row], viewer_timezone=zone, today=today,
                            columns=["last_contact"])["Last contact"][0]

    assert cell("America/Los_Angeles", date(2026, 11, 25)) == "yesterday"
    assert cell("UTC", date(2026, 11, 25)) == "today"
    assert cell("UTC", date(2026, 11, 30)) == "Wed 25 Nov"
    assert cell("UTC", date(2027, 1, 2)) == "Wed 25 Nov 2026"


def test_csv_defuses_a_name_a_spreadsheet_would_run_as_a_formula():
    text = caseload_csv([client(1, "=HYPERLINK(\"http://x\")")], viewer_timezone="UTC",
                        columns=["client"])
    assert list(csv.reader(io.StringIO(text)))[1] == ["'=HYPERLINK(\"http://x\")"]


def test_restricting_a_row_blanks_the_categories_no_longer_shared(rows):
    ana = restricted_to(rows[0], frozenset({"steps"}))
    assert ana.categories == {"steps"} and ana.current_step == 4
    assert (ana.risk, ana.open_flags, ana.days_silent, ana.checkins_7d, ana.days_sober) == (
        None, None, None, None, None)


# --- metrics strip -----------------------------------------------------------------------


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


def test_risk_chart_counts_every_level_most_severe_first(rows):
    assert risk_counts(rows) == {"high": 1, "medium": 2, "low": 1, "none": 1, "not_shared": 1}
    figure = risk_distribution_figure(rows)
    bar = figure.data[0]
    assert list(bar.y) == ["High", "Medium", "Low", "None", "Not shared"]
    assert list(bar.x) == [1, 2, 1, 1, 1]
    assert list(bar.marker.color) == list(RISK_COLORS.values())
    assert list(bar.text) == ["1", "2", "1", "1", "1"]  # the count, not only a colour


def test_risk_summary(rows):
    assert risk_distribution_summary(rows) == (
        "Of the 5 clients who share flags, 1 high, 2 medium, 1 low risk, and 1 with no open "
        "flag; 1 more do not share flags.")
    many = [client(n, f"C{n}") for n in range(1_500)]
    assert risk_distribution_summary(many) == (
        "Of the 1,500 clients who share flags, 0 high, 0 medium, 0 low risk, and 1,500 with "
        "no open flag.")
    assert risk_distribution_summary([]) == (
        "No client shares their data with you yet, so there is no risk to chart.")
    assert risk_distribution_summary([client(1, "Cy", {"steps"})]) == (
        "None of your 1 client shares flags with you, so their risk is not known here.")


def test_heatmap_draws_the_clients_given_in_table_order(rows):
    days = {2: frozenset({0, 1, 27}), 1: frozenset()}
    figure = adherence_heatmap_figure(rows, days)
    heat = figure.data[0]
    assert list(figure.layout.yaxis.ticktext) == ["Ana Alvarez", "Ben Brown"]
    # The oldest day on the left, today on the right.
    assert [list(z) for z in heat.z] == [[0] * 28, [1] + [0] * 25 + [1, 1]]


def test_heatmap_shows_a_name_as_typed_never_as_a_link():
    row = client(1, '<a href="https://example.org">Ana</a>')
    figure = adherence_heatmap_figure([row], {1: frozenset()})
    assert figure.layout.yaxis.ticktext[0] == (
        "&lt;a href=&quot;https://example.org&quot;&gt;Ana&lt;/a&gt;")
    assert "<a" not in figure.data[0].text[0][0]


def test_heatmap_summary(rows):
    days = {1: frozenset(range(28)), 2: frozenset({0, 1, 2})}
    assert adherence_heatmap_summary(rows, days) == (
        "Over the last 28 days, the first 2 of the 5 clients who share check-ins checked in "
        "on 55% of days; 1 client checked in on fewer than half of them.")
    assert adherence_heatmap_summary(rows, {}) == (
        "No client in this view shares check-ins with you, so there is no heatmap.")
