"""Log in: also shown at the address of any protected screen before login."""

import pandas as pd
import streamlit as st

from dashboard import auth, clock
from dashboard.config import settings
from dashboard.web.forms import submit
from dashboard.web.session import NOTICE_KEY, start_session

st.title("Log in")
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.info(notice)

# Cleared after every try, so a typed password never stays on the screen.
with st.form("login", clear_on_submit=True):
    username = st.text_input("Username", max_chars=64, autocomplete="username")
    password = st.text_input("Password", type="password", max_chars=128,
                             autocomplete="current-password")
    submitted = st.form_submit_button("Log in", type="primary")
if submitted:
    now = clock.now()
    result = submit(lambda session: auth.log_in(session=session, username=username,
                                                password=password, settings=settings(),
                                                now=now, client_address=st.context.ip_address),
                    rerun=False)
    if result is not None and result.ok:
        start_session(result.actor, now)
        st.rerun()
    if result is not None:
        st.error(result.error)

summary = st.session_state.get("demo_summary")
if summary:
    with st.expander("Demo accounts", expanded=True):
        st.write(f"Every demo account has the password `{summary.password}`.")
        st.dataframe(
            pd.DataFrame([{"Username": a.username, "Name": a.display_name,
                           "Roles": ", ".join(a.roles)} for a in summary.accounts]),
            hide_index=True, height=300,
        )
