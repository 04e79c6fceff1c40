"""Consent in a real browser: a member shares and revokes, and the sponsor sees it come and
go (the weekly review itself: test_weekly_review_phone.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.server import (
    create_user_with_cli,
    start_server,
    stop,
)
from tests.browser.test_first_run import (
    RERUN_MS,
    heading,
    log_in,
    open_screen,
    set_up_two_factor,
)

pytestmark = pytest.mark.browser
PASSWORD = "Quiet harbour morning 2231"



@pytest.fixture
def people_server(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'browser.db'}"
    create_user_with_cli(database_url, "maria", PASSWORD, "--role", "member",
                         "--name", "Maria Garcia")
    create_user_with_cli(database_url, "sam", PASSWORD, "--role", "member", "--role", "sponsor",
                         "--name", "Sam Sponsor")
    server, process = start_server(tmp_path)
    yield server
    stop(process)


def test_member_shares_sponsor_sees_member_revokes_sponsor_loses_sight(
        browser: Browser, people_server):
    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sponsor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    member.goto(people_server.url)
    log_in(member, "maria", PASSWORD)
    expect(heading(member, "Today")).to_be_visible(timeout=RERUN_MS)
    open_screen(member, "Sharing")
    member.get_by_role("textbox", name="Username of your sponsor or counselor").fill("sam")
    member.get_by_text("Sponsorship", exact=True).click()
    member.get_by_text("Check-ins", exact=True).click()
    member.get_by_text("Steps", exact=True).last.click()
    member.get_by_role("textbox", name="Type your full name to sign").fill("Maria Garcia")
    member.get_by_text("I understand that I can stop sharing at any time", exact=False).click()
    member.get_by_role("button", name="Share", exact=True).click()
    expect(member.get_by_text("You now share with sam.")).to_be_visible(timeout=RERUN_MS)

    sponsor.goto(people_server.url)
    log_in(sponsor, "sam", PASSWORD)
    set_up_two_factor(sponsor, PASSWORD)  # a sponsor's first login
    # Maria shares with sam: his home screen is his review of her week.
    expect(heading(sponsor, "Weekly review")).to_be_visible(timeout=RERUN_MS)
    expect(heading(sponsor, "Maria Garcia")).to_be_visible(timeout=RERUN_MS)
    open_screen(sponsor, "Sponsee detail")
    # Nobody's record until the sponsor picks someone (SPEC section 5).
    expect(sponsor.get_by_text("Choose a sponsee", exact=False)).to_be_visible(
        timeout=RERUN_MS)
    sponsor.get_by_role("combobox", name="Sponsee").click()
    sponsor.get_by_role("option", name="Maria Garcia", exact=True).click()
    expect(sponsor.get_by_text("Shares with you: Check-ins, Steps", exact=False)).to_be_visible(
        timeout=RERUN_MS)

    member.get_by_role("button", name="Stop sharing").click()
    member.get_by_role("button", name="Yes, stop sharing").click()
    expect(member.get_by_text("You stopped sharing with Sam Sponsor")).to_be_visible(
        timeout=RERUN_MS)

    open_screen(sponsor, "Weekly review")
    expect(sponsor.get_by_text("No sponsee shares their data with you yet",
                               exact=False)).to_be_visible(timeout=RERUN_MS)
    expect(heading(sponsor, "Maria Garcia")).to_have_count(0)

    open_screen(member, "Who viewed my data")
    sams = member.locator("li").filter(has_text="Sam Sponsor, sponsor,")
    expect(sams.filter(has_text="saw you on Weekly review")).to_have_count(1, timeout=RERUN_MS)
