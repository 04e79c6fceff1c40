"""Entry script: the login gate, then the pages of the logged-in person's roles only.

Run with `streamlit run dashboard/app.py` from the repository root.
"""

from pathlib import Path

import streamlit as st

from dashboard import ui
from dashboard.navigation import CHANGE_PASSWORD, LOGIN, SETUP, Screen, menu_for

PAGES = Path(__file__).resolve().parents[1] / "pages"


def page(screen: Screen, default: bool = False) -> st.Page:
    return st.Page(PAGES / screen.file, title=screen.title, icon=screen.icon, default=default)


st.set_page_config(page_title="Recovery dashboard", page_icon=":material/spa:", layout="wide")

actor = ui.session_actor()
if actor is None:
    navigation = [page(SETUP if ui.needs_first_run() else LOGIN, default=True)]
elif actor.must_change_password:
    navigation = [page(CHANGE_PASSWORD, default=True)]
else:
    navigation = {
        section: [page(screen) for screen in screens]
        for section, screens in menu_for(actor.roles).items()
    }
    with st.sidebar:
        st.caption(f"Logged in as **{actor.display_name}** ({actor.username})")
        if st.button("Log out", icon=":material/logout:"):
            ui.end_session("logged out", notice="You have logged out.")
            st.rerun()

st.navigation(navigation).run()
