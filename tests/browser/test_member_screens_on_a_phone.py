"""A member's screens on a phone (390 x 844, a phone's user agent, touch), in a real
browser: none scrolls sideways, the Today check-in fits a phone (mood in one row, the form
no taller than about two screens), and the words written on a day read in full."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.demo.load import DEMO_PASSWORD
from tests.browser.phone import SIDEWAYS, open_screen, phone_page
from tests.browser.server import load_demo_with_cli, start_server, stop
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    wait_until_idle,
)

pytestmark = pytest.mark.browser
MEMBER_SCREENS = ("Today", "My progress", "Steps", "Sharing", "Who viewed my data", "My data")
FORM_MAX_PX = 1_600
MOODS = ("Very low", "Low", "Okay", "Good", "Great")
# Longer than any table cell is wide on a phone.
GRATITUDE = ("My sister drove two hours to sit with me at the Thursday meeting, and afterwards "
             "we had pancakes and talked about Dad until the diner closed.")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("member_phone")
    load_demo_with_cli(directory, members=3, days=30)
    server, process = start_server(directory)
    yield server
    stop(process)


def assert_no_sideways_scrolling(page: Page, screen: str) -> None:
    assert page.evaluate(SIDEWAYS) <= 1, f"{screen} scrolls sideways on a phone"


def test_every_member_screen_fits_a_phone(browser: Browser, playwright, demo_server):
    page = phone_page(browser, playwright)
    assert page.viewport_size["width"] == 390  # the screen is 844 high, less the browser's bars
    page.goto(demo_server.url)
    log_in(page, "member1", DEMO_PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)

    # Today: the five moods in one row, the whole form within about two screens.
    form = page.get_by_test_id("stForm").first
    moods = [form.get_by_role("radio", name=mood, exact=True) for mood in MOODS]
    tops = {round(mood.bounding_box()["y"]) for mood in moods}
    assert len(tops) == 1, f"the mood choices take {len(tops)} rows on a phone"
    height = form.bounding_box()["height"]
    assert height <= FORM_MAX_PX, f"the check-in form is {height:.0f} px tall on a phone"
    assert_no_sideways_scrolling(page, "Today")

    # A check-in saved on the phone; its words then read in full under the table.
    moods[3].click()
    form.get_by_role("textbox", name="Gratitude").fill(GRATITUDE)
    form.get_by_role("button", name=re.compile(r"^Save")).click()
    expect(page.get_by_text("check-in for today", exact=False).first).to_be_visible(
        timeout=RERUN_MS)
    wait_until_idle(page)
    page.get_by_test_id("stExpander").filter(has_text="What you wrote, day by day").click()
    expect(page.get_by_text(f"Gratitude: {GRATITUDE}")).to_be_visible()
    assert_no_sideways_scrolling(page, "Today, with the words open")

    for screen in MEMBER_SCREENS[1:]:
        open_screen(page, screen)
        assert_no_sideways_scrolling(page, screen)
