"""Database and configuration failures as people see them (dashboard/web/faults.py): a
plain message that says nothing was changed and what to do, never an exception box; and
what a member typed survives the failed save."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from dashboard import config
from dashboard.audit_seal import stop_audit_sealers
from dashboard.key_guard import forget_watched_files
from dashboard.sqlite_owner import release_all
from dashboard.web.session import session_record
from models import CheckIn
from models.db import make_engine, make_session_factory, upgrade_to_head
from tests.app.conftest import ENTRY, by_label, no_exception, titles
from tests.factories import make_user
from tests.throwaway_postgres import ThrowawayPostgres, server_binaries


def app_for(actor=None) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    if actor is not None:
        at.session_state["auth"] = session_record(actor.id)
    return at


def shown_errors(at) -> list[str]:
    return [e.value for e in at.error]


@pytest.fixture
def postgres_outage():
    """A PostgreSQL server of this test's own, which it stops and starts; the app runs on it."""
    if server_binaries() is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin) on this machine")
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="outage-", dir="/tmp"))).create()
    st.cache_resource.clear()  # the app opens this database afresh
    config.put_in_force(replace(config.load_settings(os.environ), database_url=server.url))
    engine = make_engine(server.url)
    upgrade_to_head(engine)
    try:
        yield server, make_session_factory(engine)
    finally:
        stop_audit_sealers()
        engine.dispose()
        st.cache_resource.clear()
        server.remove()


@pytest.mark.postgres
def test_postgresql_stopped_mid_session_shows_a_plain_message_and_keeps_the_check_in(
        postgres_outage):
    server, sessions = postgres_outage
    with sessions.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
    at = no_exception(app_for(maria).run())
    assert titles(at) == ["Today"]
    by_label(at.segmented_control, "Mood").set_value(4)
    by_label(at.text_area, "Journal").set_value("Ten minutes of writing I must not lose")
    by_label(at.text_area, "Gratitude").set_value("My sister called")

    server.stop()
    by_label(at.button, "Save check-in").click().run()
    no_exception(at)
    [message] = shown_errors(at)
    assert message == ("The dashboard cannot reach its database right now. Nothing was "
                       "changed. Please try again in a minute: what you typed is kept, and "
                       "comes back in the form.")
    assert any("For an administrator" in c.value for c in at.caption)
    assert "Traceback" not in str(at) and "OperationalError" not in str(at)

    server.start()
    by_label(at.button, "Try again").click().run()
    no_exception(at)
    assert titles(at) == ["Today"] and shown_errors(at) == []
    assert "back in the form, and not saved yet" in at.info[0].value
    assert by_label(at.text_area, "Journal").value == "Ten minutes of writing I must not lose"
    assert by_label(at.segmented_control, "Mood").value == 4
    by_label(at.button, "Save check-in").click().run()
    no_exception(at)
    with sessions() as session:
        saved = session.scalars(select(CheckIn)).one()
        assert (saved.mood, saved.journal, saved.gratitude) == (
            4, "Ten minutes of writing I must not lose", "My sister called")


@pytest.fixture
def keyed_database(tmp_path, monkeypatch):
    """The app on a SQLite file with key files beside it, no key in the environment."""
    url = f"sqlite:///{tmp_path / 'data' / 'dashboard.db'}"
    monkeypatch.delenv("DASHBOARD_ENCRYPTION_KEYS")
    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    st.cache_resource.clear()
    config.put_in_force(config.load_settings({"DATABASE_URL": url}))
    yield tmp_path / "data"
    stop_audit_sealers()
    release_all()
    forget_watched_files()
    st.cache_resource.clear()


def test_a_swapped_key_at_start_is_a_plain_message_on_every_screen(keyed_database):
    at = no_exception(app_for().run())
    assert titles(at) == ["Welcome to the recovery dashboard"]  # the start made both keys
    (keyed_database / "audit-secret.key").write_text(secrets.token_hex(32))
    st.cache_resource.clear()  # as after a restart
    release_all()
    at = app_for().run()
    no_exception(at)
    [message] = shown_errors(at)
    assert message.startswith("The dashboard is not set up correctly: the audit key in the "
                              "key file")
    assert "is not the one this database was written with" in message
    assert "Nothing was changed. Please tell an administrator." in message
    assert not at.text_input  # no login form over a database it cannot trust


def test_an_administrator_is_told_when_a_key_file_disappears(keyed_database):
    no_exception(app_for().run())  # the first start makes the keys
    engine = make_engine(config.settings().database_url)
    try:
        with make_session_factory(engine).begin() as session:
            ada = make_user(session, "ada", "admin", name="Ada Admin", two_factor=True)
            maria = make_user(session, "maria", "member", name="Maria Garcia")
    finally:
        engine.dispose()
    admin = app_for()
    admin.session_state["auth"] = session_record(ada.id, second_factor=ada.two_factor_enrolled_at)
    member = app_for(maria)
    assert not any("disappeared" in w.value for w in no_exception(admin.run()).warning)
    (keyed_database / "encryption.key").unlink()
    no_exception(admin.run())
    [warning] = [w.value for w in admin.warning if "disappeared" in w.value]
    assert "notes' encryption key file" in warning and "put it back" in warning
    assert titles(admin) == ["Users"]  # the dashboard goes on
    no_exception(member.run())
    assert titles(member) == ["Today"] and not any("disappeared" in w.value
                                                   for w in member.warning)


def test_step_notes_survive_a_database_lost_before_the_screen_is_drawn(new_app, app_db,
                                                                        monkeypatch):
    """The failure comes at the login check, before the Steps form is drawn again: the
    notes come back, with the step opened, once the database answers."""
    import dashboard.auth

    class Dropped(Exception):
        sqlstate = "08006"  # connection failure

    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
    at = no_exception(new_app(maria).switch_page("../pages/steps.py").run())
    notes = f"typed:{maria.id}:notes_3"
    at.text_area(key=notes).set_value("Turned it over on the bus this morning")
    real = dashboard.auth.current_actor

    def unreachable(**_):
        raise OperationalError("SELECT", {}, Dropped("connection failed"))

    monkeypatch.setattr(dashboard.auth, "current_actor", unreachable)
    next(b for b in at.button if b.label == "Save step 3" and b.form_id == "step_3").click().run()
    no_exception(at)
    assert "cannot reach its database" in shown_errors(at)[0]
    assert not at.text_area  # nothing of the screen could be drawn

    monkeypatch.setattr(dashboard.auth, "current_actor", real)
    by_label(at.button, "Try again").click().run()
    no_exception(at)
    assert at.text_area(key=notes).value == "Turned it over on the bus this morning"
    step_3 = next(e for e in at.expander if e.label.startswith("Step 3"))
    assert any("not saved yet" in i.value for i in step_3.info)
