"""First run: create the first administrator, or load a demo caseload to explore."""

from zoneinfo import available_timezones

import streamlit as st

from dashboard import clock
from dashboard.demo import load_demo
from dashboard.errors import ValidationError
from dashboard.users import create_first_admin
from dashboard.web.database import engine, needs_first_run
from dashboard.web.forms import show_errors, submit
from dashboard.web.session import NOTICE_KEY

st.title("Welcome to the recovery dashboard", anchor=False)
st.write(
    "This dashboard has no accounts yet. Create the first administrator to start for real, "
    "or load a demo caseload of made-up people to look around."
)
if not needs_first_run():
    st.info("This dashboard is already set up. Reload the page to log in.")
    st.stop()

TIMEZONES = sorted(available_timezones())
create, demo = st.columns(2, gap="large")

with create:
    st.header("Create the first administrator", anchor=False)
    with st.form("first_admin"):
        username = st.text_input("Username", max_chars=64, autocomplete="username")
        display_name = st.text_input("Full name", max_chars=120, autocomplete="name")
        password = st.text_input("Password", type="password", max_chars=128,
                                 autocomplete="new-password",
                                 help="12 to 128 characters. A short phrase of your own "
                                      "works well; well-known passwords and phrases are "
                                      "refused.")
        confirm = st.text_input("Confirm password", type="password", max_chars=128,
                                autocomplete="new-password")
        timezone = st.selectbox("Time zone", TIMEZONES, index=TIMEZONES.index("UTC"))
        submitted = st.form_submit_button("Create administrator", type="primary")
    if submitted:
        submit(lambda session: create_first_admin(
            session=session, username=username, display_name=display_name, password=password,
            confirm_password=confirm, timezone=timezone, now=clock.now()),
            then=lambda _: st.session_state.update(
                {NOTICE_KEY: "Administrator created. Log in with it now."}))

with demo:
    st.header("Or load a demo caseload", anchor=False)
    st.write(
        "Made-up members with a year of check-ins, sponsors and counselors, consents in every "
        "state and flags to work. Offered only while the dashboard has no accounts."
    )
    members = st.number_input("Demo members", min_value=10, max_value=2000, value=60, step=10)
    days = st.number_input("Days of history", min_value=30, max_value=365, value=180, step=30)
    if st.button("Load demo caseload"):
        bar = st.progress(0.0, text="Preparing the demo caseload...")
        try:
            summary = load_demo(engine=engine(), members=int(members), days=int(days),
                                now=clock.now(),
                                progress=lambda fraction, text: bar.progress(
                                    min(max(fraction, 0.0), 1.0), text=text))
        except ValidationError as error:
            show_errors(error)
        else:
            st.session_state["demo_summary"] = summary
            st.session_state[NOTICE_KEY] = ("The demo caseload is loaded. Log in with a demo "
                                            "account.")
            st.rerun()
