"""Fixtures of the integration tests."""

import pytest

from tests.integration.caseload_world import build_caseload


@pytest.fixture
def caseload(session):
    """Counselor carla's caseload of hand-worked figures: (carla, people by name)."""
    return build_caseload(session)


@pytest.fixture
def key_files_only(monkeypatch):
    """No key in the environment: the database's key files, as an embedded install has.
    The test run's own notes key, and an empty watch of key files, come back after."""
    from dashboard.key_guard import forget_watched_files
    from models import crypto
    from tests.conftest import TEST_ENCRYPTION_KEY

    monkeypatch.delenv("DASHBOARD_ENCRYPTION_KEYS")
    monkeypatch.delenv("DASHBOARD_SECRET_KEY", raising=False)
    yield
    crypto.configure(keys=[TEST_ENCRYPTION_KEY.encode()])
    forget_watched_files()
