"""Which screens each role has: the menu is built from this, and so are the tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Screen:
    file: str
    title: str
    icon: str


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
        Screen("weekly_review.py", "Weekly review", ":material/calendar_view_week:"),
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
