"""Audit log: every recorded action, filtered, exported, and a member's accounting."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.audit_log import (
    MAX_ROWS,
    audit_actions,
    audit_chain_status,
    audit_csv,
    audit_log,
)
from dashboard.sharing import accounting_of_disclosures
from dashboard.timeutil import (
    end_of_local_day,
    local_today,
    moment_label,
    start_of_local_day,
)
from dashboard.users import list_accounts
from dashboard.web.database import transaction
from dashboard.web.forms import submit
from dashboard.web.session import require_role
from dashboard.web.widgets import date_field

actor = require_role("admin")
now = clock.now()
st.title("Audit log", anchor=False)
st.write("Every login, account change and access to member data, allowed or refused. "
         "Events are never deleted, and what they say is never changed: a list screen "
         "rerun by the same person within 30 minutes only adds to its event's count of "
         "times seen and its last time.")

with st.spinner("Checking the audit trail..."), transaction() as session:
    chain = audit_chain_status(session=session, actor=actor, now=now)
older = f" {chain.unchained} older events predate the chain." if chain.unchained else ""
pending = f" {chain.pending} newer events are not sealed yet." if chain.pending else ""
if chain.intact:
    st.success(f"The audit trail is intact: {chain.checked} events verified.{pending}{older}",
               icon=":material/verified_user:")
else:
    st.error(f"The audit trail was tampered with at event {chain.problem_id}: {chain.problem}. "
             f"{chain.checked} events before it verified.{older}", icon=":material/gpp_bad:")

today = local_today(actor.timezone, now)
with transaction() as session:
    actions = audit_actions(session=session, actor=actor)
    accounts = list_accounts(session=session, actor=actor)
usernames = [a.username for a in accounts]

who, whose, what, result = st.columns(4)
actor_filter = who.selectbox("Actor", [None, *usernames], format_func=lambda u: u or "Anyone")
member_filter = whose.selectbox("Member", [None, *usernames], format_func=lambda u: u or "Any")
action_filter = what.selectbox("Action", [None, *actions], format_func=lambda a: a or "Any")
outcome_filter = result.selectbox("Outcome", [None, "allowed", "denied"],
                                  format_func=lambda o: (o or "any").capitalize())
start, end = st.columns(2)
with start:
    since = date_field("From", value=today - timedelta(days=30), max_value=today,
                          help=f"Days in your time zone, {actor.timezone}.")
with end:
    until = date_field("To", value=today, max_value=today,
                          help=f"Days in your time zone, {actor.timezone}.")
if since > until:
    st.error("The start date is after the end date; choose dates in order.")
    st.stop()

with transaction() as session:
    rows = audit_log(
        session=session, actor=actor, now=now, actor_username=actor_filter,
        member_username=member_filter,
        action=action_filter, outcome=outcome_filter,
        since=start_of_local_day(since, actor.timezone),
        until=end_of_local_day(until, actor.timezone),
    )

st.caption(f"{len(rows)} events"
           + (f" (the newest {MAX_ROWS} shown)" if len(rows) == MAX_ROWS else ""))
st.dataframe(
    pd.DataFrame(
        [
            {
                f"When ({actor.timezone})": moment_label(r.at, actor.timezone, now=now),
                "Actor": r.actor,
                "Role": r.actor_role or "",
                "Action": r.action,
                "Member": r.member,
                "Categories": r.categories,
                "Screen": r.screen or "",
                "Outcome": r.outcome,
                "Times seen": r.seen_count,
                "Last seen": moment_label(r.last_seen_at, actor.timezone, now=now),
                "Detail": r.detail or "",
            }
            for r in rows
        ]
    ),
    hide_index=True,
)
st.download_button("Export these events (CSV)", data=audit_csv(rows),
                   file_name="audit-log.csv", mime="text/csv")

st.header("Accounting of disclosures for a member", anchor=False)
st.write("Who accessed one member's data in the last three years, as the member can see it.")
members = [a for a in accounts if "member" in a.roles]
if members:
    chosen = st.selectbox("Member account", [m.id for m in members],
                          format_func=lambda i: next(f"{m.display_name} ({m.username})"
                                                     for m in members if m.id == i))
    if st.button("Prepare the accounting"):
        with st.spinner("Preparing..."):
            submit(lambda session: accounting_of_disclosures(session=session, actor=actor,
                                                             member_id=chosen, now=now),
                   then=lambda csv_text: st.session_state.update(
                       {"admin_accounting": (chosen, csv_text)}), rerun=False)
    prepared = st.session_state.get("admin_accounting")
    if prepared and prepared[0] == chosen:
        st.download_button("Download accounting (CSV)", data=prepared[1],
                           file_name=f"accounting-member-{chosen}.csv", mime="text/csv")
