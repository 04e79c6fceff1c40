"""Audit log: every recorded action, newest first."""

from datetime import datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.audit_log import audit_log
from dashboard.timeutil import format_local

actor = ui.require_role("admin")
st.title("Audit log")

action, outcome, since = st.columns(3)
action_filter = action.text_input("Action", placeholder="e.g. login_failed")
outcome_filter = outcome.selectbox("Outcome", ["any", "allowed", "denied"])
since_date = since.date_input("Since", value=datetime.now(timezone.utc).date() - timedelta(days=30))

with ui.transaction() as session:
    rows = audit_log(
        session=session, actor=actor, action=action_filter.strip() or None,
        outcome=None if outcome_filter == "any" else outcome_filter,
        since=datetime.combine(since_date, time.min, tzinfo=timezone.utc),
    )

st.caption(f"{len(rows)} events (at most 1,000 shown)")
st.dataframe(
    pd.DataFrame(
        [
            {
                f"When ({actor.timezone})": format_local(r.at, actor.timezone),
                "Actor": r.actor,
                "Role": r.actor_role or "",
                "Action": r.action,
                "Member": r.member,
                "Categories": r.categories,
                "Screen": r.screen or "",
                "Outcome": r.outcome,
                "Detail": r.detail or "",
            }
            for r in rows
        ]
    ),
    hide_index=True,
)
