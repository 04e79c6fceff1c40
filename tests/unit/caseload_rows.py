"""Rows of a caseload as caseload_for builds them, for the tests of its pure parts."""

from __future__ import annotations

from datetime import date

from dashboard.caseload import CaseloadRow

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
