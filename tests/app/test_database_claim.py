"""The app server claims its SQLite file when it opens it (dashboard/web/database.py), and
a second app process on the same file is refused with a message saying why."""

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from dashboard.sqlite_owner import holds
from tests.app.conftest import no_exception, titles
from tests.integration.test_sqlite_owner import claim_elsewhere, held_elsewhere


def refusal_shown(at) -> str:
    """The refusal as the screen shows it, in words (the app's one fault handler)."""
    no_exception(at)
    [shown] = [error.value for error in at.error]
    return shown


def test_opening_the_database_claims_the_file(new_app, sqlite_url):
    no_exception(new_app().run())

    assert holds(database_url=sqlite_url)
    lock = Path(make_url(sqlite_url).database + ".app-lock")
    assert lock.read_text() == f"{os.getpid()}\n"
    assert claim_elsewhere(sqlite_url).returncode == 3  # another app process is refused


def test_the_app_refuses_a_file_another_process_holds_until_it_is_gone(new_app, sqlite_url):
    at = new_app()
    with held_elsewhere(sqlite_url) as other:
        at.run()

        errors = refusal_shown(at)
        assert make_url(sqlite_url).database in errors
        assert f"pid {other.pid}" in errors
        assert "one app process per SQLite file" in errors
        assert "PostgreSQL (DATABASE_URL)" in errors
        assert not holds(database_url=sqlite_url)

    # The other process has ended: the next run opens the database, without a restart.
    no_exception(at.run())
    assert titles(at) == ["Welcome to the recovery dashboard"]
    assert holds(database_url=sqlite_url)
