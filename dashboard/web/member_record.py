"""One member's shared record on a sponsor's or a counselor's screen; each category the
member does not share says so."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.contact_log import (
    MAX_CONTACT_NOTE,
    MAX_DAYS_BACK,
    add_contact,
    contact_history,
)
from dashboard.errors import NotFound
from dashboard.labels import (
    CATEGORY_LABELS,
    CONTACT_KIND_LABELS,
    NEEDS_ACTION_HELP,
    OUTREACH_LABELS,
    OUTREACH_METHODS,
    RISK_HELP,
    RULE_LABELS,
    SEVERITY_LABELS,
    STEP_LABELS,
)
from dashboard.member_charts import (
    flag_mark,
    mark_days,
    mood_craving_figure,
    mood_craving_summary,
)
from dashboard.member_record import member_record, shared_member_choices
from dashboard.member_views import MemberRecord
from dashboard.record_tables import checkin_rows, step_rows
from dashboard.timeutil import day_label, last_local_day, local_today, moment_label
from dashboard.web.charts import chart
from dashboard.web.database import transaction
from dashboard.web.drafts import typed_key, typed_or
from dashboard.web.forms import show_flash, submit
from dashboard.web.session import require_role
from dashboard.web.widgets import (
    confidentiality_notice,
    date_field,
    day_columns,
    not_shared,
    plain,
)

CONTACT_PLACE = "contact_log"
# The picker's own state, per screen: kept across the screen's reruns, dropped by
# Streamlit once the viewer leaves, so that the screen opened from the menu picks nobody.
PICKER_KEY = "member_detail_picker_{purpose}"
RANGES = [7, 30, 90, 365]


# A list screen (Caseload, Alerts, Weekly review) opens a detail screen on a person with a
# link that names them in its query, ?client=12 or ?sponsee=12. The screen then opens in
# one run, as from the menu: a button that switched screens ran the list screen again
# first, a third of the time it took a browser to open a client. The detail screen reads
# the name once and drops it from the address; then its picker holds the choice.
def detail_query(noun: str, member_id: int) -> dict[str, str]:
    """The query of a link that opens the `noun`'s detail screen on the member."""
    return {noun: str(member_id)}


def _member_id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def member_detail_screen(*, role: str, purpose: str, title: str, noun: str) -> None:
    """The detail screen of one shared member, for a sponsor or a counselor."""
    actor = require_role(role)
    now = clock.now()
    named = st.query_params.pop(noun, None)  # from a list screen's link (detail_query)
    st.title(title, anchor=False)
    confidentiality_notice()
    with transaction() as session:
        choices = shared_member_choices(session=session, actor=actor, purpose=purpose, now=now)
    if not choices:
        st.info(f"No {noun} shares their data with you yet.")
        st.stop()
    # A disclosure is what the viewer chose to look at (SPEC section 5): nobody is picked,
    # read or audited until they pick someone, here or on a list screen. Listing the names
    # of those who share is not a disclosure of their data, and is not audited.
    picker = PICKER_KEY.format(purpose=purpose)
    if named is not None:
        handed = _member_id(named)
        if handed in choices:
            st.session_state[picker] = handed
        else:
            # The same words whether the account exists or not.
            st.warning(f"The link names no {noun} who shares their data with you now. "
                       f"Choose a {noun} below.")
    member_id = st.selectbox(noun.capitalize(), list(choices), index=None, key=picker,
                             format_func=choices.get, placeholder=f"Choose a {noun}")
    if member_id is None:
        st.info(f"Choose a {noun} to see what they share with you.")
        st.stop()
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
    contact_log_section(record, actor=actor, purpose=purpose, screen=title, now=now)


# The tables open when asked for, each drawn only then: a record's three tables made the
# detail screens twice as slow as Today to draw in a browser, and a screen taller on a
# phone. The figures above them, and the chart with its dotted flag days, give the record
# at a glance. A table opened stays open from one person to the next on the screen.
CHECKINS_TABLE, FLAGS_TABLE, STEPS_TABLE = (
    "record_checkins_table", "record_flags_table", "record_steps_table")
RECORD_TABLES = (CHECKINS_TABLE, FLAGS_TABLE, STEPS_TABLE)
CONTACT_FORM = "record_contact_form"


def table_on_request(label: str, key: str):
    # One label whoever is shown: a label of its own per person would close the table.
    return st.expander(label, key=key, on_change="rerun", icon=":material/table_rows:")


def show_member_record(record: MemberRecord, *, viewer_timezone: str, now: datetime) -> None:
    shared = record.categories
    if record.shared_until is not None:
        st.caption(
            "Shares with you: " + ", ".join(CATEGORY_LABELS[c] for c in sorted(record.categories))
            + ", until the end of "
            + day_label(last_local_day(record.shared_until, record.timezone), today=record.today,
                        relative=False) + "."
        )
    # Four figures of one width in a wrapping row: two by two on a phone, not a column.
    figures = st.container(horizontal=True, gap="medium")
    figures.metric("Risk", not_shared(SEVERITY_LABELS.get(record.risk or "")
                                      if record.risk else None), help=RISK_HELP, width=150)
    open_flags = None if record.flags is None else sum(f.status == "open" for f in record.flags)
    figures.metric("Needs my action", not_shared(open_flags), help=NEEDS_ACTION_HELP,
                   width=150)
    figures.metric("Days sober", not_shared(record.days_sober), width=150)
    figures.metric("Current step", not_shared(record.current_step),
                   help=STEP_LABELS.get(record.current_step or 0), width=150)

    # The record's parts are the sections of the screen: h2 under its title.
    st.header("Mood and craving", anchor=False)
    if record.checkins is None:
        st.write("Check-ins: not shared.")
    else:
        end = record.today
        start = end - timedelta(days=record.days - 1)
        figure = mood_craving_figure(record.checkins, start=start, end=end, categories=shared)
        mark_days(figure, [(flag.raised_on, *flag_mark(flag.severity))
                           for flag in record.flags or [] if start <= flag.raised_on <= end])
        summary = mood_craving_summary(record.checkins, start=start, end=end, whose="their",
                                       categories=shared)
        if record.flags:
            summary += (" Dashed lines mark the days a high flag was raised, dotted lines "
                        "the days of the others.")
        chart(figure, summary=summary)

        st.header("Check-ins", anchor=False)
        if not record.checkins:
            st.write("No check-ins in this range.")
        else:
            with table_on_request("Day by day", CHECKINS_TABLE) as days:
                if days.open:
                    st.dataframe(pd.DataFrame(checkin_rows(record.checkins, categories=shared)),
                                 hide_index=True, column_config=day_columns("Date"))

    st.header("Flag history", anchor=False)
    if record.flags is None:
        st.write("Hard days and flags: not shared.")
    elif not record.flags:
        st.write("No flags.")
    else:
        with table_on_request("Every flag", FLAGS_TABLE) as flags:
            if flags.open:
                flag_table(record, viewer_timezone=viewer_timezone, now=now)

    st.header("Step timeline", anchor=False)
    if record.steps is None:
        st.write("Steps: not shared.")
    else:
        with table_on_request("Every step", STEPS_TABLE) as steps:
            if steps.open:
                st.dataframe(pd.DataFrame(step_rows(record.steps, categories=shared)),
                             hide_index=True, column_config=day_columns("Started", "Completed"))


def flag_table(record: MemberRecord, *, viewer_timezone: str, now: datetime) -> None:
    st.dataframe(
        pd.DataFrame([
            {
                "Raised": f.raised_on,
                "Severity": SEVERITY_LABELS[f.severity],
                "Rule": RULE_LABELS.get(f.rule_id, f.rule_id),
                "Reason": f.reason + (f": \u201c{f.quoted_text}\u201d" if f.quoted_text else ""),
                "Your follow-up": f.status.capitalize(),
                "Outreach": OUTREACH_LABELS.get(f.outreach_method or "", ""),
                "Acknowledged": moment_label(f.acknowledged_at, viewer_timezone, now=now),
                "Resolved": moment_label(f.resolved_at, viewer_timezone, now=now),
            }
            for f in record.flags or []
        ]),
        hide_index=True, column_config=day_columns("Raised"),
    )


RECENT_CONTACTS = 8


def contact_log_section(record: MemberRecord, *, actor, purpose: str, screen: str,
                        now: datetime) -> None:
    """The viewer's own contact log with the member: a form to add an entry, opened on
    request, then the entries, newest first. Only the viewer sees it."""
    st.header("Your contact log", anchor=False)
    st.caption("Only you see this log; your last entry is the \"last contact\" on your "
               "lists. Acknowledging a flag or reviewing a week adds an entry too.")
    show_flash(place=CONTACT_PLACE)
    viewer_today = local_today(actor.timezone, now)
    # The form opens when asked for, as the record's tables do: drawn on every opening of
    # the screen, it took a tenth of a second in a browser, and most openings only read.
    with st.expander("Add an entry", key=CONTACT_FORM, on_change="rerun",
                     icon=":material/edit_note:") as new_entry:
        if new_entry.open:
            contact_form(record, actor=actor, purpose=purpose, screen=screen, now=now,
                         viewer_today=viewer_today)
    with transaction() as session:
        history = contact_history(session=session, actor=actor, member_id=record.member_id,
                                  categories=record.categories)
    if not history:
        st.write("No entries yet.")
        return
    # Lines, not a table: a note is read whole, on a phone too, never clipped in a cell.
    def line(entry) -> str:
        what = CONTACT_KIND_LABELS.get(entry.kind, "") + (f": {entry.about}" if entry.about else "")
        day = day_label(entry.contacted_on, today=viewer_today, weekday=True, short=True)
        return (f"- **{day}** \u00b7 {OUTREACH_LABELS.get(entry.method, entry.method)} "
                f"\u00b7 {plain(what)}" + (f"  \n  {plain(entry.note)}" if entry.note else ""))

    st.markdown("\n".join(line(entry) for entry in history[:RECENT_CONTACTS]))
    if len(history) > RECENT_CONTACTS:
        with st.expander(f"Earlier entries ({len(history) - RECENT_CONTACTS})"):
            st.markdown("\n".join(line(entry) for entry in history[RECENT_CONTACTS:]))


def contact_form(record: MemberRecord, *, actor, purpose: str, screen: str, now: datetime,
                 viewer_today: date) -> None:
    """A new entry of the viewer's contact log with the member, a day of the last weeks."""
    with st.form(f"contact_{record.member_id}", clear_on_submit=True):
        day_column, method_column = st.columns([1, 2], vertical_alignment="bottom")
        with day_column:
            contacted_on = date_field(
                "Day", value=viewer_today, max_value=viewer_today,
                min_value=viewer_today - timedelta(days=MAX_DAYS_BACK),
                key=f"contact_day_{record.member_id}")
        method = method_column.radio(
            "How were you in touch?", OUTREACH_METHODS, index=None, horizontal=True,
            format_func=OUTREACH_LABELS.get, key=f"contact_method_{record.member_id}")
        # Each refusal shows under the field it is about.
        fields = {"contacted_on": day_column.empty(), "method": method_column.empty()}
        note_key = typed_key(f"contact_note_{record.member_id}")
        note = st.text_area("Note (optional)", value=typed_or(note_key, ""), height=80,
                            max_chars=MAX_CONTACT_NOTE, key=note_key,
                            help="Kept encrypted; only you see it.")
        fields["note"] = st.empty()
        if st.form_submit_button("Add to my contact log"):
            submit(lambda session: add_contact(
                session=session, actor=actor, member_id=record.member_id, purpose=purpose,
                screen=screen, contacted_on=contacted_on, method=method, note=note, now=now),
                done=f"Contact with {plain(record.display_name)} added to your log.",
                place=CONTACT_PLACE, errors=fields)
