"""My data: download what the dashboard holds about the member."""

import json

import streamlit as st

from dashboard import ui
from dashboard.records import member_record

actor = ui.require_role("member")
st.title("My data")
st.write("Download your profile, check-ins of the last year, steps and flags as one JSON file.")
with ui.transaction() as session:
    record = member_record(session=session, actor=actor, member_id=actor.id, purpose=None,
                           screen="My data", days=366)
document = {
    "name": record.display_name,
    "timezone": record.timezone,
    "sobriety_date": record.sobriety_date,
    "checkins": [c.__dict__ for c in record.checkins],
    "steps": [s.__dict__ for s in record.steps],
    "flags": [f.__dict__ for f in record.flags],
}
st.download_button(
    "Download my data (JSON)",
    data=json.dumps(document, default=str, indent=2),
    file_name="my-recovery-data.json",
    mime="application/json",
)
st.caption(f"{len(record.checkins)} check-ins, {len(record.flags)} flags.")
