"""Plotly figures of a counselor's caseload, and the one-sentence summary beside each.

The palette is dashboard.member_charts' Okabe-Ito one (safe for the common colour-vision
deficiencies); every bar also carries its count as text, and every cell its meaning in
the hover and in the heatmap's table (`adherence_heatmap_rows`), so that nothing is told
by colour alone. Bars have a dark edge and cells of a check-in 3:1 or more against the
white page and against a day without one (WCAG 1.4.11); text 4.5:1
(tests/unit/test_contrast.py). Backgrounds stay transparent so that the theme shows
through.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dashboard.caseload import HEATMAP_DAYS, CaseloadRow
from dashboard.labels import SEVERITY_LABELS
from dashboard.member_charts import (
    AXIS_TEXT,
    CRAVING_COLOR,
    HARD_DAY_COLOR,
    MOOD_COLOR,
    OUTLINE,
    TEXT_FONT,
)

SKY_BLUE = "#56B4E9"  # Okabe-Ito, like the colours imported above
GREY = "#999999"
RISK_COLORS = {
    "high": CRAVING_COLOR,  # vermillion
    "medium": HARD_DAY_COLOR,  # orange
    "low": SKY_BLUE,
    "none": GREY,
    "not_shared": "rgba(128, 128, 128, 0.35)",
}
BAR_EDGE = OUTLINE  # the light bars' edge against the page
RISK_LABELS = {**SEVERITY_LABELS, "not_shared": "Not shared"}
# The table's risk labels: High solid dark vermillion, the others light tints of their
# colour, so that the eye lands on High first; "not shared" as white as the table.
# Opaque, and clear of the middle: Streamlit's table writes a label black on a colour of
# relative luminance over 0.5 and white on any other, and reads no transparency.
RISK_BADGE_COLORS = {
    "high": "#B34700",
    "medium": "#F5C77A",
    "low": "#A8D8F5",
    "none": "#E0E0E0",
    "not_shared": "#FFFFFF",
}
CHECKED_IN_COLOR = MOOD_COLOR  # blue
MISSED_COLOR = "rgba(128, 128, 128, 0.22)"  # a faint grey on either theme
_ROW_PX = 18


def _clients(count: int) -> str:
    return f"{count:,} client" + ("" if count == 1 else "s")


def _layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", showlegend=False,
        font=TEXT_FONT, hoverlabel={"font": TEXT_FONT}, xaxis=AXIS_TEXT, yaxis=AXIS_TEXT,
    )


def risk_counts(rows: Sequence[CaseloadRow]) -> dict[str, int]:
    """Clients per risk level, most severe first, "not_shared" last."""
    counts = Counter(r.risk or "not_shared" for r in rows)
    return {level: counts.get(level, 0) for level in RISK_COLORS}


def risk_distribution_figure(rows: Sequence[CaseloadRow]) -> go.Figure:
    """A horizontal bar per risk level, High on top, each labelled with its count."""
    counts = risk_counts(rows)
    levels = [lvl for lvl in counts if counts[lvl] or lvl != "not_shared"]
    labels = [RISK_LABELS[lvl] for lvl in levels]
    fig = go.Figure(go.Bar(
        x=[counts[lvl] for lvl in levels], y=labels, orientation="h",
        marker={"color": [RISK_COLORS[lvl] for lvl in levels],
                "line": {"color": BAR_EDGE, "width": 1}},
        text=[str(counts[lvl]) for lvl in levels], textposition="outside", cliponaxis=False,
        textfont=TEXT_FONT,
        hovertemplate="%{y}: %{x} clients<extra></extra>",
    ))
    _layout(fig, height=40 * len(levels) + 40)
    fig.update_yaxes(autorange="reversed", title_text=None)
    fig.update_xaxes(title_text="Clients", rangemode="tozero", showgrid=True,
                     gridcolor="rgba(128,128,128,0.25)")
    return fig


def risk_distribution_summary(rows: Sequence[CaseloadRow]) -> str:
    counts = risk_counts(rows)
    if not rows:
        return "No client shares their data with you yet, so there is no risk to chart."
    sharing = len(rows) - counts["not_shared"]
    if not sharing:
        return (f"None of your {_clients(len(rows))} shares flags with you, so "
                "their risk is not known here.")
    at_risk = ", ".join(f"{counts[lvl]:,} {RISK_LABELS[lvl].lower()}"
                        for lvl in ("high", "medium", "low"))
    sentence = (f"Of the {_clients(sharing)} who share flags, {at_risk} risk, and "
                f"{counts['none']:,} with no open flag")
    if counts["not_shared"]:
        sentence += f"; {counts['not_shared']:,} more do not share flags"
    return sentence + "."


def adherence_heatmap_figure(rows: Sequence[CaseloadRow],
                             checkin_days: Mapping[int, frozenset[int]]) -> go.Figure:
    """The clients of `checkin_days`, in table order (top down), x the last HEATMAP_DAYS
    days, oldest on the left: a blue cell for a day with a check-in, a faint one without."""
    shown = [r for r in rows if r.member_id in checkin_days]
    days = list(range(HEATMAP_DAYS - 1, -1, -1))  # days ago, oldest first
    z = [[1 if d in checkin_days[r.member_id] else 0 for d in days] for r in shown]
    # Plotly reads a few HTML tags in text (links among them): names are escaped.
    hover = [[f"{html.escape(r.display_name)}, {_days_ago(d)}: "
              f"{'checked in' if d in checkin_days[r.member_id] else 'no check-in'}"
              for d in days] for r in shown]
    positions = list(range(len(shown)))  # not the names: two clients may share one
    # As arrays: Plotly checks a list of lists cell by cell, three times as long at 40 x 28.
    fig = go.Figure(go.Heatmap(
        z=np.array(z, dtype=np.int8).reshape(len(shown), len(days)), x=[-d for d in days],
        y=positions, zmin=0, zmax=1, showscale=False, xgap=2, ygap=2,
        text=np.array(hover, dtype=object).reshape(len(shown), len(days)),
        hovertemplate="%{text}<extra></extra>",
        colorscale=[[0, MISSED_COLOR], [0.5, MISSED_COLOR], [0.5, CHECKED_IN_COLOR],
                    [1, CHECKED_IN_COLOR]],
    ))
    _layout(fig, height=max(120, _ROW_PX * len(shown) + 50))
    ticks = [-27, -21, -14, -7, 0]
    fig.update_xaxes(tickvals=ticks, ticktext=[_days_ago(-t) for t in ticks], showgrid=False,
                     zeroline=False, side="top")
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False, tickmode="array",
                     tickvals=positions, ticktext=[html.escape(r.display_name) for r in shown])
    return fig


def _days_ago(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def adherence_heatmap_summary(rows: Sequence[CaseloadRow],
                              checkin_days: Mapping[int, frozenset[int]]) -> str:
    """One sentence about the clients the heatmap draws (the first of the table)."""
    drawn = [r for r in rows if r.member_id in checkin_days]
    sharing = sum(1 for r in rows if r.shares("checkins"))
    if not drawn:
        return "No client in this view shares check-ins with you, so there is no heatmap."
    made = sum(len(checkin_days[r.member_id]) for r in drawn)
    rate = made / (HEATMAP_DAYS * len(drawn))
    low = sum(1 for r in drawn if len(checkin_days[r.member_id]) < HEATMAP_DAYS / 2)
    who = (f"the {_clients(len(drawn))} who share check-ins" if len(drawn) == sharing
           else f"the first {len(drawn)} of the {sharing:,} clients who share check-ins")
    return (f"Over the last {HEATMAP_DAYS} days, {who} checked in on {rate:.0%} of days; "
            f"{_clients(low)} checked in on fewer than half of them.")


def days_without_checkin(checked_in: frozenset[int]) -> str:
    """The heatmap's faint cells of one client in words, the most recent first: "today to 2
    days ago, 5 days ago, 10 to 14 days ago" ("none" when every day has a check-in)."""
    missed = [d for d in range(HEATMAP_DAYS) if d not in checked_in]
    if not missed:
        return "none"
    if len(missed) == HEATMAP_DAYS:
        return f"all {HEATMAP_DAYS} days"
    runs: list[list[int]] = []
    for day in missed:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(_days_ago(run[0]) if len(run) == 1 else _days_ago_span(run[0], run[-1])
                     for run in runs)


def _days_ago_span(newest: int, oldest: int) -> str:
    if newest > 1:
        return f"{newest} to {oldest} days ago"
    return f"{_days_ago(newest)} to {_days_ago(oldest)}"


def adherence_heatmap_rows(rows: Sequence[CaseloadRow],
                           checkin_days: Mapping[int, frozenset[int]]) -> list[dict[str, str]]:
    """The heatmap as a table, one row per client it draws, in its order: what the colours
    and the hover say, for a screen reader, a keyboard or a finger."""
    return [{"Client": r.display_name,
             "Check-ins": f"{len(checkin_days[r.member_id])} of {HEATMAP_DAYS}",
             "Days without a check-in": days_without_checkin(checkin_days[r.member_id])}
            for r in rows if r.member_id in checkin_days]
