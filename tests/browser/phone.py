"""A phone in the browser tests: Playwright's emulation of one (a phone's user agent,
touch, 390 x 844), the menu it keeps folded away, and what "no sideways scrolling" and a
screen's height are measured on."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_first_run import RERUN_MS, heading, wait_until_idle

PHONE = "iPhone 13"  # 390 x 844, a phone's user agent, touch
# The main area scrolls on its own: its height is the screen's, and sideways is its
# overflow or the document's.
MAIN_HEIGHT = "document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
SIDEWAYS = ("(() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
            " return Math.max(m.scrollWidth - m.clientWidth,"
            " document.documentElement.scrollWidth - document.documentElement.clientWidth); })()")


def phone_page(browser: Browser, playwright) -> Page:
    """A page of a new context that is the phone (with the browser the tests launch)."""
    device = {key: value for key, value in playwright.devices[PHONE].items()
              if key != "default_browser_type"}
    return browser.new_context(**device).new_page()


def open_screen(page: Page, title: str) -> float:
    """Open a screen from the menu, which a phone keeps folded away off the screen; the
    seconds from the click until the screen is drawn in full."""
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
    box = link.bounding_box()
    if box is None or box["x"] + box["width"] <= 0:
        page.get_by_test_id("stExpandSidebarButton").click()
    expect(link).to_be_in_viewport()
    started = time.monotonic()
    link.click()
    expect(heading(page, title)).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    return time.monotonic() - started
