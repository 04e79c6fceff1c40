"""Users: the administrator creates, deactivates, unlocks accounts and resets passwords."""

from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from dashboard import clock, users
from dashboard.labels import ROLES
from dashboard.timeutil import moment_label
from dashboard.web.database import transaction
from dashboard.web.forms import show_flash, submit
from dashboard.web.session import require_role

RESET_CODE_KEY = "users_reset_code"

actor = require_role("admin")
now = clock.now()
st.title("Users", anchor=False)

show_flash()

with transaction() as session:
    accounts = users.list_accounts(session=session, actor=actor)

st.dataframe(
    pd.DataFrame(
        [
            {
                "Username": a.username,
                "Name": a.display_name,
                "Roles": ", ".join(a.roles),
                "Active": "Yes" if a.is_active else "No",
                "Locked until": moment_label(a.locked_until, actor.timezone, now=now),
                "Must change password": "Yes" if a.must_change_password else "No",
                "Two-factor": "On" if a.two_factor_enrolled_at is not None
                else "Not set up yet" if a.two_factor_required else "Off",
                "Last login": moment_label(a.last_login_at, actor.timezone, now=now),
            }
            for a in accounts
        ]
    ),
    hide_index=True,
)


create, manage = st.columns(2, gap="large")
with create:
    st.header("Create an account", anchor=False)
    timezones = sorted(available_timezones())
    with st.form("create_account", clear_on_submit=False):
        # Another person's account: the browser must not fill in the administrator's own.
        username = st.text_input("Username", max_chars=64, autocomplete="off")
        display_name = st.text_input("Full name", max_chars=120, autocomplete="off")
        roles = st.multiselect("Roles", ROLES, default=["member"])
        timezone = st.selectbox("Time zone", timezones, index=timezones.index("UTC"))
        password = st.text_input("Temporary password", type="password", max_chars=128,
                                 autocomplete="new-password",
                                 help="The person must change it at their first login.")
        submitted = st.form_submit_button("Create account", type="primary")
    if submitted:
        submit(lambda session: users.create_account(
            session=session, actor=actor, username=username, display_name=display_name,
            password=password, roles=roles, timezone=timezone, now=now),
            done=f"Account {username.strip().lower()} created.")

with manage:
    st.header("Manage an account", anchor=False)
    by_id = {a.id: a for a in accounts}
    user_id = st.selectbox("Account", list(by_id),
                           format_func=lambda i: f"{by_id[i].display_name} ({by_id[i].username})")
    target = by_id[user_id]
    if target.is_active:
        if st.button("Deactivate", disabled=target.id == actor.id):
            submit(lambda session: users.set_account_active(
                session=session, actor=actor, user_id=user_id, active=False, now=now),
                done=f"{target.username} is deactivated and logged out.")
    elif st.button("Reactivate"):
        submit(lambda session: users.set_account_active(
            session=session, actor=actor, user_id=user_id, active=True, now=now),
            done=f"{target.username} is active again.")
    if target.locked_until is not None and st.button("Unlock"):
        submit(lambda session: users.unlock_account(session=session, actor=actor,
                                                    user_id=user_id, now=now),
               done=f"{target.username} is unlocked.")
    if target.two_factor_enrolled_at is not None and st.button(
            "Reset two-factor",
            help="For a lost or new phone: forgets their authenticator app and recovery "
                 "codes. Sponsors, counselors and administrators set it up again at their "
                 "next login; a member's login needs only the password until they do."):
        submit(lambda session: users.reset_two_factor(session=session, actor=actor,
                                                      user_id=user_id, now=now),
               done=f"Two-factor login of {target.username} is reset.")
    if st.button("Reset password",
                 help="Makes a code, good for 24 hours and once, with which the person "
                      "chooses a new password. You never learn their password, and they "
                      "are told of the reset at their next login."):
        submit(lambda session: users.reset_password(session=session, actor=actor,
                                                    user_id=user_id, now=now),
               then=lambda code: st.session_state.update(
                   {RESET_CODE_KEY: (target.username, code)}),
               done=f"A reset code for {target.username} is ready: see below.")
    made = st.session_state.get(RESET_CODE_KEY)
    if made and made[0] == target.username:
        st.markdown(f"**Reset code for {made[0]}**, shown this once:")
        st.code(made[1], language=None)
        st.caption("Hand it to the person yourself, in person or by phone, never by email "
                   "or chat. On the login screen they choose \"I have a reset code\" and "
                   "pick a new password. It works once, for 24 hours.")
        if st.button("I have handed it over", key="reset_code_done"):
            st.session_state.pop(RESET_CODE_KEY, None)
            st.rerun()
