"""Consent and the weekly review in a real browser: a member shares and revokes, a sponsor
works a flag and marks the week reviewed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.server import (
    create_user_with_cli,
    load_demo_with_cli,
    start_server,
    stop,
)
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    open_screen,
    set_up_two_factor,
    wait_until_idle,
)

pytestmark = pytest.mark.browser
PASSWORD = "Quiet harbour morning 2231"
DEMO_PASSWORD = "serenity-demo-2026"



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
    expect(heading(sponsor, "Today")).to_be_visible(timeout=RERUN_MS)
    open_screen(sponsor, "Weekly review")
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


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo_server")
    load_demo_with_cli(directory, members=24, days=35)
    server, process = start_server(directory)
    yield server
    stop(process)


def test_sponsor_acknowledges_a_flag_and_marks_the_week_reviewed(page: Page, demo_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo_server.url)
    log_in(page, "sponsor1", DEMO_PASSWORD)
    expect(heading(page, "Set up two-factor login")).to_be_visible(timeout=FIRST_LOAD_MS)
    set_up_two_factor(page, DEMO_PASSWORD)  # a sponsor's first login
    expect(heading(page, "Today")).to_be_visible(timeout=RERUN_MS)
    open_screen(page, "Weekly review")

    first_form = page.get_by_test_id("stForm").filter(has_text="How did you reach out?").first
    expect(first_form).to_be_visible(timeout=RERUN_MS)
    first_form.get_by_text("Called", exact=True).click()
    first_form.get_by_label("Outreach note").fill("Called after the meeting")
    first_form.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("acknowledged.", exact=False).first).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)

    review_form = page.get_by_test_id("stForm").filter(has_text="Private note").first
    review_form.get_by_role("textbox", name="Private note").fill("Good talk on Sunday")
    review_form.get_by_role("button", name="Mark this week reviewed").click()
    expect(page.get_by_text("reviewed.", exact=False).first).to_be_visible(timeout=RERUN_MS)
    # The current week had no review yet in the demo: now one card is marked.
    expect(page.get_by_text("1 reviewed for this week", exact=False)).to_be_visible()
