"""Each screen has its own browser title, the screen named first (WCAG 2.4.2): the browser's
tabs and a screen reader's list of windows tell them apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import Server, create_user_with_cli, start_server, stop
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    open_screen,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

MEMBER, MEMBER_PASSWORD = "maria", "Copper kettle meadow 5531"
SCREENS = ("My progress", "Steps", "Sharing", "Who viewed my data", "My data", "Today")


@pytest.fixture
def member_server(tmp_path) -> Iterator[Server]:
    create_user_with_cli(f"sqlite:///{tmp_path / 'browser.db'}", MEMBER, MEMBER_PASSWORD,
                         "--role", "member", "--name", "Maria Garcia")
    server, process = start_server(tmp_path)
    yield server
    stop(process)


def test_every_screen_has_its_own_title(page: Page, member_server: Server):
    page.goto(member_server.url)
    expect(heading(page, "Log in")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page).to_have_title("Log in · Recovery dashboard", timeout=RERUN_MS)
    titles = [page.title()]

    log_in(page, MEMBER, MEMBER_PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    expect(page).to_have_title("Today · Recovery dashboard", timeout=RERUN_MS)
    titles.append(page.title())
    for screen in SCREENS:
        open_screen(page, screen)
        expect(page).to_have_title(f"{screen} · Recovery dashboard", timeout=RERUN_MS)
        titles.append(page.title())

    assert len(set(titles)) == len(SCREENS) + 1, titles
