"""Which screens each role has, and the pages Streamlit routes to: the menu is built from
this, and so are the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard import clock
from dashboard.auth import Actor
from dashboard.policy import has_sharers
from dashboard.web.database import needs_first_run, transaction
from dashboard.web.session import two_factor_screen_needed

PAGES = Path(__file__).resolve().parents[2] / "pages"
APP_NAME = "Recovery dashboard"


def browser_title(screen_title: str) -> str:
    """The browser's title of a screen: "Today · Recovery dashboard"."""
    return f"{screen_title} · {APP_NAME}" if screen_title != APP_NAME else APP_NAME


@dataclass(frozen=True)
class Screen:
    file: str
    title: str
    icon: str


WEEKLY_REVIEW = Screen("weekly_review.py", "Weekly review", ":material/calendar_view_week:")

ROLE_SECTIONS: dict[str, tuple[str, tuple[Screen, ...]]] = {
    "member": ("My recovery", (
        Screen("today.py", "Today", ":material/today:"),
        Screen("my_progress.py", "My progress", ":material/trending_up:"),
        Screen("steps.py", "Steps", ":material/stairs:"),
        Screen("sharing.py", "Sharing", ":material/share:"),
        Screen("who_viewed.py", "Who viewed my data", ":material/visibility:"),
        Screen("my_data.py", "My data", ":material/download:"),
    )),
    "sponsor": ("Sponsoring", (
        WEEKLY_REVIEW,
        Screen("sponsee_detail.py", "Sponsee detail", ":material/person:"),
    )),
    "counselor": ("Counseling", (
        Screen("caseload.py", "Caseload", ":material/groups:"),
        Screen("alerts.py", "Alerts", ":material/notifications:"),
        Screen("client_detail.py", "Client detail", ":material/person_search:"),
    )),
    "admin": ("Administration", (
        Screen("users.py", "Users", ":material/manage_accounts:"),
        Screen("audit_log.py", "Audit log", ":material/fact_check:"),
    )),
}

SETUP = Screen("setup.py", "Set up", ":material/rocket_launch:")
LOGIN = Screen("login.py", "Log in", ":material/login:")
CHANGE_PASSWORD = Screen("account.py", "Change password", ":material/key:")
# Set-up and code entry of two-factor login: the only screen until the second factor passes.
TWO_FACTOR = Screen("two_factor.py", "Two-factor login", ":material/phonelink_lock:")
ACCOUNT_SECTION = "Account"


def menu_for(roles: frozenset[str]) -> dict[str, tuple[Screen, ...]]:
    """The sections and screens of a logged-in person, in menu order."""
    menu = {
        section: screens for role, (section, screens) in ROLE_SECTIONS.items() if role in roles
    }
    menu[ACCOUNT_SECTION] = (CHANGE_PASSWORD, TWO_FACTOR)
    return menu


PROTECTED = [screen for _, screens in ROLE_SECTIONS.values() for screen in screens]


def _page(screen: Screen, *, default: bool = False) -> st.Page:
    return st.Page(PAGES / screen.file, title=screen.title, icon=screen.icon, default=default)


def _at_every_protected_address(screen: Screen) -> list[st.Page]:
    """`screen` at the address of each protected screen too: a link to a protected screen
    shows it there, and once it is done, the screen itself (if the person's roles include
    it) instead of "page not found"."""
    return [st.Page(PAGES / screen.file, title=screen.title, url_path=Path(p.file).stem)
            for p in PROTECTED]


def navigation_for(actor: Actor | None) -> tuple[list | dict, str]:
    """The pages of this run and where the menu goes: (pages or sections, position)."""
    if actor is None and needs_first_run():
        return [_page(SETUP, default=True)], "sidebar"
    if actor is None:
        return [_page(LOGIN, default=True)] + _at_every_protected_address(LOGIN), "hidden"
    if two_factor_screen_needed(actor):
        # Password accepted, second factor (or its set-up) pending: this screen only. Its
        # own address is none of the menu's, so that afterwards the home screen opens.
        own = st.Page(PAGES / TWO_FACTOR.file, title=TWO_FACTOR.title, icon=TWO_FACTOR.icon,
                      url_path="second-factor", default=True)
        return [own] + _at_every_protected_address(TWO_FACTOR), "hidden"
    if actor.must_change_password:
        return [_page(CHANGE_PASSWORD, default=True)], "sidebar"
    home = home_screen(actor)
    return {section: [_page(screen, default=screen == home) for screen in screens]
            for section, screens in menu_for(actor.roles).items()}, "sidebar"


def home_screen(actor: Actor) -> Screen:
    """The screen a logged-in person lands on: Weekly review for a sponsor someone shares
    with (the reason a sponsor opens the app), else the first screen of their menu, Today
    for a member. Any other screen is one click away in the menu."""
    menu = menu_for(actor.roles)
    if actor.has_role("sponsor"):
        with transaction() as session:
            if has_sharers(session, viewer_id=actor.id, at=clock.now(), purpose="sponsorship"):
                return WEEKLY_REVIEW
    return next(iter(menu.values()))[0]


def _nothing_more() -> None:
    """The page of a run whose failure was already told (dashboard/web/faults.py)."""


def unavailable_pages() -> list[st.Page]:
    """Pages for a run that could not find out who is logged in (the database is down): at
    every address, so that the person stays where they are, with nothing more drawn."""
    addresses = [Path(screen.file).stem for screen in (*PROTECTED, LOGIN, SETUP,
                                                        CHANGE_PASSWORD, TWO_FACTOR)]
    return [st.Page(_nothing_more, title=APP_NAME, url_path=address,
                    default=index == 0) for index, address in enumerate(addresses)]
