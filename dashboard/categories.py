"""Which consent categories each thing shown of a member's data needs: the one map.

Every value, column, chart marker, count and sentence that tells something of a member is
a "field" here, mapped to the categories that must ALL be shared for a viewer to see it
(SPEC section 5). The policy's reads (member_record.py, weekly_review.py, alert_queue.py)
return None for a field not visible; the tables (record_tables.py, caseload_table.py),
the charts and their sentences (member_charts.py) leave out what is not visible. A member
sees all of their own data (every category).

A field needing two categories tells of both: a hard-day reason is the member's words
(notes) and says the day was hard (flags), so it needs both.
"""

from __future__ import annotations

from collections.abc import Collection

from models import CATEGORIES

CHECKINS, STEPS, FLAGS, NOTES = "checkins", "steps", "flags", "notes"
ALL_CATEGORIES = frozenset(CATEGORIES)

FIELD_CATEGORIES: dict[str, frozenset[str]] = {
    name: frozenset(categories)
    for name, categories in {
        # A check-in's values, on the tables, the charts and in their sentences.
        "mood": {CHECKINS},
        "craving": {CHECKINS},
        "used_substances": {CHECKINS},  # the Used column, the use markers and count
        "meetings": {CHECKINS},
        "actions": {CHECKINS},
        "sleep_hours": {CHECKINS},
        "is_late": {CHECKINS},
        "sobriety_date": {CHECKINS},  # and the days sober counted from it
        # Hard days: the yes/no of a check-in, its column, its chart markers, its count.
        "hard_day": {FLAGS},
        # The member's own words.
        "gratitude": {NOTES},
        "journal": {NOTES},  # and for a viewer only the entries the member marked shared
        "hard_day_reason": {FLAGS, NOTES},
        "step_notes": {STEPS, NOTES},
        "flag_quote": {FLAGS, NOTES},  # a flag's quote of the member's words
        # Steps.
        "step_status": {STEPS},  # and the current step
        "step_dates": {STEPS},
        # Flags, their reasons, risk and follow-up.
        "flags": {FLAGS},
        "risk": {FLAGS},
        # The caseload table's columns (caseload_table.py), by key.
        "days_silent": {CHECKINS},
        "adherence": {CHECKINS},
        "mood_craving": {CHECKINS},
        "days_sober": {CHECKINS},
        "step": {STEPS},
        "open_flags": {FLAGS},
        "last_contact": {FLAGS},
    }.items()
}
assert all(c <= ALL_CATEGORIES and c for c in FIELD_CATEGORIES.values())


def visible(field: str, categories: Collection[str]) -> bool:
    """Whether `field` may be shown to a reader sharing `categories` (KeyError when the
    field is not in the map: a new field is mapped first)."""
    return FIELD_CATEGORIES[field] <= frozenset(categories)


def category_of(field: str) -> str:
    """The one category of a field that needs one (a column of a single category)."""
    (category,) = FIELD_CATEGORIES[field]
    return category


def shown(field: str, categories: Collection[str], value):
    """`value` when the field is visible, else None."""
    return value if visible(field, categories) else None
