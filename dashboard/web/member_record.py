"""One member's shared record on a sponsor's or a counselor's screen; each category the
member does not share says so."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.errors import NotFound
from dashboard.labels import (
    CATEGORY_LABELS,
    OUTREACH_LABELS,
    RULE_LABELS,
    SEVERITY_LABELS,
    STEP_LABELS,
)
from dashboard.member_charts import mood_craving_figure, mood_craving_summary
from dashboard.member_record import member_record, shared_member_choices
from dashboard.member_views import MemberRecord
from dashboard.record_tables import checkin_rows, step_rows
from dashboard.timeutil import day_label, last_local_day, moment_label
from dashboard.web.charts import chart
from dashboard.web.database import transaction
from dashboard.web.session import require_role
from dashboard.web.widgets import confidentiality_notice, day_columns, not_shared

# The member chosen on a list screen (Caseload, Alerts) and opened on the detail screen.
SELECTED_MEMBER_KEY = "selected_member_id"
RANGES = [7, 30, 90, 365]


def member_detail_screen(*, role: str, purpose: str, title: str, noun: str) -> None:
    """The detail screen of one shared member, for a sponsor or a counselor."""
    actor = require_role(role)
    now = clock.now()
    st.title(title)
    confidentiality_notice()
    with transaction() as session:
        choices = shared_member_choices(session=session, actor=actor, purpose=purpose, now=now)
    if not choices:
        st.info(f"No {noun} shares their data with you yet.")
        st.stop()
    options = list(choices)
    selected = st.session_state.get(SELECTED_MEMBER_KEY)
    member_id = st.selectbox(noun.capitalize(), options, format_func=choices.get,
                             index=options.index(selected) if selected in options else 0)
    st.session_state[SELECTED_MEMBER_KEY] = member_id
    days = st.segmented_control("Range", RANGES, default=30,
                                format_func=lambda d: f"{d} days") or 30
    try:
        with transaction() as session:
            record = member_record(session=session, actor=actor, member_id=member_id,
                                   purpose=purpose, screen=title, days=days, now=now)
    except NotFound as error:
        st.warning(str(error))
        st.stop()
    show_member_record(record, viewer_timezone=actor.timezone, now=now)


def show_member_record(record: MemberRecord, *, viewer_timezone: str, now: datetime) -> None:
    shared = record.categories
    if record.shared_until is not None:
        st.caption(
            "Shares with you: " + ", ".join(CATEGORY_LABELS[c] for c in sorted(record.categories))
            + ", until the end of "
            + day_label(last_local_day(record.shared_until, record.timezone), today=record.today,
                        relative=False) + "."
        )
    sober, step, flags = st.columns(3)
    sober.metric("Days sober", not_shared(record.days_sober))
    step.metric("Current step", not_shared(record.current_step),
                help=STEP_LABELS.get(record.current_step or 0))
    open_flags = None if record.flags is None else sum(f.status == "open" for f in record.flags)
    flags.metric("Open flags", not_shared(open_flags))

    st.subheader("Mood and craving")
    if record.checkins is None:
        st.write("Check-ins: not shared.")
    else:
        end = record.today
        start = end - timedelta(days=record.days - 1)
        figure = mood_craving_figure(record.checkins, start=start, end=end, categories=shared)
        for flag in record.flags or []:
            if start <= flag.raised_on <= end:
                figure.add_vline(x=flag.raised_on, line_dash="dot", line_width=1,
                                 line_color="#CC79A7" if flag.severity == "high" else "#999999")
        summary = mood_craving_summary(record.checkins, start=start, end=end, whose="their",
                                       categories=shared)
        if record.flags:
            summary += " Dotted lines mark the days a flag was raised."
        chart(figure, summary=summary)

        st.subheader("Check-ins")
        if not record.checkins:
            st.write("No check-ins in this range.")
        else:
            st.dataframe(pd.DataFrame(checkin_rows(record.checkins, categories=shared)),
                         hide_index=True, column_config=day_columns("Date"))

    st.subheader("Flag history")
    if record.flags is None:
        st.write("Hard days and flags: not shared.")
    elif not record.flags:
        st.write("No flags.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Raised": f.raised_on,
                        "Severity": SEVERITY_LABELS[f.severity],
                        "Rule": RULE_LABELS.get(f.rule_id, f.rule_id),
                        "Reason": f.reason + (f": \u201c{f.quoted_text}\u201d"
                                              if f.quoted_text else ""),
                        "Status": f.status.capitalize(),
                        "Outreach": OUTREACH_LABELS.get(f.outreach_method or "", ""),
                        "Acknowledged": moment_label(f.acknowledged_at, viewer_timezone, now=now),
                        "Resolved": moment_label(f.resolved_at, viewer_timezone, now=now),
                    }
                    for f in record.flags
                ]
            ),
            hide_index=True, column_config=day_columns("Raised"),
        )

    st.subheader("Step timeline")
    if record.steps is None:
        st.write("Steps: not shared.")
    else:
        st.dataframe(pd.DataFrame(step_rows(record.steps, categories=shared)), hide_index=True,
                     column_config=day_columns("Started", "Completed"))
