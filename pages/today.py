"""Today: whether today's check-in is done, and the last two weeks of check-ins."""

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.records import member_record
from dashboard.tables import checkin_rows

actor = ui.require_role("member")
with ui.transaction() as session:
    record = member_record(session=session, actor=actor, member_id=actor.id, purpose=None,
                           screen="Today", days=14)

st.title("Today")
st.caption(f"{record.today:%A %d %B %Y} in your time zone ({record.timezone})")
todays = [c for c in record.checkins if c.local_date == record.today]
if todays:
    st.success(f"You checked in today: mood {todays[0].mood}/5, craving {todays[0].craving}/10.")
else:
    st.info("You have not checked in yet today.")

st.subheader("Your last 14 days")
if record.checkins:
    st.dataframe(pd.DataFrame(checkin_rows(record.checkins, notes_shared=True)), hide_index=True)
else:
    st.write("No check-ins in the last 14 days.")
