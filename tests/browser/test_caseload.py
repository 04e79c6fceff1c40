"""The counselor's day in a real browser: filter the caseload to high risk, open a client,
and acknowledge their alert with an outreach note."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from dashboard import clock
from dashboard.flags import RULES, Day, FlagThresholds
from dashboard.timeutil import local_today
from dashboard.totp_codes import code_at
from models import Consent, Flag, User
from models.db import make_engine
from tests.browser.server import load_demo_with_cli, start_server, stop
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    open_screen,
    wait_until_idle,
)
from tests.factories import TOTP_SECRET

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "serenity-demo-2026"
ROW_PX = 34  # pages/caseload.py draws rows this tall


@pytest.fixture(scope="module")
def caseload_server(tmp_path_factory):
    """The demo on its own database; counselor1 has set up two-factor login, and one of
    their clients (who shares flags) reported use today. Yields (server, client, flag id)."""
    directory = tmp_path_factory.mktemp("caseload_server")
    database_url = load_demo_with_cli(directory, members=12, days=30)
    engine = make_engine(database_url)
    now = clock.now()
    with engine.begin() as db:
        db.execute(update(User).where(User.username == "counselor1").values(
            totp_secret=TOTP_SECRET, totp_enrolled_at=now - timedelta(days=30),
            totp_last_step=0))
        counselor_id = db.scalar(select(User.id).where(User.username == "counselor1"))
        member_id, name, zone = db.execute(
            select(User.id, User.display_name, User.timezone)
            .join(Consent, Consent.member_id == User.id)
            .where(Consent.recipient_id == counselor_id, Consent.purpose == "counseling",
                   Consent.share_flags, Consent.revoked_at.is_(None),
                   Consent.expires_at > now, Consent.starts_at <= now)
            .order_by(User.id).limit(1)).one()
        # The flag the rule raises for use reported on the client's own today.
        today = local_today(zone, now)
        used = next(rule for rule in RULES if rule.id == "used_substances")
        finding = used.check([Day(None, today, 1, 9, True, False, None)], FlagThresholds())
        flag_id = db.scalar(Flag.__table__.insert().returning(Flag.id).values(
            member_id=member_id, rule_id=used.id, severity=used.severity,
            raised_on=finding.raised_on, episode_key="browser-test",
            created_at=now, reason=finding.reason))
    engine.dispose()
    server, process = start_server(directory)
    yield server, name, flag_id
    stop(process)


def log_in_as_counselor(page: Page, server) -> None:
    # A code is good once, and the tests' clock stands still: the module's second login
    # would send the code the first one used. Its last used step is forgotten first, as
    # the next 30-second step would.
    engine = make_engine(server.database_url)
    with engine.begin() as db:
        db.execute(update(User).where(User.username == "counselor1").values(totp_last_step=0))
    engine.dispose()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url)
    log_in(page, "counselor1", DEMO_PASSWORD)
    expect(heading(page, "Two-factor login")).to_be_visible(timeout=FIRST_LOAD_MS)
    page.get_by_label("Authentication code").fill(code_at(TOTP_SECRET, clock.now()))
    page.get_by_role("button", name="Verify").click()
    expect(heading(page, "Caseload")).to_be_visible(timeout=FIRST_LOAD_MS)



def test_counselor_filters_to_high_risk_opens_the_client_and_acknowledges_the_alert(
        page: Page, caseload_server):
    server, client, flag_id = caseload_server
    log_in_as_counselor(page, server)
    table = page.get_by_test_id("stDataFrame")
    grid = table.get_by_role("grid", include_hidden=True)
    # The first page after login draws the table of every client.
    expect(grid.get_by_role("row", include_hidden=True).filter(has_text=client)).to_have_count(
        1, timeout=FIRST_LOAD_MS)

    risk = page.get_by_test_id("stMultiSelect").filter(has_text="Risk level")
    risk.click()
    page.get_by_role("option", name="High", exact=True).click()
    page.keyboard.press("Escape")
    showing = page.get_by_text(re.compile(r"^Showing \d+ of \d+ clients"))
    expect(showing).to_be_visible(timeout=RERUN_MS)
    high = int(re.match(r"Showing (\d+)", showing.text_content())[1])
    # Every client left is at high risk (the grid's accessible cells hold the level's word,
    # which a screen reader reads; the canvas draws its coloured label), ours among them.
    risk_cells = grid.locator('[role="gridcell"][aria-colindex="2"]')
    expect(risk_cells).to_have_text(["High"] * high, timeout=RERUN_MS)
    expect(grid.get_by_role("row", include_hidden=True).filter(has_text=client)).to_have_count(1)
    wait_until_idle(page)

    page.get_by_label("Search by name").fill(client)
    page.get_by_label("Search by name").press("Enter")
    expect(page.get_by_text("Showing 1 of", exact=False)).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    # The table is a canvas: select the row by its checkbox, left of the first row.
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_PX * 1.5)

    expect(heading(page, "Client detail")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_role("combobox", name="Client")).to_have_value(client)
    expect(page.get_by_text("Confidential", exact=False).first).to_be_visible()
    # The record's tables are drawn when asked for: the flags, with this client's.
    wait_until_idle(page)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    page.get_by_text("Every flag", exact=True).click()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1, timeout=RERUN_MS)
    wait_until_idle(page)
    # So is the contact log's form.
    expect(page.get_by_label("How were you in touch?")).to_have_count(0)
    page.get_by_text("Add an entry", exact=True).click()
    expect(page.get_by_role("radiogroup", name="How were you in touch?")).to_be_visible(
        timeout=RERUN_MS)
    wait_until_idle(page)

    open_screen(page, "Alerts")
    page.get_by_test_id("stMultiSelect").filter(has_text="Severity").click()
    page.get_by_role("option", name="High", exact=True).click()
    page.keyboard.press("Escape")
    card = page.locator(f".st-key-alert_{flag_id}")
    expect(card).to_contain_text(client, timeout=RERUN_MS)
    expect(card).to_contain_text("988")
    expect(card).to_contain_text("1-800-662-4357")
    wait_until_idle(page)
    # Each card's controls name its client.
    card.get_by_role("button", name=f"Acknowledge {client}'s flag\u2026", exact=True).click()
    expect(card.get_by_text("Called", exact=True)).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    card.get_by_text("Called", exact=True).click()
    card.get_by_label("Outreach note").fill("Called; meeting her at the clinic tomorrow")
    card.get_by_role("button", name=f"Acknowledge {client}'s flag", exact=True).click()

    expect(page.get_by_text(f"{client}: reported use acknowledged.")).to_be_visible(
        timeout=RERUN_MS)
    card = page.locator(f".st-key-alert_{flag_id}")
    expect(card).to_contain_text("Acknowledged by you \u00b7 today")
    expect(card).to_contain_text("\u00b7 Called")
    expect(card.get_by_role("button", name=f"Resolve {client}'s flag")).to_be_visible()

    # The card's link opens the client's detail, on them, with their name gone from the
    # address once read.
    wait_until_idle(page)
    card.get_by_role("link", name=f"Open {client}", exact=True).click()
    expect(heading(page, "Client detail")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_role("combobox", name="Client")).to_have_value(client)
    wait_until_idle(page)
    assert "client=" not in page.url


def tab_to(page: Page, target, most: int = 80) -> None:
    """Tab until `target` has the focus, as a keyboard user does."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{most} presses of Tab never reached {target}")


def test_counselor_opens_a_client_from_the_caseload_with_the_keyboard_alone(
        page: Page, caseload_server):
    """Caseload to Client detail without the mouse: the way is said above the table (a row
    of the grid opens with Shift+Space, which nobody can guess)."""
    server, client, _ = caseload_server
    log_in_as_counselor(page, server)
    expect(page.get_by_text('From the keyboard: choose the client in "Open a client"',
                            exact=False)).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    chooser = page.get_by_role("combobox", name="Open a client")
    link = page.get_by_role("link", name="Open client detail")
    tab_to(page, chooser)
    page.keyboard.type(client)
    expect(page.get_by_role("option", name=client, exact=True)).to_be_visible(
        timeout=RERUN_MS)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(chooser).to_have_value(client, timeout=RERUN_MS)
    expect(link).to_be_enabled(timeout=RERUN_MS)
    wait_until_idle(page)
    tab_to(page, link, most=10)
    page.keyboard.press("Enter")

    expect(heading(page, "Client detail")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_role("combobox", name="Client")).to_have_value(client)
    wait_until_idle(page)
    assert "client=" not in page.url
