"""Who viewed my data: every access by someone else, allowed or denied."""

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.sharing import views_of_my_data
from dashboard.timeutil import format_local

actor = ui.require_role("member")
with ui.transaction() as session:
    accesses = views_of_my_data(session=session, actor=actor)

st.title("Who viewed my data")
st.write("Every time someone opened your data, or tried to without your consent.")
if not accesses:
    st.write("Nobody has viewed your data yet.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    f"When ({actor.timezone})": format_local(a.at, actor.timezone),
                    "Who": a.viewer_name,
                    "As": (a.viewer_role or "").capitalize(),
                    "What": a.categories.replace(",", ", "),
                    "Screen": a.screen or "",
                    "Outcome": a.outcome.capitalize(),
                }
                for a in accesses
            ]
        ),
        hide_index=True,
    )
