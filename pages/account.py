"""Change password (required after an administrator's reset)."""

import streamlit as st

from dashboard import auth, clock, ui
from dashboard.errors import ValidationError

actor = ui.require_login()
st.title("Change password")
if actor.must_change_password:
    st.warning("An administrator reset your password. Choose a new one to continue.")

with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password", max_chars=128)
    new = st.text_input("New password", type="password", max_chars=128,
                        help="12 to 128 characters. A short phrase of your own works well; "
                                 "well-known passwords and phrases are refused.")
    confirm = st.text_input("Confirm new password", type="password", max_chars=128)
    submitted = st.form_submit_button("Change password", type="primary")

if submitted:
    try:
        with ui.transaction() as session:
            auth.change_password(session=session, actor=actor, current_password=current,
                                 new_password=new, confirm_password=confirm,
                                 settings=ui.settings(), now=clock.now())
    except ValidationError as error:
        ui.show_errors(error)
    else:
        st.session_state["password_changed"] = True
        st.rerun()

if st.session_state.pop("password_changed", False):
    st.success("Your password is changed.")
