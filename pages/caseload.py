"""Caseload: every client who shares with the counselor, the most at risk first."""

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.labels import SEVERITY_LABELS
from dashboard.records import shared_members_overview

actor = ui.require_role("counselor")
with ui.transaction() as session:
    clients = shared_members_overview(session=session, actor=actor, purpose="counseling",
                                      screen="Caseload")

st.title("Caseload")
ui.confidentiality_notice()
if not clients:
    st.info("No client shares their data with you yet. Clients share from their Sharing page.")
    st.stop()

high = sum(1 for c in clients if c.risk == "high")
checked_in = [c for c in clients if c.checkins_7d is not None]
total, high_col, adherence = st.columns(3)
total.metric("Clients", len(clients))
high_col.metric("High risk", high)
if checked_in:
    adherence.metric("7-day adherence",
                     f"{sum(c.checkins_7d for c in checked_in) / (7 * len(checked_in)):.0%}")
st.dataframe(
    pd.DataFrame(
        [
            {
                "Client": c.display_name,
                "Risk": SEVERITY_LABELS.get(c.risk, "not shared") if c.risk else "not shared",
                "Last check-in": ui.not_shared(c.last_checkin),
                "Check-ins (7 days)": ui.not_shared(c.checkins_7d),
                "Mean mood": ui.not_shared(c.mean_mood_7d, "{:.1f}"),
                "Top craving": ui.not_shared(c.max_craving_7d),
                "Days sober": ui.not_shared(c.days_sober),
                "Step": ui.not_shared(c.current_step),
                "Open flags": ui.not_shared(c.open_flags),
            }
            for c in clients
        ]
    ),
    hide_index=True,
)
