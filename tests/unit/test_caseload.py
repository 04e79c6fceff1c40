"""The caseload's pure parts: filters, search and sorting (dashboard/caseload.py)."""

from __future__ import annotations

import pytest

from dashboard.caseload import (
    SORT_CHOICES,
    CaseloadFilter,
    filter_caseload,
    restricted_to,
    sort_caseload,
)
from tests.unit.caseload_rows import client


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


def test_restricting_a_row_blanks_the_categories_no_longer_shared(rows):
    ana = restricted_to(rows[0], frozenset({"steps"}))
    assert ana.categories == {"steps"} and ana.current_step == 4
    assert (ana.risk, ana.open_flags, ana.days_silent, ana.checkins_7d, ana.days_sober) == (
        None, None, None, None, None)


# --- metrics strip -----------------------------------------------------------------------
