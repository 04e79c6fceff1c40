"""Change password (required after an administrator's reset)."""

import streamlit as st

from dashboard import auth, clock
from dashboard.config import settings
from dashboard.web.forms import show_flash, submit
from dashboard.web.session import require_login

actor = require_login()
st.title("Change password", anchor=False)
if actor.must_change_password:
    st.warning("An administrator reset your password. Choose a new one to continue.")
show_flash()

with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password", max_chars=128,
                            autocomplete="current-password")
    current_slot = st.empty()
    new = st.text_input("New password", type="password", max_chars=128,
                        autocomplete="new-password",
                        help="12 to 128 characters. A short phrase of your own works well; "
                             "well-known passwords and phrases are refused.")
    new_slot = st.empty()
    confirm = st.text_input("Confirm new password", type="password", max_chars=128,
                            autocomplete="new-password")
    confirm_slot = st.empty()
    submitted = st.form_submit_button("Change password", type="primary")

if submitted:
    submit(lambda session: auth.change_password(
        session=session, actor=actor, current_password=current, new_password=new,
        confirm_password=confirm, settings=settings(), now=clock.now()),
        errors={"current_password": current_slot, "new_password": new_slot,
                "confirm_password": confirm_slot},
        done="Your password is changed.")
