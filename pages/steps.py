"""Steps: where the member is in the twelve steps."""

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.labels import STEP_LABELS
from dashboard.records import member_record
from dashboard.tables import step_rows

actor = ui.require_role("member")
with ui.transaction() as session:
    record = member_record(session=session, actor=actor, member_id=actor.id, purpose=None,
                           screen="Steps", days=1)

st.title("Steps")
current = record.current_step
completed = sum(1 for s in record.steps if s.status == "completed")
if completed == 12:
    st.success("You have completed all twelve steps.")
else:
    st.info(f"You are on step {current}: {STEP_LABELS[current]}. {completed} of 12 completed.")
st.dataframe(pd.DataFrame(step_rows(record.steps, notes_shared=True)), hide_index=True)
