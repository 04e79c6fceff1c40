"""Alerts: the counselor's own queue of flags across the caseload, most severe and oldest
first, worked in place."""

from pathlib import Path

import streamlit as st

from dashboard import clock
from dashboard.alert_queue import PAGE_SIZE, alert_queue
from dashboard.follow_up import acknowledge_flag, resolve_flag
from dashboard.labels import (
    CRISIS_RESOURCES_SHORT,
    NEEDS_ACTION_HELP,
    OUTREACH_LABELS,
    OUTREACH_METHODS,
    RISK_HELP,
    RULE_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    plural,
)
from dashboard.timeutil import moment_label, on_day
from dashboard.web.database import transaction
from dashboard.web.drafts import typed_key, typed_or
from dashboard.web.flags_form import flag_action
from dashboard.web.forms import show_flash
from dashboard.web.member_record import detail_query
from dashboard.web.session import require_role
from dashboard.web.widgets import confidentiality_notice, plain, risk_badge

CLIENT_DETAIL = Path(__file__).resolve().parent / "client_detail.py"
SCREEN = "Alerts"
PURPOSE = "counseling"
PAGE = "alerts_page"  # the page asked for; the pager widget writes it when clicked
ACKNOWLEDGING = "alerts_acknowledging"  # the flag whose card shows its form

actor = require_role("counselor")
now = clock.now()

st.title("Alerts", anchor=False)
confidentiality_notice()
show_flash()

keep = {"persist_state": "session"}
severity_column, rule_column = st.columns(2)


def first_page() -> None:
    st.session_state[PAGE] = 1


severities = severity_column.multiselect(
    "Severity", list(reversed(SEVERITIES)), key="alerts_severities", on_change=first_page,
    format_func=SEVERITY_LABELS.get, placeholder="Any severity", **keep)
rules = rule_column.multiselect("Rule", list(RULE_LABELS), key="alerts_rules",
                                on_change=first_page, format_func=RULE_LABELS.get,
                                placeholder="Any rule", **keep)
with transaction() as session:
    queue = alert_queue(session=session, actor=actor, severities=severities, rule_ids=rules,
                        page=st.session_state.get(PAGE, 1), page_size=PAGE_SIZE, now=now)

counts = ", ".join(f"{n:,} {SEVERITY_LABELS[s].lower()}" for s, n in queue.by_severity.items())
if not sum(queue.by_severity.values()):
    st.success("Nothing needs your action among the clients who share flags with you.")
    st.stop()
matching = "1 flag matches" if queue.total == 1 else f"{queue.total:,} flags match"
st.caption(f"Your queue, not yet resolved by you: {counts}. {matching} the filters, most "
           "severe first, then the oldest. Each card also gives the client's risk now.",
           help=f"{NEEDS_ACTION_HELP} {RISK_HELP}")
if not queue.alerts:
    st.info("No flag matches these filters.")


def start_acknowledging(flag_id: int) -> None:
    st.session_state[ACKNOWLEDGING] = flag_id


def acknowledge(alert, method: str | None, note: str, fields: dict) -> None:
    flag_action(
        lambda session: acknowledge_flag(
            session=session, actor=actor, flag_id=alert.flag_id, outreach_method=method,
            outreach_note=note, purpose=PURPOSE, screen=SCREEN, now=now),
        done=f"{plain(alert.display_name)}: {alert.rule_label.lower()} acknowledged.",
        errors=fields)


def resolve(alert) -> None:
    flag_action(
        lambda session: resolve_flag(session=session, actor=actor, flag_id=alert.flag_id,
                                     purpose=PURPOSE, screen=SCREEN, now=now),
        done=f"{plain(alert.display_name)}: {alert.rule_label.lower()} resolved.")


for alert in queue.alerts:
    with st.container(border=True, key=f"alert_{alert.flag_id}"):
        raised = on_day(alert.raised_on, today=alert.client_today, short=True)
        if alert.days_open >= 2:
            raised += f" ({plural(alert.days_open, 'day')} ago)"
        st.markdown(
            f"{risk_badge(alert.severity, SEVERITY_LABELS[alert.severity])} "
            f"**{plain(alert.display_name)}** \u00b7 {alert.rule_label} \u00b7 raised "
            f"{raised} \u00b7 risk now: {SEVERITY_LABELS[alert.risk].lower()}")
        # Typed by people (the client's name and words): shown as typed, never as markdown.
        st.markdown(plain(alert.reason) + (f": \u201c{plain(alert.quoted_text)}\u201d"
                                              if alert.quoted_text else ""))
        if alert.severity == "high":
            st.markdown(f":material/call: {CRISIS_RESOURCES_SHORT}")
        # The card's actions in one row that wraps on a phone (no columns: a page of
        # twenty cards drawn with two columns each cost the page a sixth of its time).
        # Each card's controls name its client: a screen reader lists them out of their
        # card, where twenty of "Open client" could not be told apart. Names are typed by
        # people, and labels are drawn as markdown: `plain`.
        who = plain(alert.display_name)
        actions = st.container(horizontal=True, vertical_alignment="center")
        actions.page_link(CLIENT_DETAIL, label=f"Open {who}", icon=":material/person:",
                          query_params=detail_query("client", alert.member_id))
        if alert.status == "open" and st.session_state.get(ACKNOWLEDGING) != alert.flag_id:
            # One form at a time, in the card chosen: twenty open forms made a phone's
            # screen eight thousand pixels tall, and the page twice as slow to draw.
            actions.button(f"Acknowledge {who}'s flag\u2026", key=f"start_{alert.flag_id}",
                           icon=":material/edit_note:", on_click=start_acknowledging,
                           args=(alert.flag_id,),
                           help="Record how you reached out; it goes into your contact log.")
        elif alert.status == "open":
            with st.form(f"acknowledge_{alert.flag_id}", border=False):
                method_column, note_column, submit_column = st.columns(
                    [9, 4, 2], vertical_alignment="bottom")
                method = method_column.radio(
                    f"How did you reach out to {who}?", OUTREACH_METHODS, index=None,
                    horizontal=True, format_func=OUTREACH_LABELS.get,
                    key=f"method_{alert.flag_id}")
                # A refusal shows under the field it is about.
                fields = {"outreach_method": method_column.empty()}
                note_key = typed_key(f"note_{alert.flag_id}")
                note = note_column.text_input(
                    "Outreach note", max_chars=1000, key=note_key,
                    value=typed_or(note_key, ""),
                    placeholder="e.g. Talked 20 min, meeting tomorrow")
                fields["outreach_note"] = note_column.empty()
                if submit_column.form_submit_button(f"Acknowledge {who}'s flag",
                                                    key=f"acknowledge_{alert.flag_id}",
                                                    width="stretch"):
                    acknowledge(alert, method, note, fields)
        else:
            if actions.button(f"Resolve {who}'s flag", key=f"resolve_{alert.flag_id}",
                              icon=":material/done_all:"):
                resolve(alert)
            how = OUTREACH_LABELS.get(alert.outreach_method or "", "")
            st.markdown(":blue-badge[:material/check: Acknowledged] by you \u00b7 "
                        f"{moment_label(alert.acknowledged_at, actor.timezone, now=now)}"
                        + (f" \u00b7 {how}" if how else ""))

if queue.pages > 1:
    # A new pager whenever the number of pages changes, starting on the page shown (the
    # service keeps a page asked for within the pages there are).
    pager = f"alerts_pager_{queue.pages}"
    st.pagination(queue.pages, default=queue.page, key=pager, max_visible_pages=7,
                  on_change=lambda: st.session_state.update({PAGE: st.session_state[pager]}))
