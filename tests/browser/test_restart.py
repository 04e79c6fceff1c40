"""The app's process dies (kill -9) while a member types a check-in, and starts again: her
Save brings the login screen, which says what happened, and once she is in again the
words she typed and the choices she made are back in the form."""

from __future__ import annotations

import signal
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import CheckIn
from models.db import make_engine
from tests.browser.server import create_user_with_cli, start_server, stop
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

MEMBER, PASSWORD = "maria", "Cedar morning kettle 4417"
JOURNAL = "Forty minutes of writing that must not be lost"


def test_a_check_in_typed_before_a_restart_is_back_after_logging_in(page: Page, tmp_path):
    create_user_with_cli(f"sqlite:///{tmp_path / 'browser.db'}", MEMBER, PASSWORD,
                         "--role", "member", "--name", "Maria Garcia")
    server, process = start_server(tmp_path)
    try:
        page.goto(server.url)
        log_in(page, MEMBER, PASSWORD)
        expect(heading(page, "Today")).to_be_visible(timeout=FIRST_LOAD_MS)
        wait_until_idle(page)
        page.get_by_role("radio", name="4 Good").click()
        page.get_by_role("radiogroup", name="Hard day").get_by_text("Yes").click()
        page.get_by_label("Journal", exact=True).fill(JOURNAL)
        page.get_by_label("Gratitude", exact=True).fill("My sister called")

        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        server, process = start_server(tmp_path, port=urlparse(server.url).port)
        # The page reconnects to the new process by itself.
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=FIRST_LOAD_MS)
        page.get_by_role("button", name="Save check-in").click()

        expect(heading(page, "Log in")).to_be_visible(timeout=RERUN_MS)
        expect(page.get_by_text("The dashboard was restarted")).to_be_visible()
        log_in(page, MEMBER, PASSWORD)
        expect(heading(page, "Today")).to_be_visible(timeout=FIRST_LOAD_MS)
        wait_until_idle(page)
        expect(page.get_by_text("back in the form, and not saved yet")).to_be_visible()
        expect(page.get_by_label("Journal", exact=True)).to_have_value(JOURNAL)
        expect(page.get_by_label("Gratitude", exact=True)).to_have_value("My sister called")
        expect(page.get_by_role("radio", name="4 Good")).to_be_checked()
        expect(page.get_by_role("radiogroup", name="Hard day").get_by_role(
            "radio", name="Yes")).to_be_checked()
        page.get_by_role("button", name="Save check-in").click()
        expect(page.get_by_text("Saved your check-in")).to_be_visible(timeout=RERUN_MS)
    finally:
        stop(process)
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as connection:
            saved = connection.execute(select(CheckIn)).one()
            assert (saved.journal, saved.mood, saved.hard_day) == (JOURNAL, 4, True)
    finally:
        engine.dispose()
