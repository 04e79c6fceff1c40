"""Fixtures of the integration tests."""

import pytest

from tests.integration.caseload_world import build_caseload


@pytest.fixture
def caseload(session):
    """Counselor carla's caseload of hand-worked figures: (carla, people by name)."""
    return build_caseload(session)
