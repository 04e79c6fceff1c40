"""Log in: also shown at the address of any protected screen before login."""

import pandas as pd
import streamlit as st

from dashboard import auth, clock
from dashboard.account_resets import redeem_reset_code
from dashboard.config import settings
from dashboard.login_throttle import THROTTLE
from dashboard.web.database import transaction
from dashboard.web.drafts import kept_from_before_a_restart
from dashboard.web.forms import submit
from dashboard.web.session import NOTICE_KEY, start_session

st.title("Log in", anchor=False)
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.info(notice)
elif kept_from_before_a_restart():
    st.info("The dashboard was restarted, so you were logged out and nothing was saved. Log "
            "in again: what you typed is kept, and back in the form once you are in.",
            icon=":material/restart_alt:")

# Cleared after every try, so a typed password never stays on the screen.
with st.form("login", clear_on_submit=True):
    username = st.text_input("Username", max_chars=64, autocomplete="username")
    password = st.text_input("Password", type="password", max_chars=128,
                             autocomplete="current-password")
    submitted = st.form_submit_button("Log in", type="primary")
if submitted:
    now = clock.now()
    address = st.context.ip_address
    proof = None
    if not THROTTLE.would_refuse(address=address, username=auth.normalize_username(username),
                                 now=now):
        # The slow hash between two short transactions, never inside the write turn.
        with transaction() as session:
            stored = auth.stored_password_hash(session=session, username=username)
        proof = auth.prove_password(password=password, stored_hash=stored)
    result = submit(lambda session: auth.log_in(session=session, username=username,
                                                password=password, settings=settings(),
                                                now=now, client_address=address,
                                                proof=proof),
                    rerun=False)
    if result is not None and result.ok:
        start_session(result.actor)
        st.rerun()
    if result is not None:
        st.error(result.error)

with st.expander("I have a reset code"):
    st.write("An administrator gives you a reset code in person when you have forgotten "
             "your password. With it you choose a new one here.")
    with st.form("reset_code", clear_on_submit=True):
        reset_username = st.text_input("Your username", max_chars=64, key="reset_username",
                                       autocomplete="username")
        code = st.text_input("Reset code", max_chars=64, placeholder="abcd-efgh-jkmn-pqrs",
                             autocomplete="off",
                             help="The code an administrator gave you, good for 24 hours.")
        new_password = st.text_input(
            "New password", type="password", max_chars=128, autocomplete="new-password",
            help="12 to 128 characters. A short phrase of your own works well; well-known "
                 "passwords and phrases are refused.")
        new_password_slot = st.empty()
        confirm = st.text_input("Confirm new password", type="password", max_chars=128,
                                autocomplete="new-password")
        confirm_slot = st.empty()
        redeemed = st.form_submit_button("Choose the new password")
    if redeemed:
        now = clock.now()
        result = submit(lambda session: redeem_reset_code(
            session=session, username=reset_username, code=code, new_password=new_password,
            confirm_password=confirm, settings=settings(), now=now,
            client_address=st.context.ip_address),
            errors={"new_password": new_password_slot, "confirm_password": confirm_slot},
            rerun=False)
        if result is not None and result.ok:
            start_session(result.actor, via_reset_code=True)
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
