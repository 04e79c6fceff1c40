"""Fixtures of the unit tests."""

import pytest

from tests.unit.caseload_rows import client


@pytest.fixture
def rows():
    """A small caseload: each risk level, a client who never checked in, one sharing steps only."""
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
