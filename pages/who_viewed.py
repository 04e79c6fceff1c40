"""Who viewed my data: a diary of every access by someone else, allowed or refused, and
the accounting of every raw event."""

from datetime import timedelta

import streamlit as st

from dashboard import clock
from dashboard.access_diary import access_diary
from dashboard.sharing import accounting_of_disclosures, viewers_of_my_data
from dashboard.timeutil import end_of_local_day, local_today, start_of_local_day
from dashboard.web.database import transaction
from dashboard.web.session import require_role
from dashboard.web.widgets import date_field, plain

actor = require_role("member")
now = clock.now()
st.title("Who viewed my data", anchor=False)
st.write("Who opened your data, day by day, and who tried to without your consent. "
         f"Times are in your time zone, {actor.timezone}.")

today = local_today(actor.timezone, now)
with transaction() as session:
    viewers = viewers_of_my_data(session=session, actor=actor)
who, period = st.columns(2)
viewer_id = who.selectbox("Viewer", [None, *viewers],
                          format_func=lambda v: "Everyone" if v is None else viewers[v])
# From and To side by side, on a phone too (where the two columns stack).
dates = period.container(horizontal=True, gap="small")
with dates.container():
    since = date_field("From", value=today - timedelta(days=90), max_value=today)
with dates.container():
    until = date_field("To", value=today, max_value=today)
if since > until:
    st.error("The start date is after the end date; choose dates in order.")
    st.stop()

with transaction() as session:
    diary = access_diary(
        session=session, actor=actor, viewer_id=viewer_id,
        since=start_of_local_day(since, actor.timezone),
        until=end_of_local_day(until, actor.timezone), now=now,
    )

st.header("Visits", anchor=False)
if not diary.days:
    st.write("Nobody viewed your data in this period.")
else:
    st.markdown(f"**{diary.summary}**")
    # Lines under day headings, not a table: a phone reads them without scrolling sideways.
    # The days are headings of the level under "Visits", which a screen reader jumps along.
    for day in diary.days:
        with st.container(key=f"diary_{day.day.isoformat()}"):
            st.markdown(f"### {day.label}", anchors=False)
            st.markdown("\n".join(
                f"- {':orange[:material/block:] ' if v.outcome == 'denied' else ''}"
                f"**{plain(v.who)}** {plain(v.what)}"
                for v in day.visits))

st.header("Accounting of disclosures", anchor=False)
st.write("A file of every access to your data in the last three years, one row per "
         "visit, with how many times and its first and last time.")
if st.button("Prepare the file"):
    with st.spinner("Preparing..."), transaction() as session:
        st.session_state["accounting_csv"] = accounting_of_disclosures(session=session,
                                                                       actor=actor, now=now)
if "accounting_csv" in st.session_state:
    st.download_button("Download accounting (CSV)", data=st.session_state["accounting_csv"],
                       file_name="accounting-of-disclosures.csv", mime="text/csv")
