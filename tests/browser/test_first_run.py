"""First run, logging in and the login gate, in a real browser against `streamlit run`."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from dashboard.auth import login_failed_message
from dashboard.config import Settings
from tests.browser.server import ADMIN_PASSWORD, ADMIN_USERNAME, Server

pytestmark = pytest.mark.browser

# The first page load opens and migrates the database; later reruns take a second or two.
FIRST_LOAD_MS = 45_000
RERUN_MS = 20_000


def heading(page: Page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def wait_until_idle(page: Page) -> None:
    """Until the page's script run has finished: the form a run is still drawing can redraw
    a field after something was typed into it."""
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=RERUN_MS)


def open_screen(page: Page, title: str) -> None:
    """Open a screen from the menu, and wait until it has been drawn in full."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(heading(page, title)).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)


def log_in(page: Page, username: str, password: str) -> None:
    expect(heading(page, "Log in")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    fields = {page.get_by_label("Username", exact=True): username,
              page.get_by_label("Password", exact=True): password}
    for field, value in fields.items():
        field.fill(value)
    for field, value in fields.items():
        expect(field).to_have_value(value)
    page.get_by_role("button", name="Log in", exact=True).click()


def set_up_two_factor(page: Page, password: str) -> str:
    """Set up two-factor login as a person with an authenticator app would, typing the key
    shown as text and confirming with their password; returns the key. Staff do this at
    their first login."""
    expect(heading(page, "Set up two-factor login")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")
           ).to_be_visible()
    secret = page.get_by_test_id("stCode").first.inner_text().replace(" ", "").strip()
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(heading(page, "Save your recovery codes")).to_be_visible(timeout=RERUN_MS)
    saved = page.get_by_text("I have saved my recovery codes somewhere safe")
    expect(saved).to_be_visible()
    # The run is over (the key of the set-up is gone): one block left, of ten codes.
    expect(page.get_by_test_id("stCode")).to_have_count(1)
    assert len(page.get_by_test_id("stCode").inner_text().split()) == 10
    saved.click()
    page.get_by_role("button", name="Continue", exact=True).click()
    return secret


def test_first_run_creates_an_administrator_who_logs_in_to_the_users_page(
    page: Page, fresh_server: Server
):
    page.goto(fresh_server.url)
    expect(heading(page, "Welcome to the recovery dashboard")).to_be_visible(
        timeout=FIRST_LOAD_MS)

    page.get_by_label("Username").fill("grace")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Password", exact=True).fill("Tidal orchard lantern 4417")
    page.get_by_label("Confirm password").fill("Tidal orchard lantern 4417")
    page.get_by_role("button", name="Create administrator").click()

    expect(heading(page, "Log in")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_text("Administrator created")).to_be_visible()
    expect(heading(page, "Welcome to the recovery dashboard")).to_have_count(0)

    log_in(page, "grace", "Tidal orchard lantern 4417")
    # An administrator sets up two-factor login before any page opens.
    secret = set_up_two_factor(page, "Tidal orchard lantern 4417")

    expect(heading(page, "Users")).to_be_visible(timeout=RERUN_MS)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Logged in as")).to_be_visible()
    expect(sidebar).to_contain_text("Grace Hopper")

    # st.dataframe paints a canvas; its cells are the canvas's accessible fallback table,
    # which screen readers read but which has no layout box, hence include_hidden.
    users_table = page.get_by_test_id("stDataFrame").get_by_role("grid", include_hidden=True)
    grace_row = users_table.get_by_role("row", include_hidden=True).filter(
        has=page.get_by_role("gridcell", name="grace", exact=True, include_hidden=True))
    expect(grace_row).to_have_count(1)
    expect(grace_row).to_contain_text("Grace Hopper")
    expect(grace_row).to_contain_text("admin")

    navigation = page.get_by_test_id("stSidebarNav")
    expect(navigation.get_by_role("link", name="Users", exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Audit log", exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Caseload", exact=True)).to_have_count(0)
    expect(navigation.get_by_role("link", name="Today", exact=True)).to_have_count(0)

    # The next login asks for a code from the app (the next one: each code works once).
    sidebar.get_by_role("button", name="Log out").click()
    log_in(page, "grace", "Tidal orchard lantern 4417")
    expect(heading(page, "Two-factor login")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    page.get_by_label("Authentication code").fill(
        pyotp.TOTP(secret).at(time.time(), counter_offset=1))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(heading(page, "Users")).to_be_visible(timeout=RERUN_MS)


@pytest.mark.parametrize("path", ["/users", "/audit_log", "/caseload", "/today"])
def test_a_direct_url_to_a_protected_page_shows_the_login_instead(
    page: Page, admin_server: Server, path: str
):
    page.goto(f"{admin_server.url}{path}")

    expect(heading(page, "Log in")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
    # The run that drew the login is finished: nothing of the protected page came with it.
    for protected in ("Users", "Audit log", "Caseload", "Today"):
        expect(heading(page, protected)).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_role("grid", include_hidden=True)).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_text("Logged in as")).to_have_count(0)


@pytest.mark.parametrize(
    ("username", "password"),
    [(ADMIN_USERNAME, "Not the right password 1"), ("nobody", ADMIN_PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
def test_a_failed_login_shows_the_one_generic_error_and_stays_on_log_in(
    page: Page, admin_server: Server, username: str, password: str
):
    page.goto(admin_server.url)
    log_in(page, username, password)

    errors = page.get_by_test_id("stAlertContentError")
    expect(errors).to_have_count(1, timeout=RERUN_MS)
    expect(errors).to_have_text(login_failed_message(Settings()))
    expect(heading(page, "Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(heading(page, "Users")).to_have_count(0)
    expect(page.get_by_text("Logged in as")).to_have_count(0)
