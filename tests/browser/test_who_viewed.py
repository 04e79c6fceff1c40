"""Who viewed my data in a real browser: a counselor's reruns of Caseload read as one line
of the member's diary for that day, with as many times as the audit trail counts."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from dashboard import clock
from dashboard.timeutil import to_local
from dashboard.totp_codes import code_at
from models import AuditEvent, Consent, User
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
SEARCHES = ("a", "e", "an", "")


@pytest.fixture(scope="module")
def diary_server(tmp_path_factory):
    """The demo on its own database; counselor1 has set up two-factor login. Yields
    (server, the counselor's id and name, a client's username and id)."""
    directory = tmp_path_factory.mktemp("diary_server")
    database_url = load_demo_with_cli(directory, members=8, days=14)
    engine = make_engine(database_url)
    now = clock.now()
    with engine.begin() as db:
        db.execute(update(User).where(User.username == "counselor1").values(
            totp_secret=TOTP_SECRET, totp_enrolled_at=now - timedelta(days=30),
            totp_last_step=0))
        counselor_id, counselor = db.execute(
            select(User.id, User.display_name).where(User.username == "counselor1")).one()
        client_id, client = db.execute(
            select(User.id, User.username)
            .join(Consent, Consent.member_id == User.id)
            .where(Consent.recipient_id == counselor_id, Consent.purpose == "counseling",
                   Consent.revoked_at.is_(None), Consent.expires_at > now,
                   Consent.starts_at <= now)
            .order_by(User.id).limit(1)).one()
    engine.dispose()
    server, process = start_server(directory)
    yield server, counselor_id, counselor, client, client_id
    stop(process)


def run_caseload_several_times(page: Page, url: str) -> None:
    """Log in as counselor1 (landing on Caseload), then rerun it: a search typed, changed
    and cleared."""
    page.goto(url)
    log_in(page, "counselor1", DEMO_PASSWORD)
    expect(heading(page, "Two-factor login")).to_be_visible(timeout=FIRST_LOAD_MS)
    page.get_by_label("Authentication code").fill(code_at(TOTP_SECRET, clock.now()))
    page.get_by_role("button", name="Verify").click()
    expect(heading(page, "Caseload")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.get_by_text("Showing", exact=False).first).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    search = page.get_by_label("Search by name")
    for typed in SEARCHES:
        search.fill(typed)
        search.press("Enter")
        expect(search).to_have_value(typed)
        wait_until_idle(page)


def caseload_runs_by_day(server, *, counselor_id: int, client_id: int) -> dict[str, int]:
    """The runs of Caseload that disclosed the client to the counselor, by the client's
    day: the sum of seen_count, whether each run wrote an event or extended one."""
    engine = make_engine(server.database_url)
    with engine.connect() as db:
        zone = db.scalar(select(User.timezone).where(User.id == client_id))
        events = db.execute(
            select(AuditEvent.at, AuditEvent.seen_count)
            .where(AuditEvent.actor_id == counselor_id, AuditEvent.member_id == client_id,
                   AuditEvent.screen == "Caseload", AuditEvent.action == "view",
                   AuditEvent.outcome == "allowed")).all()
    engine.dispose()
    runs: dict[str, int] = defaultdict(int)
    for at, times in events:
        runs[to_local(at, zone).date().isoformat()] += times
    return dict(runs)


def how_often(times: int) -> str:
    return {1: "once", 2: "twice"}.get(times, f"{times} times")


def test_a_counselors_reruns_of_caseload_are_one_line_of_the_members_day(
        browser: Browser, diary_server):
    server, counselor_id, counselor, client, client_id = diary_server
    counselor_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    run_caseload_several_times(counselor_page, server.url)

    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    member.goto(server.url)
    log_in(member, client, DEMO_PASSWORD)
    expect(heading(member, "Today")).to_be_visible(timeout=FIRST_LOAD_MS)
    open_screen(member, "Who viewed my data")

    runs = caseload_runs_by_day(server, counselor_id=counselor_id, client_id=client_id)
    # Several runs: the one after login and the searches (on a busy machine Streamlit may
    # fold two quick searches into one run, and a search may leave the client out).
    assert sum(runs.values()) >= 2
    for day, times in runs.items():
        lines = member.locator(f".st-key-diary_{day} li").filter(
            has_text=f"{counselor}, counselor,").filter(has_text="on Caseload")
        expect(lines).to_have_count(1, timeout=RERUN_MS)
        expect(lines).to_contain_text(f"saw you on Caseload {how_often(times)} ")
    expect(member.get_by_text(re.compile(r"^\d+ visits? by \d+ (person|people) in this period"))
           ).to_be_visible()
    # A diary of lines, not a table.
    expect(member.get_by_test_id("stDataFrame")).to_have_count(0)
