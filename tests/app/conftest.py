"""AppTest fixtures: the real entry script against a fresh SQLite database per test."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard import config
from dashboard.audit_seal import stop_audit_sealers
from dashboard.auth import actor_from_user
from dashboard.demo import load_demo
from dashboard.sqlite_owner import release_all
from dashboard.web.session import session_record
from models import User
from models.db import make_engine, make_session_factory
from tests.factories import NOW, TOTP_SECRET, set_up_two_factor

ENTRY = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


# The demo caseload that the counselor's and sponsor's screens are tried on.
DEMO = {"members": 30, "days": 45, "seed": 11}


@pytest.fixture(scope="session")
def demo_template(sqlite_template, tmp_path_factory) -> Path:
    """The demo caseload as of NOW, loaded once per test process and copied for each test."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    load_demo(engine=engine, now=NOW, **DEMO)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def demo_sqlite_url(demo_template, tmp_path) -> str:
    """For a module of demo screens: `sqlite_url = demo_sqlite_url` puts it under the app."""
    path = tmp_path / "dashboard.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


def demo_staff(app_db, username: str):
    """A member of the demo's staff (in a module whose `sqlite_url` is the demo), set up
    for the second factor as tests.factories sets up staff."""
    with app_db.begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        user.totp_secret, user.totp_enrolled_at, user.totp_last_step = (
            TOTP_SECRET, NOW - timedelta(days=30), 0)
        session.flush()
        return actor_from_user(user)


@pytest.fixture
def counselor(app_db):
    """The demo's counselor1."""
    return demo_staff(app_db, "counselor1")


@pytest.fixture
def sponsor(app_db):
    """The demo's sponsor1."""
    return demo_staff(app_db, "sponsor1")


@pytest.fixture
def app_db(sqlite_url, sqlite_engine):
    """The database the app under test uses; returns a session factory for arranging data.
    The app's audit sealer stops with the test: it would go on reading the settings; and
    the app's claim on the file goes too, or each test would leave a lock file open."""
    config.put_in_force(replace(config.load_settings(os.environ), database_url=sqlite_url))
    yield make_session_factory(sqlite_engine)
    stop_audit_sealers()
    release_all()


@pytest.fixture
def new_app(app_db):
    def build(actor=None, *, second_factor: bool = True) -> AppTest:
        """The app, logged in as `actor` when given. With `second_factor` the session has
        passed the actor's second factor, as the Two-factor screen records it after a right
        code (staff made without one, as by the demo, get it set up first, with
        TOTP_SECRET); without, the session stands right after the password."""
        at = AppTest.from_file(str(ENTRY), default_timeout=30)
        if actor is not None:
            
            passed = actor.two_factor_enrolled_at
            if second_factor and actor.needs_second_factor and passed is None:
                with app_db.begin() as session:
                    passed = set_up_two_factor(session, actor.id)
            at.session_state["auth"] = session_record(
                actor.id, second_factor=passed if second_factor else None)
        return at

    return build


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at



def shown(markdown: str) -> str:
    """What a person reads from markdown source in which typed text was escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def by_label(widgets, label: str):
    """The one widget of a kind with this visible label."""
    matches = [w for w in widgets if w.label == label]
    assert len(matches) == 1, f"{len(matches)} widgets labelled {label!r}"
    return matches[0]


__all__ = ["NOW", "by_label", "no_exception", "shown", "titles"]
