"""A screen left alone clears itself at the idle limit, without anyone clicking."""

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
    log_in(page, MEMBER, MEMBER_PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(MEMBER_NAME)
    left_alone = time.monotonic()

    # Nothing touches the page from here: the limit (60 s) plus one look of the watch (15 s).
    expect(heading(page, "Log in")).to_be_visible(timeout=90_000)
    waited = time.monotonic() - left_alone
    # Not before the limit: the watch's own looks did not end it, nor count as activity.
    assert 55 <= waited <= 80, waited
    expect(page.get_by_text("without activity")).to_be_visible()
    wait_until_idle(page)
    expect(heading(page, "Today")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_text("Logged in as")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(MEMBER_NAME)
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
