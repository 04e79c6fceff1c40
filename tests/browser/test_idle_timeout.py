"""A screen left alone clears itself at the idle limit, without anyone clicking; before it,
a warning whose "Stay logged in" keeps the session and what was typed; and a form saved
after the limit gives its typing back to the same person once they are in again."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import Server, create_user_with_cli, start_server, stop
from tests.browser.test_first_run import (
    RERUN_MS,
    heading,
    log_in,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

MEMBER, MEMBER_NAME, MEMBER_PASSWORD = "maria", "Maria Garcia", "Copper kettle meadow 5531"
JOURNAL = "Forty minutes of writing that must not be lost"
# The idle limit of the server below, and the warning's lead: half of a limit that short.
LIMIT_S, WARNING_LEAD_S = 60, 30


@pytest.fixture
def one_minute_server(tmp_path) -> Iterator[Server]:
    """The app with an idle limit of one minute, and one member."""
    create_user_with_cli(f"sqlite:///{tmp_path / 'browser.db'}", MEMBER, MEMBER_PASSWORD,
                         "--role", "member", "--name", MEMBER_NAME)
    server, process = start_server(tmp_path, env={"DASHBOARD_IDLE_TIMEOUT_MINUTES": "1"})
    yield server
    stop(process)


def test_an_idle_screen_gives_way_to_the_login_without_a_click(
    page: Page, one_minute_server: Server
):
    try:
        _left_alone_until_logged_out(page, one_minute_server)
    except AssertionError as error:
        raise AssertionError(f"{error}\nstreamlit output:\n{one_minute_server.output()[-5_000:]}"
                             ) from None


def _left_alone_until_logged_out(page: Page, one_minute_server: Server) -> None:
    page.goto(one_minute_server.url)
    # The session's last activity is the login's own run, after this instant: on a busy
    # machine the screen can take seconds more to settle, which must not count as idle.
    before_login = time.monotonic()
    log_in(page, MEMBER, MEMBER_PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(MEMBER_NAME)
    logging_in = time.monotonic() - before_login

    # Nothing touches the page from here: the limit plus one look of the watch.
    expect(heading(page, "Log in")).to_be_visible(timeout=90_000)
    waited = time.monotonic() - before_login
    # Not before the limit: the watch's own looks did not end it, nor count as activity.
    assert LIMIT_S <= waited <= LIMIT_S + 20 + logging_in, (waited, logging_in)
    expect(page.get_by_text("without activity")).to_be_visible()
    wait_until_idle(page)
    # The warning went with the data on screen.
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(heading(page, "Today")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_text("Logged in as")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(MEMBER_NAME)
    expect(page.get_by_label("Username", exact=True)).to_be_visible()


def _logged_in_on_today(page: Page, server: Server) -> None:
    page.goto(server.url)
    log_in(page, MEMBER, MEMBER_PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)


def with_output(server: Server, test) -> None:
    try:
        test()
    except AssertionError as error:
        raise AssertionError(f"{error}\nstreamlit output:\n{server.output()[-5_000:]}"
                             ) from None


def test_a_warning_before_the_limit_and_stay_logged_in_keeps_the_session_and_the_typing(
    page: Page, one_minute_server: Server
):
    with_output(one_minute_server, lambda: _warned_and_stayed(page, one_minute_server))


def _warned_and_stayed(page: Page, server: Server) -> None:
    _logged_in_on_today(page, server)
    journal = page.get_by_label("Journal", exact=True)
    journal.fill(JOURNAL)
    # Typing inside a form sends nothing: the stretch without activity began at the login.
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=(LIMIT_S + 15) * 1000)
    warned = time.monotonic()
    expect(dialog).to_contain_text("you will be logged out at")
    expect(dialog).to_contain_text("seconds")
    dialog.get_by_role("button", name="Stay logged in").click()
    expect(dialog).to_have_count(0, timeout=RERUN_MS)
    wait_until_idle(page)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(MEMBER_NAME)
    expect(journal).to_have_value(JOURNAL)

    # The next warning of a new stretch, and no login screen, past the first one's limit.
    expect(dialog).to_be_visible(timeout=(LIMIT_S + 15) * 1000)
    assert time.monotonic() - warned >= WARNING_LEAD_S, time.monotonic() - warned
    expect(heading(page, "Log in")).to_have_count(0)
    expect(journal).to_have_value(JOURNAL)


def test_a_journal_saved_after_the_limit_is_back_after_logging_in_again(
    page: Page, one_minute_server: Server
):
    with_output(one_minute_server, lambda: _saved_too_late(page, one_minute_server))


def _saved_too_late(page: Page, server: Server) -> None:
    # The browser's timers stand still while the limit passes, as in a tab a phone put to
    # sleep: the watch does not clear the screen first, and Save is pressed on it.
    page.clock.install()
    _logged_in_on_today(page, server)
    page.get_by_role("radio", name="4 Good").click()
    page.get_by_label("Journal", exact=True).fill(JOURNAL)
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)
    time.sleep(LIMIT_S + 2)
    page.get_by_role("button", name="Save check-in").click()
    page.clock.resume()

    expect(heading(page, "Log in")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_text("What you typed is kept")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(JOURNAL)
    log_in(page, MEMBER, MEMBER_PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    expect(page.get_by_text("back in the form, and not saved yet")).to_be_visible()
    expect(page.get_by_label("Journal", exact=True)).to_have_value(JOURNAL)
    expect(page.get_by_role("radio", name="4 Good")).to_be_checked()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Saved your check-in")).to_be_visible(timeout=RERUN_MS)
