"""The caseload's charts and the words beside them (dashboard/caseload_charts.py)."""

from __future__ import annotations

from dashboard.caseload_charts import (
    BAR_EDGE,
    RISK_COLORS,
    adherence_heatmap_figure,
    adherence_heatmap_rows,
    adherence_heatmap_summary,
    days_without_checkin,
    risk_counts,
    risk_distribution_figure,
    risk_distribution_summary,
)
from dashboard.member_charts import TEXT_COLOR
from tests.unit.caseload_rows import client


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


def test_caseload_charts_write_every_word_in_the_dark_chart_text_colour(rows):
    """Streamlit's chart theme writes ticks in a grey of 3.7:1: each is set to TEXT_COLOR,
    and every bar has a dark edge against the page."""
    bars = risk_distribution_figure(rows)
    heat = adherence_heatmap_figure(rows, {2: frozenset({0, 1}), 1: frozenset()})
    for figure in (bars, heat):
        layout = figure.layout
        assert layout.font.color == TEXT_COLOR
        assert layout.hoverlabel.font.color == TEXT_COLOR
        for axis in (layout.xaxis, layout.yaxis):
            assert axis.tickfont.color == TEXT_COLOR
            assert axis.title.font.color == TEXT_COLOR
    assert bars.data[0].textfont.color == TEXT_COLOR
    assert bars.data[0].marker.line.color == BAR_EDGE


def test_heatmap_days_without_a_check_in_in_words_newest_first():
    every_day = frozenset(range(28))
    assert days_without_checkin(every_day) == "none"
    assert days_without_checkin(frozenset()) == "all 28 days"
    assert days_without_checkin(every_day - {0}) == "today"
    assert days_without_checkin(every_day - {1, 2}) == "yesterday to 2 days ago"
    assert days_without_checkin(every_day - {0, 1, 2, 5, 10, 11, 12, 27}) == (
        "today to 2 days ago, 5 days ago, 10 to 12 days ago, 27 days ago")


def test_heatmap_as_a_table_has_a_row_per_client_it_draws_in_its_order(rows):
    days = {2: frozenset({0, 1, 27}), 1: frozenset(range(28))}
    assert adherence_heatmap_rows(rows, days) == [
        {"Client": "Ana Alvarez", "Check-ins": "28 of 28",
         "Days without a check-in": "none"},
        {"Client": "Ben Brown", "Check-ins": "3 of 28",
         "Days without a check-in": "2 to 26 days ago"},
    ]
