"""Sharing: who the member shares their data with, and the history of their consents."""

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.labels import CATEGORY_LABELS, PURPOSE_LABELS
from dashboard.sharing import consents_of_member
from dashboard.timeutil import format_local

actor = ui.require_role("member")
with ui.transaction() as session:
    consents = consents_of_member(session=session, actor=actor)

st.title("Sharing")
st.write("Nobody sees your data unless you share it with them here, and only what you choose.")


def table(rows):
    return pd.DataFrame(
        [
            {
                "With": f"{c.recipient_name} ({c.recipient_username})",
                "Purpose": PURPOSE_LABELS[c.purpose],
                "Shares": ", ".join(CATEGORY_LABELS[x] for x in c.categories),
                "Status": c.status.capitalize(),
                "Signed": c.signed_on,
                "Until": format_local(c.expires_at, actor.timezone),
                "Revoked": format_local(c.revoked_at, actor.timezone),
            }
            for c in rows
        ]
    )


current = [c for c in consents if c.status == "active"]
past = [c for c in consents if c.status != "active"]
st.subheader("Shared now")
if current:
    st.dataframe(table(current), hide_index=True)
else:
    st.write("You are not sharing your data with anyone.")
st.subheader("History")
if past:
    st.dataframe(table(past), hide_index=True)
else:
    st.write("No expired or revoked consents.")
