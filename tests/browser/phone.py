"""A phone in the browser tests: Playwright's emulation of one (a phone's user agent,
touch, 390 x 844), the menu it keeps folded away, and what "no sideways scrolling" and a
screen's height are measured on."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_first_run import RERUN_MS

PHONE = "iPhone 13"  # 390 x 844, a phone's user agent, touch
# The main area scrolls on its own: its height is the screen's, and sideways is its
# overflow or the document's.
MAIN_HEIGHT = "document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
SIDEWAYS = ("(() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
            " return Math.max(m.scrollWidth - m.clientWidth,"
            " document.documentElement.scrollWidth - document.documentElement.clientWidth); })()")


# The screen is drawn in full: its title is shown and its script run has finished.
_DRAWN = """title => document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state') === 'notRunning'
  && [...document.querySelectorAll('[data-testid="stMain"] h1')]
    .some(h => h.textContent.trim() === title && h.getClientRects().length > 0)"""


def wait_until_drawn(page: Page, title: str) -> None:
    """Until the screen `title` is drawn in full, looked at on every frame the browser
    draws. Playwright's `expect` looks again after 20, 50, 100, 100 and then every 500 ms:
    a screen drawn in 300 ms would be seen at 770, and its time would be the wait's."""
    page.wait_for_function(_DRAWN, arg=title, polling="raf", timeout=RERUN_MS)


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
    wait_until_drawn(page, title)
    return time.monotonic() - started
