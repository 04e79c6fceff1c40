"""Web and e-mail addresses a member typed reach a counselor's Alerts screen as text: the
browser shows the characters, and no link to them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from dashboard import clock
from dashboard.auth import actor_from_user
from dashboard.flags import evaluate_checkin
from dashboard.timeutil import local_today
from dashboard.totp_codes import code_at
from models import User
from models.db import make_engine, make_session_factory
from tests.browser.server import Server, create_user_with_cli, start_server, stop
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    open_screen,
    wait_until_idle,
)
from tests.factories import TOTP_SECRET, add_checkin, grant, make_user

pytestmark = pytest.mark.browser

COUNSELOR, COUNSELOR_PASSWORD = "carla", "Willow lantern harbour 7304"
MEMBER_NAME = "Mal http://evil.example/x www.evil.example"
REASON = "my cousin sent https://evil.example/y and mal@evil.example"


@pytest.fixture
def alerts_server(tmp_path) -> Iterator[Server]:
    """A counselor (two-factor login set up) and a member who shares flags and notes with
    them, whose name and hard-day reason hold addresses; the hard day raised its flag."""
    database_url = f"sqlite:///{tmp_path / 'browser.db'}"
    create_user_with_cli(database_url, COUNSELOR, COUNSELOR_PASSWORD, "--role", "counselor",
                         "--name", "Carla Counselor")
    engine = make_engine(database_url)
    now = clock.now()
    with make_session_factory(engine).begin() as session:
        session.execute(update(User).where(User.username == COUNSELOR).values(
            totp_secret=TOTP_SECRET, totp_enrolled_at=now, totp_last_step=0))
        counselor = actor_from_user(
            session.scalar(select(User).where(User.username == COUNSELOR)))
        member = make_user(session, "mal", "member", name=MEMBER_NAME)
        grant(session, member, counselor, "checkins", "flags", "notes", purpose="counseling")
        today = local_today(member.timezone, now)
        add_checkin(session, member, today, hard_day=True, hard_day_reason=REASON)
        evaluate_checkin(session, member_id=member.id, local_date=today, now=now)
    engine.dispose()
    server, process = start_server(tmp_path)
    yield server
    stop(process)


def test_alerts_show_a_members_addresses_without_links(page: Page, alerts_server: Server):
    page.goto(alerts_server.url)
    log_in(page, COUNSELOR, COUNSELOR_PASSWORD)
    expect(heading(page, "Two-factor login")).to_be_visible(timeout=RERUN_MS)
    page.get_by_label("Authentication code").fill(code_at(TOTP_SECRET, clock.now()))
    page.get_by_role("button", name="Verify").click()
    expect(heading(page, "Caseload")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    open_screen(page, "Alerts")

    main = page.get_by_test_id("stMain")
    # Shown: the words as typed (the word joiners inside the addresses are invisible).
    text = main.inner_text().replace("\u2060", "")
    assert MEMBER_NAME in text and REASON in text
    # And not one link to where they point.
    expect(page.locator("a[href*='evil.example'], a[href^='mailto:']")).to_have_count(0)
