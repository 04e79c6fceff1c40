"""My progress: sobriety time, check-in streak, next milestone, and charts of the check-ins."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.config import settings
from dashboard.member_charts import (
    CALENDAR_FIXED_WEEKS,
    PHONE_FIXED_WEEKS,
    checkin_calendar_figure,
    checkin_calendar_summary,
    mood_craving_figure,
    mood_craving_summary,
)
from dashboard.member_record import member_record
from dashboard.progress import (
    checkin_streak,
    milestone_on,
    next_milestone,
    sobriety_duration,
)
from dashboard.record_tables import checkin_rows
from dashboard.timeutil import day_label, local_today
from dashboard.web.charts import EXPLORABLE, STATIC, chart
from dashboard.web.database import transaction
from dashboard.web.device import on_a_phone
from dashboard.web.session import require_role
from dashboard.web.widgets import day_columns

RANGES = {30: "30 days", 90: "90 days", 365: "365 days"}
# What the charts show of each day, which their tooltips give a mouse only.
DAY_COLUMNS = ("Date", "Mood", "Craving", "Hard day", "Used")
DAYS_TABLE = "progress_days_table"
# A chart's toolbar covers the top of a phone's chart, its legend: a phone reads the
# charts as they are, a desk can zoom into them.
CHART_CONFIG = STATIC if on_a_phone() else EXPLORABLE
# Enough history for a streak or a chart however long; a member has one check-in a day.
HISTORY_DAYS = 10 * 366

actor = require_role("member")
now = clock.now()
with transaction() as session:
    record = member_record(session=session, actor=actor, member_id=actor.id, purpose=None,
                           screen="My progress", days=HISTORY_DAYS,
                           now=now)
today = record.today
sobriety_date = record.sobriety_date
schedule = settings().milestones

st.title("My progress", anchor=False)

days_sober = record.days_sober
streak = checkin_streak((c.local_date for c in record.checkins), today)
upcoming = next_milestone(sobriety_date, today, schedule)
reached = milestone_on(sobriety_date, today, schedule)

if reached:
    st.success(f"Today you reach **{reached.label}**. Congratulations, that is something "
               "to be proud of.", icon=":material/celebration:")

sober_col, streak_col, milestone_col = st.columns(3, border=True)
with sober_col:
    st.metric("Days sober", f"{days_sober:,}")
    if sobriety_date == today + timedelta(days=1):
        st.caption("Your count starts tomorrow, "
                   f"{day_label(sobriety_date, today=today, weekday=True, relative=False)}.")
    elif sobriety_date > today:
        st.caption("Your count starts on "
                   f"{day_label(sobriety_date, today=today, weekday=True, relative=False)}.")
    elif days_sober >= 365:
        st.caption(f"{sobriety_duration(sobriety_date, today)}, since "
                   f"{day_label(sobriety_date)}.")
    else:
        st.caption(f"Since {day_label(sobriety_date)}.")
with streak_col:
    st.metric("Check-in streak", f"{streak} day{'' if streak == 1 else 's'}")
    if streak and today not in {c.local_date for c in record.checkins}:
        st.caption("Check in today to keep it going.")
    elif streak:
        st.caption("Days in a row with a check-in, up to today.")
    else:
        st.caption("Your next check-in starts a new streak.")
with milestone_col:
    st.metric("Next milestone", upcoming.label)
    to_go = (upcoming.on - today).days
    st.caption(f"On {day_label(upcoming.on, today=today, weekday=True, relative=False)}, "
               f"in {to_go} day{'' if to_go == 1 else 's'}.")

history = record.sobriety_history
if history:
    with st.expander("Earlier sobriety dates"):
        st.caption("Your sobriety date history is kept; nothing is overwritten.")
        st.dataframe(
            pd.DataFrame([{"Sobriety date was": h.previous_date, "Changed to": h.new_date,
                           "Changed on": local_today(record.timezone, h.changed_at)}
                          for h in history]),
            hide_index=True, width="stretch",
            column_config=day_columns("Sobriety date was", "Changed to", "Changed on"),
        )

st.header("Mood and craving", anchor=False)
days = st.segmented_control("Range", list(RANGES), default=30, format_func=RANGES.get,
                            key="progress_range") or 30
start = today - timedelta(days=days - 1)

summary = mood_craving_summary(record.checkins, start=start, end=today)
figure_column, text = st.columns([3, 1], gap="medium")
with figure_column:
    chart(mood_craving_figure(record.checkins, start=start, end=today), summary=summary,
          caption=False, config=CHART_CONFIG)
text.write(summary)
text.caption("Hard days are marked with an orange diamond, reported use with a purple cross. "
             "Gaps are days without a check-in.")

# The charts' days as text, for a screen reader or a keyboard. Drawn only when opened, as
# the detail screens' tables are: a year of rows is drawn for the person who asks for it.
with st.expander("Day by day", key=DAYS_TABLE, on_change="rerun",
                 icon=":material/table_rows:") as day_by_day:
    if day_by_day.open:
        in_range = [c for c in record.checkins if start <= c.local_date <= today]
        if in_range:
            rows = [{column: row[column] for column in DAY_COLUMNS}
                    for row in checkin_rows(sorted(in_range, key=lambda c: c.local_date,
                                                   reverse=True))]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                         column_config=day_columns("Date"))
            st.caption("Days without a check-in are not listed.")
        else:
            st.write("No check-ins in this range.")

st.header("Check-in calendar", anchor=False)
dates = [c.local_date for c in record.checkins]
summary = checkin_calendar_summary(dates, start=start, end=today)
figure_column, text = st.columns([3, 1], gap="medium")
with figure_column:
    calendar = checkin_calendar_figure(
        record.checkins, start=start, end=today,
        max_fixed_weeks=PHONE_FIXED_WEEKS if on_a_phone() else CALENDAR_FIXED_WEEKS)
    chart(calendar, summary=summary, caption=False, config=CHART_CONFIG,
          width="content" if calendar.layout.width else "stretch")
text.write(summary)
if calendar.layout.width:  # big squares, which carry the mood's number and corner marks
    text.caption("Each square is a day, coloured by that day's mood and marked with its "
                 "number, from 1 Very low to 5 Great; grey squares have no check-in. A "
                 "folded corner marks a hard day, a cross reported use.")
else:
    text.caption("Each square is a day, coloured by that day's mood; grey squares have no "
                 "check-in. \"Day by day\" above gives each day's mood in words.")
