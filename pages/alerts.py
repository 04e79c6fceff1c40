"""Alerts: open flags across the caseload, most severe and oldest first."""

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.labels import RULE_LABELS, SEVERITY_LABELS
from dashboard.records import open_flags_queue

actor = ui.require_role("counselor")
with ui.transaction() as session:
    alerts = open_flags_queue(session=session, actor=actor, purpose="counseling", screen="Alerts")

st.title("Alerts")
ui.confidentiality_notice()
if not alerts:
    st.success("No open flags among the clients who share flags with you.")
    st.stop()
if any(a.severity == "high" for a in alerts):
    st.caption("For a client in crisis: 988 Suicide & Crisis Lifeline; "
               "SAMHSA National Helpline 1-800-662-4357.")
st.dataframe(
    pd.DataFrame(
        [
            {
                "Severity": SEVERITY_LABELS[a.severity],
                "Client": a.display_name,
                "Rule": RULE_LABELS.get(a.rule_id, a.rule_id),
                "Raised": a.raised_on,
                "Reason": a.reason + (f": {a.quoted_text}" if a.quoted_text else ""),
                "Status": a.status.capitalize(),
            }
            for a in alerts
        ]
    ),
    hide_index=True,
)
