"""Entry script: the login gate, then the pages of the logged-in person's roles only.

Run with `streamlit run dashboard/app.py` from the repository root.
"""

from pathlib import Path

import streamlit as st

from dashboard import ui
from dashboard.navigation import (
    CHANGE_PASSWORD,
    LOGIN,
    ROLE_SECTIONS,
    SETUP,
    TWO_FACTOR,
    Screen,
    menu_for,
)

PAGES = Path(__file__).resolve().parents[1] / "pages"
ICON = Path(__file__).resolve().parent / "static" / "icon.png"
PROTECTED = [screen for _, screens in ROLE_SECTIONS.values() for screen in screens]


def page(screen: Screen, default: bool = False) -> st.Page:
    return st.Page(PAGES / screen.file, title=screen.title, icon=screen.icon, default=default)


# A local icon: a page icon named by a font glyph makes every browser fetch it from outside.
st.set_page_config(page_title="Recovery dashboard", page_icon=str(ICON), layout="wide")

actor = ui.session_actor()
position = "sidebar"
if actor is None and ui.needs_first_run():
    navigation = [page(SETUP, default=True)]
elif actor is None:
    # A link to a protected screen shows the login form at that address, and after login
    # the screen itself (if the person's roles include it), instead of "page not found".
    navigation = [page(LOGIN, default=True)] + [
        st.Page(ui.login_screen, title=LOGIN.title, url_path=Path(screen.file).stem)
        for screen in PROTECTED
    ]
    position = "hidden"
elif ui.two_factor_screen_needed(actor):
    # Password accepted, second factor (or its set-up) pending: this screen only, also at
    # the address of a protected screen, which then opens once the code is right. Its own
    # address is none of the menu's, so that afterwards the person's home screen opens.
    navigation = [st.Page(PAGES / TWO_FACTOR.file, title=TWO_FACTOR.title, icon=TWO_FACTOR.icon,
                          url_path="second-factor", default=True)] + [
        st.Page(PAGES / TWO_FACTOR.file, title=TWO_FACTOR.title, url_path=Path(screen.file).stem)
        for screen in PROTECTED
    ]
    position = "hidden"
elif actor.must_change_password:
    navigation = [page(CHANGE_PASSWORD, default=True)]
else:
    navigation = {
        section: [page(screen) for screen in screens]
        for section, screens in menu_for(actor.roles).items()
    }
    with st.sidebar:
        st.caption(f"Logged in as **{ui.plain(actor.display_name)}** ({actor.username})")
        if st.button("Log out", icon=":material/logout:"):
            ui.end_session("logged out", notice="You have logged out.")
            st.rerun()

with ui.busy_database_message():
    st.navigation(navigation, position=position).run()
