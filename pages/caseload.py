"""Caseload: every client who shares with the counselor, the one who needs a call first."""

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.caseload import (
    HEATMAP_DAYS,
    HEATMAP_MAX_CLIENTS,
    SORT_CHOICES,
    WEEK_DAYS,
    CaseloadFilter,
    caseload_view,
)
from dashboard.caseload_charts import (
    RISK_LABELS,
    adherence_heatmap_figure,
    adherence_heatmap_rows,
    adherence_heatmap_summary,
    risk_distribution_figure,
    risk_distribution_summary,
)
from dashboard.caseload_table import (
    RISK_CELL_COLORS,
    TABLE_COLUMNS,
    caseload_metrics,
    export_caseload_csv,
    high_risk_names,
    screen_table,
    showing_sentence,
    step_choice_label,
)
from dashboard.labels import NOT_SHARED, told_apart
from dashboard.timeutil import local_today
from dashboard.web.charts import chart
from dashboard.web.database import transaction
from dashboard.web.member_record import detail_query, table_on_request
from dashboard.web.session import require_role
from dashboard.web.sharing_notices import show_sharing_notices
from dashboard.web.widgets import confidentiality_notice, plain

CLIENT_DETAIL = Path(__file__).resolve().parent / "client_detail.py"
# Session keys: the table's widget key changes after each opening, so that coming back
# shows it unselected; the ids are those of the rows as last drawn, which a selection's
# row number refers to; the client to open, once a row is selected.
TABLE_VERSION = "caseload_table_version"
SHOWN_IDS = "caseload_shown_ids"
OPEN_CLIENT = "caseload_open_client"
SHOW_CHARTS = "caseload_charts"
CHOSEN_CLIENT = "caseload_chosen_client"  # the client chosen in "Open a client"
HEATMAP_TABLE = "caseload_heatmap_table"
ROW_PX, VISIBLE_ROWS = 34, 15

actor = require_role("counselor")
now = clock.now()
opening = st.session_state.pop(OPEN_CLIENT, None)
if opening is not None:
    st.switch_page(CLIENT_DETAIL, query_params=detail_query("client", opening))

st.title("Caseload", anchor=False)
confidentiality_notice()
show_sharing_notices(actor, purpose="counseling")
metrics_area = st.container()

# Filters keep their values for the session, so that coming back from a client finds
# the table as it was left.
keep = {"persist_state": "session"}
search, risk_column, step_column = st.columns([2, 2, 2])
name = search.text_input("Search by name", key="caseload_name", placeholder="Part of a name",
                         **keep)
risks = risk_column.multiselect(
    "Risk level", list(RISK_LABELS), key="caseload_risks", format_func=RISK_LABELS.get,
    placeholder="Any risk", **keep)
steps = step_column.multiselect("Current step", list(range(1, 13)), key="caseload_steps",
                                format_func=step_choice_label, placeholder="Any step", **keep)
silent_column, flags_column, sort_column = st.columns([2, 2, 2], vertical_alignment="bottom")
silent = silent_column.number_input(
    "Silent for at least (days)", min_value=0, max_value=3650, step=1, key="caseload_silent",
    help="0 shows everyone. A client who has not checked in yet counts as silent.", **keep)
open_only = flags_column.toggle("Only clients who need my action", key="caseload_open_only",
                                help="Clients with a flag you have not acknowledged yet.",
                                **keep)
sort_key = sort_column.selectbox("Sort by", list(SORT_CHOICES), key="caseload_sort",
                                 format_func=lambda k: SORT_CHOICES[k].label, **keep)
sort = SORT_CHOICES[sort_key]

criteria = CaseloadFilter(risks=frozenset(risks), open_flags_only=open_only,
                          silent_for_at_least=int(silent or 0), steps=frozenset(steps),
                          name=name or "")
# The charts wait to be asked for (the toggle under the table): at 2,000 clients they
# added an eighth to the screen's time in a browser, and the strip and the table already
# say who needs a call. The toggle's value is known before it is drawn.
show_charts = bool(st.session_state.get(SHOW_CHARTS, False))
with transaction() as session:
    view = caseload_view(session=session, actor=actor, criteria=criteria,
                         sort_by=sort.by, descending=sort.descending, heatmap=show_charts,
                         now=now)

if not view.rows:
    metrics_area.info("No client shares their data with you yet. Clients share from their "
                      "Sharing page.")
    st.stop()

metrics = caseload_metrics(view.rows)
clients, high, silent_metric, adherence = metrics_area.columns(4)
clients.metric("Clients", f"{metrics.clients:,}")
high.metric("High flags needing my action", f"{metrics.open_high_flags:,}",
            help=f"Among the {metrics.sharing_flags} clients who share flags with you: high "
                 "flags you have not acknowledged yet. Risk, in the table, describes each "
                 "client whoever acted.")
silent_metric.metric(f"No check-in for {metrics.silent_days}+ days",
                     f"{metrics.silent_clients:,}",
                     help=f"Among the {metrics.sharing_checkins} clients who share check-ins.")
adherence.metric(f"{WEEK_DAYS}-day adherence",
                 NOT_SHARED if metrics.adherence_7d is None else f"{metrics.adherence_7d:.0%}",
                 help="Share of the last 7 days with a check-in, across the clients who "
                      "share check-ins.")
at_high_risk = high_risk_names(view.rows)
if at_high_risk:
    # Typed names, shown as typed (never as markdown).
    metrics_area.markdown(
        f":red-badge[:material/priority_high: High risk] **{plain(at_high_risk)}**: at the "
        "top of the table; the flags that need your action are on Alerts.")


def open_selected_client(table_key: str) -> None:
    """Row selected: remember whose row it was (by the ids drawn) and open their detail."""
    selection = st.session_state[table_key].selection.rows
    shown_ids = st.session_state.get(SHOWN_IDS, [])
    if selection and selection[0] < len(shown_ids):
        st.session_state[OPEN_CLIENT] = shown_ids[selection[0]]
        st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1


st.caption(showing_sentence(len(view.shown), len(view.rows))
           + " Select a row to open the client's detail. From the keyboard: choose the "
           "client in \"Open a client\", then press Enter on \"Open client detail\".")
if view.shown:
    # The keyboard's way to a client, before the grid in the tab order: a row of the grid
    # opens with Shift+Space, which nobody can guess. Choosing does not leave the screen
    # (a change of choice never moves the person elsewhere); the link does, as Alerts'
    # links do, with the client in its query.
    names = told_apart({row.member_id: row.display_name for row in view.shown})
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox(
            "Open a client", list(names), index=None, format_func=names.get,
            key=CHOSEN_CLIENT, placeholder="Choose a client of the table", width=320,
            help="The clients of the table, in its order. Type part of a name to find one.")
        # Drawn once a client is chosen: a link drawn disabled is grey text that few can read.
        if chosen is not None:
            st.page_link(CLIENT_DETAIL, label="Open client detail", icon=":material/person:",
                         query_params=detail_query("client", chosen))
    # Widths that fit the sidebar, the row checkboxes, all nine columns and a vertical
    # scrollbar in 1,280 pixels, with no sideways scrolling (measured in Chromium with 2,000
    # rows: 818 of 818 px); "not shared" is the widest value of most columns, a short name
    # ("Gabriela J.") the widest client.
    width = {"client": 86, "risk": 80, "days_silent": 80, "adherence": 92, "mood_craving": 96,
             "days_sober": 78, "step": 76, "open_flags": 100, "last_contact": 84}
    column_config = {}
    for column in TABLE_COLUMNS:
        common = {"width": width[column.key], "help": column.help}
        if column.key == "risk":
            # The cells hold the words themselves, which a screen reader reads out.
            config = st.column_config.MultiselectColumn(
                options=list(RISK_CELL_COLORS), color=list(RISK_CELL_COLORS.values()),
                **common)
        elif column.key == "adherence":
            config = st.column_config.ProgressColumn(
                min_value=0, max_value=WEEK_DAYS, format=f"%d/{WEEK_DAYS}", color="#0072B2",
                **common)
        else:
            config = st.column_config.TextColumn(
                alignment="left" if column.key in ("client", "last_contact") else "right",
                **common)
        column_config[column.label] = config
    st.session_state[SHOWN_IDS] = [r.member_id for r in view.shown]
    table_key = f"caseload_table_{st.session_state.get(TABLE_VERSION, 0)}"
    st.dataframe(
        pd.DataFrame(screen_table(view.shown, viewer_timezone=actor.timezone,
                                  today=local_today(actor.timezone, now))),
        column_config=column_config, hide_index=True, width="stretch", key=table_key,
        on_select=lambda: open_selected_client(table_key), selection_mode="single-row",
        placeholder=NOT_SHARED,
        row_height=ROW_PX, height=ROW_PX * (min(len(view.shown), VISIBLE_ROWS) + 1) + 3,
        alt="Clients of your caseload",
    )

    if st.button("Export these rows as CSV", icon=":material/download:",
                 help="Every export is recorded, for each client in it, and each client can "
                      "see it."):
        with st.spinner("Preparing the export..."), transaction() as session:
            csv_text = export_caseload_csv(session=session, actor=actor, rows=view.shown,
                                           now=now)
        st.download_button(
            "Download caseload.csv", csv_text,
            file_name=f"caseload-{local_today(actor.timezone, now).isoformat()}.csv",
            mime="text/csv", on_click="ignore", type="primary", icon=":material/download:",
            help="The export is recorded in each client's \"Who viewed my data\". "
                 "Keep the file as confidential as the dashboard itself.")
else:
    st.info("No client matches these filters.")

if not st.toggle("Show charts of risk levels and recent check-ins", key=SHOW_CHARTS,
                 help=f"A bar per risk level, and the last {HEATMAP_DAYS} days of check-ins "
                      f"of the first {HEATMAP_MAX_CLIENTS} clients of the table.", **keep):
    st.stop()
risk_chart, heatmap = st.columns([2, 3], gap="large")
with risk_chart:
    st.header("Risk levels", anchor=False)
    chart(risk_distribution_figure(view.rows), summary=risk_distribution_summary(view.rows),
          key="caseload_risk_chart")
with heatmap:
    st.header(f"Check-ins, last {HEATMAP_DAYS} days", anchor=False)
    summary = adherence_heatmap_summary(view.shown, view.checkin_days)
    if view.checkin_days:
        chart(adherence_heatmap_figure(view.shown, view.checkin_days),
              summary=summary + " Rows follow the table's order.", key="caseload_heatmap")
        # The cells' days in words, which a pointer's hover alone gives otherwise: a
        # table of plain rows (it wraps long lists of days, and a screen reader reads it
        # as a table), drawn only when opened.
        with table_on_request("Day by day", HEATMAP_TABLE) as day_by_day:
            if day_by_day.open:
                st.table(pd.DataFrame(adherence_heatmap_rows(view.shown, view.checkin_days)),
                         hide_index=True, alt=f"Check-ins of the last {HEATMAP_DAYS} days, "
                                              "client by client")
    else:
        st.caption(summary)
