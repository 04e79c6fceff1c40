"""A member checks in on a hard day, is offered the crisis lines, fills in a missed day
picked by its name, and finds the days on the My progress chart and in its table."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import create_user_with_cli, start_server, stop
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    open_screen,
    wait_until_idle,
)

pytestmark = pytest.mark.browser
PASSWORD = "Quiet harbour morning 2231"


@pytest.fixture
def member_server(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'browser.db'}"
    create_user_with_cli(database_url, "maria", PASSWORD, "--role", "member",
                         "--name", "Maria Garcia", "--timezone", "America/Chicago")
    server, process = start_server(tmp_path)
    yield server
    stop(process)


def test_hard_day_check_in_shows_crisis_lines_and_lands_on_the_chart(page: Page, member_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(member_server.url)
    log_in(page, "maria", PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)

    form = page.get_by_test_id("stForm").first
    form.get_by_text("2 Low", exact=True).click()
    form.get_by_test_id("stRadio").filter(has_text="Hard day").get_by_text("Yes").click()
    form.get_by_role("textbox", name="Hard day reason").fill("Argument with my brother")
    form.get_by_role("button", name="Save check-in").click()

    expect(page.get_by_text("988", exact=False).first).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_text("1-800-662-4357", exact=False).first).to_be_visible()

    # A missed day, picked from the list of the days a check-in may be for.
    wait_until_idle(page)
    picker = page.get_by_role("combobox", name="Day")
    picker.focus()
    picker.press("ArrowDown")  # opens the list, from the keyboard
    yesterday = page.get_by_role("option", name=re.compile(r"^Yesterday, "))
    expect(yesterday).to_be_visible(timeout=RERUN_MS)
    yesterday.click()
    expect(page.get_by_text("marked as filled in late", exact=False)).to_be_visible(
        timeout=RERUN_MS)
    wait_until_idle(page)
    form = page.get_by_test_id("stForm").first
    form.get_by_text("4 Good", exact=True).click()
    form.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Saved your check-in for yesterday", exact=False)).to_be_visible(
        timeout=RERUN_MS)

    open_screen(page, "My progress")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible(timeout=RERUN_MS)
    expect(chart.get_by_text("Hard day").first).to_be_attached(timeout=RERUN_MS)
    expect(page.get_by_text("1 hard day", exact=False).first).to_be_visible()
    # The days of the charts as a table too, drawn when opened.
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    page.get_by_test_id("stExpander").filter(has_text="Day by day").click()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=RERUN_MS)
