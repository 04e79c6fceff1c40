"""A member without a mouse: logs in, checks in and grants a consent with the keyboard
alone (Tab, arrows, Space, Enter and typing), as someone who cannot use a pointer does.
(A counselor opening a client from Caseload by keyboard: tests/browser/test_caseload.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import CheckIn, Consent
from models.db import make_engine
from tests.browser.server import Server, create_user_with_cli, start_server, stop
from tests.browser.test_first_run import FIRST_LOAD_MS, RERUN_MS, heading, wait_until_idle

pytestmark = pytest.mark.browser

MEMBER, MEMBER_NAME, MEMBER_PASSWORD = "rosa", "Rosa Delgado", "Lantern harbour 8812 quiet"
SPONSOR, SPONSOR_PASSWORD = "sam", "Granite orchard 4471 river"
MOST_TABS = 80

# The focused element, described by what a screen reader would say of it.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return '';
  const label = e.getAttribute('aria-label') || (e.labels && e.labels[0]
    ? e.labels[0].innerText : '') || e.innerText || e.value || '';
  // An icon's ligature name comes first, on a line of its own: the words are the last.
  const words = label.split(String.fromCharCode(10)).map(line => line.trim()).filter(Boolean);
  return (e.getAttribute('role') || e.tagName.toLowerCase()) + ': ' + (words.pop() || '');
}"""


# The text of the message that holds the focus, if a message does.
FOCUSED_MESSAGE = """() => {
  const message = document.activeElement
    && document.activeElement.closest('[data-testid="stAlertContainer"]');
  return message ? message.innerText : '';
}"""


@pytest.fixture
def member_server(tmp_path) -> Iterator[Server]:
    """A member with nothing recorded yet, and a sponsor to share with."""
    database_url = f"sqlite:///{tmp_path / 'browser.db'}"
    create_user_with_cli(database_url, MEMBER, MEMBER_PASSWORD, "--role", "member",
                         "--name", MEMBER_NAME)
    create_user_with_cli(database_url, SPONSOR, SPONSOR_PASSWORD, "--role", "member",
                         "--role", "sponsor", "--name", "Sam Okafor")
    server, process = start_server(tmp_path)
    yield server
    stop(process)


def tab_to(page: Page, starts: str, *, backwards: bool = False) -> str:
    """Press Tab (or Shift+Tab) until the focused element's description starts with
    `starts` (FOCUSED's "role: label"); what it says. Fails if Tab never gets there."""
    seen = []
    for _ in range(MOST_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED)
        if focused.startswith(starts):
            return focused
        seen.append(focused)
    raise AssertionError(f"Tab never reached {starts!r}; it went through: {seen}")


def test_a_member_checks_in_and_shares_with_the_keyboard_alone(page: Page, member_server):
    page.goto(member_server.url)
    expect(heading(page, "Log in")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    tab_to(page, "input: Username")
    page.keyboard.type(MEMBER)
    tab_to(page, "input: Password")
    page.keyboard.type(MEMBER_PASSWORD)
    page.keyboard.press("Enter")
    expect(heading(page, "Today")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)

    # Today's check-in: a mood, yes to a hard day with its reason, and Save.
    tab_to(page, "radio: 1 Very low")  # the mood's choices: arrows move among them
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED) == "radio: 4 Good"
    page.keyboard.press("Space")
    tab_to(page, "button: Help for Hard day")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "input: No"  # the hard day's "No", chosen
    page.keyboard.press("ArrowRight")  # "Yes"
    tab_to(page, "textarea: Hard day reason")
    page.keyboard.type("Payday, and the old crowd at the bar")
    tab_to(page, "button: Save check-in")
    page.keyboard.press("Enter")
    expect(page.get_by_text("saved", exact=False).first).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    # The focus went to the confirmation, where a screen reader reads it out.
    page.wait_for_function(f"({FOCUSED_MESSAGE})().includes('Saved your check-in')",
                           timeout=RERUN_MS)

    # Sharing, reached from the menu by keyboard: share check-ins with the sponsor.
    tab_to(page, "a: ", backwards=True)
    link = tab_to(page, "a: ")
    while not link.endswith("Sharing"):
        link = tab_to(page, "a: ")
    page.keyboard.press("Enter")
    expect(heading(page, "Sharing")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    tab_to(page, "input: Username of your sponsor or counselor")
    page.keyboard.type(SPONSOR)
    tab_to(page, "input: Sponsorship")
    page.keyboard.press("Space")
    tab_to(page, "button: Check-ins")
    page.keyboard.press("Space")
    # Shared before signing: refused, and the focus is on what to change.
    tab_to(page, "button: Share")
    page.keyboard.press("Enter")
    page.wait_for_function(f"({FOCUSED_MESSAGE})().includes('full name')", timeout=RERUN_MS)
    wait_until_idle(page)
    tab_to(page, "input: Type your full name to sign", backwards=True)
    page.keyboard.type(MEMBER_NAME)
    tab_to(page, "input: I understand")
    page.keyboard.press("Space")
    tab_to(page, "button: Share")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"You now share with {SPONSOR}.")).to_be_visible(timeout=RERUN_MS)

    engine = make_engine(member_server.database_url)
    try:
        with engine.connect() as db:
            assert db.execute(select(CheckIn.mood, CheckIn.hard_day)).all() == [(4, True)]
            consent = db.execute(select(Consent.purpose, Consent.share_checkins,
                                        Consent.share_flags)).one()
    finally:
        engine.dispose()
    assert tuple(consent) == ("sponsorship", True, False)
