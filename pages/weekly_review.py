"""Weekly review: a card for each sponsee who shares with the sponsor."""

import streamlit as st

from dashboard import ui
from dashboard.labels import CATEGORY_LABELS, SEVERITY_LABELS, STEP_LABELS
from dashboard.records import shared_members_overview

actor = ui.require_role("sponsor")
with ui.transaction() as session:
    sponsees = shared_members_overview(session=session, actor=actor, purpose="sponsorship",
                                       screen="Weekly review")

st.title("Weekly review")
ui.confidentiality_notice()
if not sponsees:
    st.info("No sponsee shares their data with you yet. A sponsee shares from their Sharing page.")
    st.stop()

st.write(f"{len(sponsees)} sponsees share with you. The last 7 days:")
for s in sponsees:
    with st.container(border=True):
        st.subheader(s.display_name)
        st.caption("Shares: " + ", ".join(CATEGORY_LABELS[c] for c in sorted(s.categories)))
        checkins, mood, craving, step, flags = st.columns(5)
        checkins.metric("Check-ins", ui.not_shared(s.checkins_7d, "{} of 7"))
        mood.metric("Mean mood", ui.not_shared(s.mean_mood_7d, "{:.1f} / 5")
                    if s.checkins_7d != 0 else "no check-ins")
        craving.metric("Highest craving", ui.not_shared(s.max_craving_7d, "{} / 10")
                       if s.checkins_7d != 0 else "no check-ins")
        step.metric("Current step", ui.not_shared(s.current_step),
                    help=STEP_LABELS.get(s.current_step or 0))
        flags.metric("Open flags", ui.not_shared(s.open_flags),
                     help=f"Risk: {SEVERITY_LABELS.get(s.risk or '', 'not shared')}")
