"""Entry script: the login gate, then the pages of the logged-in person's roles only.

Run with `streamlit run dashboard/app.py` from the repository root.
"""

import os
from contextlib import nullcontext
from pathlib import Path

import streamlit as st

from dashboard.web.drafts import drop_typed_text, keep_typed_text, typed_since_shown
from dashboard.web.faults import told_plainly, warn_of_missing_key_files
from dashboard.web.forms import flash_for_one_run
from dashboard.web.navigation import (
    APP_NAME,
    browser_title,
    navigation_for,
    unavailable_pages,
)
from dashboard.web.session import (
    end_session,
    session_actor,
    tell_resets,
    watch_session_expiry,
)
from dashboard.web.style import page_style
from dashboard.web.widgets import plain

# Every file the app creates (the database and its log files, key files) is readable by its
# own user only: process state, set before the first run opens anything, not a setting.
os.umask(0o077)

# A local icon: a page icon named by a font glyph makes every browser fetch it from outside.
ICON = Path(__file__).resolve().parent / "static" / "icon.png"
st.set_page_config(page_title=APP_NAME, page_icon=str(ICON), layout="wide")
page_style()

# Before anything reads the database: what is being typed survives a run that fails.
keep_typed_text()
routed, actor = False, None
with told_plainly(st.container()) as outcome:
    # A form's Save pressed after the idle limit: what was typed waits for the same login.
    actor = session_actor(keep_on_timeout=typed_since_shown)
    pages, position = navigation_for(actor)
    if actor is not None and position == "sidebar":
        tell_resets(actor)
        warn_of_missing_key_files(actor)
    if actor is not None:
        with st.sidebar if position == "sidebar" else nullcontext():
            if position == "sidebar" and not actor.must_change_password:
                st.caption(f"Logged in as **{plain(actor.display_name)}** ({actor.username})")
                if st.button("Log out", icon=":material/logout:"):
                    end_session("logged out", notice="You have logged out.")
                    st.rerun()
            # Ends the session on time even when nobody touches the screen again.
            watch_session_expiry(actor.timezone)
    with flash_for_one_run():
        page = st.navigation(pages, position=position)
        # Each screen its own browser title (WCAG 2.4.2), named first: a tab or a screen
        # reader's list of windows tells them apart.
        st.set_page_config(page_title=browser_title(page.title))
        routed = True
        page.run()
if not routed:
    st.navigation(unavailable_pages(), position="hidden").run()
if outcome.fault is None and actor is not None:
    drop_typed_text()
