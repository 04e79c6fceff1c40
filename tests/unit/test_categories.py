"""The one map of what each field of a member's data needs shared (SPEC section 5)."""

import itertools

import pytest

from dashboard.caseload_table import TABLE_COLUMNS
from dashboard.categories import (
    ALL_CATEGORIES,
    FIELD_CATEGORIES,
    category_of,
    shown,
    visible,
)

SUBSETS = [frozenset(c) for n in range(5)
           for c in itertools.combinations(sorted(ALL_CATEGORIES), n)]


@pytest.mark.parametrize(("field", "needs"), [
    ("mood", {"checkins"}), ("used_substances", {"checkins"}), ("sleep_hours", {"checkins"}),
    ("hard_day", {"flags"}), ("flags", {"flags"}),
    ("gratitude", {"notes"}), ("journal", {"notes"}),
    ("hard_day_reason", {"flags", "notes"}), ("step_notes", {"steps", "notes"}),
    ("flag_quote", {"flags", "notes"}), ("step_status", {"steps"}),
])
def test_each_field_is_visible_exactly_when_its_categories_are_all_shared(field, needs):
    assert FIELD_CATEGORIES[field] == needs
    for subset in SUBSETS:
        assert visible(field, subset) == (needs <= subset)
        assert shown(field, subset, "value") == ("value" if needs <= subset else None)


def test_an_unmapped_field_is_an_error_not_a_default():
    with pytest.raises(KeyError):
        visible("mystery", ALL_CATEGORIES)


def test_the_caseload_columns_take_their_category_from_the_map():
    for column in TABLE_COLUMNS:
        if column.category is not None:
            assert column.category == category_of(column.key)
