"""My progress: sobriety counter and check-in streak."""

import streamlit as st

from dashboard import ui
from dashboard.progress import checkin_streak
from dashboard.records import member_record

actor = ui.require_role("member")
with ui.transaction() as session:
    record = member_record(session=session, actor=actor, member_id=actor.id, purpose=None,
                           screen="My progress", days=90)

st.title("My progress")
streak = checkin_streak((c.local_date for c in record.checkins), record.today)
days_90 = len(record.checkins)
sober, streak_col, count = st.columns(3)
sober.metric("Days sober", record.days_sober, help=f"Since {record.sobriety_date:%d %B %Y}")
streak_col.metric("Check-in streak", f"{streak} days")
count.metric("Check-ins in the last 90 days", days_90)
st.write(
    f"You have {record.days_sober} days since {record.sobriety_date:%d %B %Y}, "
    f"a check-in streak of {streak} days, and {days_90} check-ins in the last 90 days."
)
