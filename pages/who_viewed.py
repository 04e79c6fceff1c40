"""Who viewed my data: every access by someone else, allowed or denied, and the accounting."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.labels import ACCESS_ACTION_LABELS, CATEGORY_LABELS, plural
from dashboard.sharing import (
    accounting_of_disclosures,
    viewers_of_my_data,
    views_of_my_data,
)
from dashboard.timeutil import (
    end_of_local_day,
    local_today,
    moment_label,
    start_of_local_day,
)
from dashboard.web.database import transaction
from dashboard.web.session import require_role
from dashboard.web.widgets import date_field

actor = require_role("member")
now = clock.now()
st.title("Who viewed my data")
st.write("Every time someone opened your data, or tried to without your consent. "
         f"Times are in your time zone, {actor.timezone}.")

today = local_today(actor.timezone, now)
with transaction() as session:
    viewers = viewers_of_my_data(session=session, actor=actor)
who, start, end = st.columns([2, 1, 1])
viewer_id = who.selectbox("Viewer", [None, *viewers],
                          format_func=lambda v: "Everyone" if v is None else viewers[v])
with start:
    since = date_field("From", value=today - timedelta(days=90), max_value=today)
with end:
    until = date_field("To", value=today, max_value=today)
if since > until:
    st.error("The start date is after the end date; choose dates in order.")
    st.stop()

with transaction() as session:
    accesses = views_of_my_data(
        session=session, actor=actor, viewer_id=viewer_id,
        since=start_of_local_day(since, actor.timezone),
        until=end_of_local_day(until, actor.timezone),
    )

if not accesses:
    st.write("Nobody viewed your data in this period.")
else:
    denied = sum(a.outcome == "denied" for a in accesses)
    st.caption(f"{plural(len(accesses), 'access', 'accesses')} in this period"
               + (f", of which {denied} refused because you had not shared that." if denied else "."))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When": moment_label(a.at, actor.timezone, now=now),
                    "Who": a.viewer_name,
                    "As": (a.viewer_role or "").capitalize(),
                    "What": ACCESS_ACTION_LABELS.get(a.action) or ", ".join(
                        CATEGORY_LABELS.get(c, c) for c in a.categories.split(",") if c),
                    "Screen": a.screen or "",
                    "Outcome": "Allowed" if a.outcome == "allowed" else "Refused",
                }
                for a in accesses
            ]
        ),
        hide_index=True,
    )

st.subheader("Accounting of disclosures")
st.write("A file of every access to your data in the last three years.")
if st.button("Prepare the file"):
    with st.spinner("Preparing..."), transaction() as session:
        st.session_state["accounting_csv"] = accounting_of_disclosures(session=session,
                                                                       actor=actor, now=now)
if "accounting_csv" in st.session_state:
    st.download_button("Download accounting (CSV)", data=st.session_state["accounting_csv"],
                       file_name="accounting-of-disclosures.csv", mime="text/csv")
