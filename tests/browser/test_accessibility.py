"""Every screen of every role checked by axe-core (its WCAG 2.0, 2.1 and 2.2 A and AA
rules) in Chromium, at 1280 px and as a phone, with the main area scrolled through first.

axe-core comes from npm, pinned in package.json (`npm ci`). A violation fails the test
unless it is one of the framework's own items that the app cannot remove, each listed in
FRAMEWORK_ITEMS with the element it is found on, and in docs/accessibility.md with what it
does to a screen reader (test_the_menu_reaches_a_screen_reader_as_a_named_list_of_links
measures that) and its upstream issue. axe cannot read a chart's colours (canvas, SVG):
tests/unit/test_contrast.py checks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from dashboard import clock
from dashboard.totp_codes import code_at
from models import User
from models.db import make_engine
from tests.browser.phone import open_screen, phone_page
from tests.browser.server import REPO_ROOT, load_demo_with_cli, start_server, stop
from tests.browser.test_first_run import (
    FIRST_LOAD_MS,
    RERUN_MS,
    heading,
    log_in,
    wait_until_idle,
)
from tests.factories import TOTP_SECRET

pytestmark = pytest.mark.browser
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEMO_PASSWORD = "serenity-demo-2026"
STAFF = ("sponsor1", "counselor1", "admin")  # their logins ask for the second factor


@dataclass(frozen=True)
class FrameworkItem:
    """A violation Streamlit causes and the app cannot remove: the rule, and the part of
    the screen it is found in (the data-testid of the element or of one around it)."""

    rule: str
    within: str
    why: str


# Each also in docs/accessibility.md.
FRAMEWORK_ITEMS = (
    FrameworkItem("list", "stSidebarNavItems",
                  "the menu's <ul> holds <div>s around its <li>s"),
    FrameworkItem("listitem", "stSidebarNav", "the menu's <li>s are inside those <div>s"),
)

SCROLL_THROUGH = """async () => {
  const main = document.querySelector('[data-testid="stMain"]');
  const frame = () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  for (let top = 0; top < main.scrollHeight; top += main.clientHeight / 2) {
    main.scrollTop = top;
    await frame();
  }
  main.scrollTop = 0;
  await frame();
}"""
RUN_AXE = """async tags => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  const within = target => {
    const ids = [];
    for (let e = document.querySelector(target); e; e = e.parentElement) {
      if (e.dataset && e.dataset.testid) ids.push(e.dataset.testid);
    }
    return ids;
  };
  return result.violations.flatMap(v => v.nodes.map(n => ({
    rule: v.id, impact: v.impact, element: n.target.join(' '), html: n.html.slice(0, 160),
    summary: n.failureSummary, within: within(n.target[0])})));
}"""


def violations(page: Page) -> list[dict]:
    """axe-core's violations on the screen as drawn, but the framework's listed items."""
    wait_until_idle(page)
    page.evaluate(SCROLL_THROUGH)
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN_AXE, RULE_TAGS)
    return [v for v in found if not any(
        v["rule"] == item.rule and item.within in v["within"] for item in FRAMEWORK_ITEMS)]


def described(found: dict[str, list[dict]]) -> str:
    return "\n".join(f"{screen}: {v['rule']} ({v['impact']}) on {v['element']}\n"
                     f"    {v['html']}\n    {v['summary']}"
                     for screen, items in found.items() for v in items)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The demo on its own database, its staff set up for the second factor; yields the
    server's URL and the database's."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE.relative_to(REPO_ROOT)}: run `npm ci`")
    directory = tmp_path_factory.mktemp("accessibility")
    database_url = load_demo_with_cli(directory, members=12, days=30)
    server, process = start_server(directory, database_url=database_url)
    yield server.url, database_url
    stop(process)


def new_code_for(database_url: str, username: str) -> str:
    """An authentication code the account takes now: the account set up for the second
    factor, its last used step forgotten, as the next 30-second step would (a code is good
    once)."""
    engine = make_engine(database_url)
    with engine.begin() as db:
        db.execute(update(User).where(User.username == username).values(
            totp_secret=TOTP_SECRET, totp_enrolled_at=clock.now() - timedelta(days=30),
            totp_last_step=0))
    engine.dispose()
    return code_at(TOTP_SECRET, clock.now())


def sized_page(browser: Browser, playwright, size: str) -> Page:
    if size == "phone":
        return phone_page(browser, playwright)
    return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def menu_titles(page: Page) -> list[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_role("link")
    # A link's text is its icon's ligature name, then its title.
    return [text.strip().splitlines()[-1] for text in links.all_inner_texts()]


@pytest.mark.parametrize("size", ["1280", "phone"])
@pytest.mark.parametrize("username", ["member1", "sponsor1", "counselor1", "admin"])
def test_every_screen_of_every_role_passes_axe(demo_server, browser, playwright, username,
                                               size):
    url, database_url = demo_server
    page = sized_page(browser, playwright, size)
    found: dict[str, list[dict]] = {}
    code = new_code_for(database_url, username) if username in STAFF else None
    page.goto(url)
    expect(heading(page, "Log in")).to_be_visible(timeout=FIRST_LOAD_MS)
    found["Log in"] = violations(page)
    log_in(page, username, DEMO_PASSWORD)
    if code is not None:
        expect(heading(page, "Two-factor login")).to_be_visible(timeout=RERUN_MS)
        found["Two-factor login"] = violations(page)
        page.get_by_label("Authentication code").fill(code)
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_attached(timeout=RERUN_MS)
    wait_until_idle(page)
    titles = menu_titles(page)
    assert titles, "the menu lists the role's screens"
    for title in titles:
        open_screen(page, title)
        found[title] = violations(page)
        # A detail screen's record, with a person picked.
        if title in ("Client detail", "Sponsee detail"):
            picker = page.get_by_role("combobox", name=title.split()[0])
            picker.click()
            page.get_by_role("option").first.click()
            expect(page.get_by_text("Mood and craving")).to_be_visible(timeout=RERUN_MS)
            found[f"{title}, a person picked"] = violations(page)
        # The charts' days as text, opened.
        if title in ("My progress", "Caseload"):
            if title == "Caseload":
                page.get_by_text("Show charts of risk levels and recent check-ins").click()
                expect(heading(page, "Check-ins, last 28 days")).to_be_visible(
                    timeout=RERUN_MS)
            days = page.get_by_test_id("stExpander").filter(has_text="Day by day")
            days.get_by_text("Day by day").click()
            expect(days.get_by_test_id("stTable" if title == "Caseload" else "stDataFrame")
                   ).to_be_visible(timeout=RERUN_MS)
            found[f"{title}, day by day"] = violations(page)
    found = {screen: items for screen, items in found.items() if items}
    assert not found, "axe-core found:\n" + described(found)


@pytest.mark.parametrize("size", ["1280", "phone"])
def test_the_two_factor_set_up_screen_passes_axe(demo_server, browser, playwright, size):
    url, _ = demo_server
    page = sized_page(browser, playwright, size)
    page.goto(url)
    # A sponsor of the demo who has not set up the second factor yet.
    log_in(page, "sponsor2", DEMO_PASSWORD)
    expect(heading(page, "Set up two-factor login")).to_be_visible(timeout=RERUN_MS)
    found = violations(page)
    assert not found, "axe-core found:\n" + described({"two-factor set-up": found})


@pytest.mark.parametrize("size", ["1280", "phone"])
def test_the_first_run_screen_passes_axe(fresh_server, browser, playwright, size):
    page = sized_page(browser, playwright, size)
    page.goto(fresh_server.url)
    expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=FIRST_LOAD_MS)
    found = violations(page)
    assert not found, "axe-core found:\n" + described({"first run": found})


def accessibility_tree_of_the_menu(page: Page) -> list[tuple[int, str, str]]:
    """The menu as Chromium gives it to a screen reader: (depth, role, name) of each node
    under the navigation landmark, leaving out those it ignores and plain containers."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    by_id = {node["nodeId"]: node for node in tree}
    shown: list[tuple[int, str, str]] = []

    def walk(node: dict, depth: int) -> None:
        role = node.get("role", {}).get("value")
        if not node.get("ignored") and role not in ("generic", "none", "StaticText",
                                                    "InlineTextBox"):
            shown.append((depth, role, node.get("name", {}).get("value", "")))
            depth += 1
        for child in node.get("childIds", []):
            if child in by_id:
                walk(by_id[child], depth)

    [menu] = [node for node in tree if node.get("role", {}).get("value") == "navigation"]
    walk(menu, 0)
    return shown


@pytest.mark.parametrize("username", ["member1", "counselor1"])
def test_the_menu_reaches_a_screen_reader_as_a_named_list_of_links(demo_server, browser,
                                                                   playwright, username):
    """axe's `list` and `listitem` (FRAMEWORK_ITEMS) find <div>s between the menu's <ul>
    and its <li>s. What a screen reader is given is Chromium's accessibility tree, where
    those <div>s are left out: a navigation landmark, "App pages", holding one list, each
    item of it one link, the screen shown marked current. A Streamlit upgrade that changes
    this fails here."""
    url, database_url = demo_server
    page = sized_page(browser, playwright, "1280")
    code = new_code_for(database_url, username) if username in STAFF else None
    page.goto(url)
    log_in(page, username, DEMO_PASSWORD)
    if code is not None:
        expect(heading(page, "Two-factor login")).to_be_visible(timeout=RERUN_MS)
        page.get_by_label("Authentication code").fill(code)
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_attached(timeout=RERUN_MS)
    wait_until_idle(page)
    titles = menu_titles(page)
    tree = accessibility_tree_of_the_menu(page)
    assert tree[0] == (0, "navigation", "App pages")
    assert [(depth, role) for depth, role, _ in tree if role == "list"] == [(1, "list")]
    items = [depth for depth, role, _ in tree if role == "listitem"]
    links = [(depth, name) for depth, role, name in tree if role == "link"]
    assert items == [2] * len(titles), tree
    assert links == [(3, title) for title in titles], tree
    # The screen shown is the one link marked current.
    current = page.get_by_test_id("stSidebarNav").locator('a[aria-current="page"]')
    expect(current).to_have_count(1)
    assert current.inner_text().strip().splitlines()[-1] == (
        page.get_by_role("heading", level=1).inner_text().strip())


# What the keyboard's focus looks like on the element focused now: on a radio button's or a
# checkbox's label (their own input is hidden), else on the element itself; the colour of
# what lies behind it, the first ancestor with a background of its own.
FOCUS_LOOK = """() => {
  const focused = document.activeElement;
  if (!focused || focused === document.body) return null;
  const kind = focused.matches('input[type="radio"]') ? 'radio'
    : focused.matches('input[type="checkbox"]') ? 'checkbox'
    : focused.closest('[data-testid="stSidebarNav"]') && focused.matches('a') ? 'menu link'
    : 'other';
  const shown = kind === 'radio' || kind === 'checkbox' ? focused.closest('label') : focused;
  const style = getComputedStyle(shown);
  // Behind the outline (drawn just outside the element): the background of the first
  // ancestor that reaches past it, not of a box the element itself covers.
  let behind = 'rgb(255, 255, 255)';
  const inside = shown.getBoundingClientRect();
  for (let e = shown.parentElement; e; e = e.parentElement) {
    const around = e.getBoundingClientRect();
    if (around.width < inside.width + 8 && around.height < inside.height + 8) continue;
    const colour = getComputedStyle(e).backgroundColor;
    if (colour && colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') {
      behind = colour; break;
    }
  }
  // A widget whose input is hidden draws its own focus elsewhere.
  const hidden = kind === 'other' && (style.opacity === '0' || inside.width < 2
                                      || inside.height < 2);
  return {kind, html: focused.outerHTML.slice(0, 120),
          visible: focused.matches(':focus-visible') && !hidden, style: style.outlineStyle,
          width: parseFloat(style.outlineWidth), colour: style.outlineColor, behind};
}"""


def test_the_keyboard_focus_can_be_seen_on_menu_links_radio_buttons_and_checkboxes(
        demo_server, browser, playwright):
    """WCAG 2.4.7 and 2.4.11: on the radio buttons, checkboxes and menu links Tab reaches
    on Today, the focus outline (dashboard/web/style.py) is drawn, 2 px or more and 3:1
    against what is behind it; a Streamlit upgrade that renames what the style reaches
    fails here."""
    from dashboard.contrast import NON_TEXT_RATIO, contrast_ratio

    url, _ = demo_server
    page = sized_page(browser, playwright, "1280")
    page.goto(url)
    log_in(page, "member1", DEMO_PASSWORD)
    expect(heading(page, "Today")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")  # from the top
    seen: dict[str, int] = {}
    for _ in range(80):
        page.keyboard.press("Tab")
        look = page.evaluate(FOCUS_LOOK)
        # Radio buttons, checkboxes and the menu's links: where Streamlit's own indicator
        # was faint. (Buttons and fields keep their own ring; the table draws its own.)
        if look is None or not look["visible"] or look["kind"] == "other":
            continue
        assert look["style"] != "none" and look["width"] >= 2, look
        assert contrast_ratio(look["colour"], look["behind"]) >= NON_TEXT_RATIO, look
        seen[look["kind"]] = seen.get(look["kind"], 0) + 1
    assert {"menu link", "radio", "checkbox"} <= set(seen), seen
