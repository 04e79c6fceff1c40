"""Entry script: the login gate, then the pages of the logged-in person's roles only.

Run with `streamlit run dashboard/app.py` from the repository root.
"""

from pathlib import Path

import streamlit as st

from dashboard.web.database import busy_database_message
from dashboard.web.forms import flash_for_one_run
from dashboard.web.navigation import navigation_for
from dashboard.web.session import end_session, session_actor
from dashboard.web.widgets import plain

# A local icon: a page icon named by a font glyph makes every browser fetch it from outside.
ICON = Path(__file__).resolve().parent / "static" / "icon.png"
st.set_page_config(page_title="Recovery dashboard", page_icon=str(ICON), layout="wide")

actor = session_actor()
pages, position = navigation_for(actor)
if actor is not None and position == "sidebar" and not actor.must_change_password:
    with st.sidebar:
        st.caption(f"Logged in as **{plain(actor.display_name)}** ({actor.username})")
        if st.button("Log out", icon=":material/logout:"):
            end_session("logged out", notice="You have logged out.")
            st.rerun()

with busy_database_message(), flash_for_one_run():
    st.navigation(pages, position=position).run()
