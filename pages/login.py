"""Log in."""

import pandas as pd
import streamlit as st

from dashboard import auth, ui

st.title("Log in")
notice = st.session_state.pop(ui.NOTICE_KEY, None)
if notice:
    st.info(notice)

with st.form("login"):
    username = st.text_input("Username", max_chars=64, autocomplete="username")
    password = st.text_input("Password", type="password", max_chars=128,
                             autocomplete="current-password")
    submitted = st.form_submit_button("Log in", type="primary")

if submitted:
    with ui.transaction() as session:
        result = auth.log_in(session=session, username=username, password=password,
                             settings=ui.settings())
    if result.ok:
        ui.start_session(result.actor)
        st.rerun()
    st.error(result.error)

summary = st.session_state.get("demo_summary")
if summary:
    with st.expander("Demo accounts", expanded=True):
        st.write(f"Every demo account has the password `{summary.password}`.")
        st.dataframe(
            pd.DataFrame(
                [{"Username": a.username, "Name": a.display_name, "Roles": ", ".join(a.roles)}
                 for a in summary.accounts]
            ),
            hide_index=True, height=300,
        )
