"""Plotly figures of a member's check-ins, and the one-sentence summary shown beside each.

Colours are from or darkened from the Okabe-Ito palette (safe for the common colour-vision
deficiencies). Each line, mark and coloured cell keeps at least 3:1 contrast (WCAG 1.4.11)
with the white page, and text (ticks, titles, legends, hover words) 4.5:1 (WCAG 1.4.3);
tests/unit/test_contrast.py measures them. Two marks that mean different things differ
by more than colour: hard days and reported use by the marker's shape, high and other
flags by the line's dash, and the calendar's moods by the number written on each square.
Backgrounds are left transparent so that the theme shows through.

A sponsor or counselor sees a marker, a count or a hover word only when they share the
categories of its field (dashboard/categories.py): `categories`, all of them by default
for the member's own charts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta
from statistics import fmean
from typing import Protocol

import plotly.graph_objects as go

from dashboard.categories import ALL_CATEGORIES, visible
from dashboard.labels import MOOD_LABELS
from dashboard.progress import longest_streak
from dashboard.timeutil import CHART_DAY_FORMAT, CHART_WEEKDAY_FORMAT, day_label

MOOD_COLOR = "#0072B2"  # blue
CRAVING_COLOR = "#D55E00"  # vermillion
HARD_DAY_COLOR = "#E69F00"  # orange, light: OUTLINE gives it its edge
USE_COLOR = "#CC79A7"  # reddish purple
OUTLINE = "#555555"  # gives the light markers an edge on a white background
HARD_DAY_SYMBOL = "diamond"
USE_SYMBOL = "x"
# The words of every chart: ticks, axis and scale titles, legends, hover labels, counts.
# Streamlit's own chart theme writes them in a grey of 3.7:1 on white.
TEXT_COLOR = "#4A4845"
TEXT_FONT = {"color": TEXT_COLOR}
# The days a flag was raised, as lines across a chart: a high flag dashed in a dark
# reddish purple, any other dotted in grey (the dash tells them apart as well).
HIGH_FLAG_COLOR = "#5E1A4B"
OTHER_FLAG_COLOR = "#8C8C8C"
HIGH_FLAG_DASH = "dash"
OTHER_FLAG_DASH = "dot"
SHADE_COLOR = "#999999"
# Low mood warm, good mood cool: the colour-blind-safe orange-yellow-blue diverging
# order, dark enough that every mood stands 3:1 from a day without a check-in (a faint
# grey square) and from the white markers drawn on it. No grey among them.
MOOD_SCALE = ("#A33C00", "#CF5A00", "#8F7A00", "#2C7FB8", "#0A4F8A")
NO_CHECKIN_COLOR = "rgba(128, 128, 128, 0.2)"
# The mood's number written on its square: white on the two dark ends, black on the three
# middle colours (each 4.5:1 or more against its square).
MOOD_DIGIT_COLORS = {1: "#FFFFFF", 2: "#000000", 3: "#000000", 4: "#000000", 5: "#FFFFFF"}
# In a calendar of big squares, which carry the mood's number, a hard day is a corner
# folded down at the upper right of its square and reported use a cross at the upper left.
CORNER_SYMBOLS = {"hard_day": ("triangle-ne", 11), "used_substances": (USE_SYMBOL, 7)}
# In a calendar of small squares, each mark about the size of its square.
SMALL_SQUARE_SYMBOLS = {"hard_day": (HARD_DAY_SYMBOL, 8), "used_substances": (USE_SYMBOL, 5)}
CORNERS = {"hard_day": (1, 1), "used_substances": (-1, 1)}  # (across, up)
CORNER_OFFSET = 0.27  # from the centre of the square, in squares
CALENDAR_CELL_PX = 26
# Room for the weekday names on the left and the mood scale on the right.
CALENDAR_FRAME_PX = 220
# Beyond this many weeks the calendar fills the width, with smaller squares: on a phone
# beyond six (a month), whose big squares would be drawn too small for their numbers.
CALENDAR_FIXED_WEEKS = 20
PHONE_FIXED_WEEKS = 6
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CheckInPoint(Protocol):
    local_date: date
    mood: int
    craving: int
    used_substances: bool
    hard_day: bool | None  # None when hard days are not shared with the reader


# The events drawn on a chart: (name, field of dashboard/categories.py, symbol, colour).
EVENTS = (
    ("Hard day", "hard_day", HARD_DAY_SYMBOL, HARD_DAY_COLOR),
    ("Reported use", "used_substances", USE_SYMBOL, USE_COLOR),
)


def _events(categories: Collection[str]) -> list[tuple[str, str, str, str]]:
    return [event for event in EVENTS if visible(event[1], categories)]


def _short_day(day: date) -> str:
    return day_label(day, weekday=True, short=True)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _in_range(checkins: Sequence[CheckInPoint], start: date, end: date) -> list[CheckInPoint]:
    return sorted((c for c in checkins if start <= c.local_date <= end),
                  key=lambda c: c.local_date)


def _base(height: int) -> dict:
    """The layout every member chart starts from."""
    return {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "closest",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0,
                   "font": TEXT_FONT},
        # Streamlit's chart theme sets these one by one, so each is set here.
        "font": TEXT_FONT,
        "hoverlabel": {"font": TEXT_FONT},
    }


# Ticks and title of an axis (Streamlit's chart theme colours them one by one).
AXIS_TEXT = {"tickfont": TEXT_FONT, "title": {"font": TEXT_FONT}}


def _axis(title: str | None = None, **options) -> dict:
    return {"tickfont": TEXT_FONT, "title": {"text": title, "font": TEXT_FONT}, **options}


def _base_layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(**_base(height))


def _event_markers(points: list[CheckInPoint], position, *, categories: Collection[str],
                   plain: bool = False, size: int = 12,
                   symbols: dict[str, tuple[str, int]] | None = None) -> list[go.Scatter]:
    """Markers for hard days and reported use at `position(check_in, field) -> (x, y)`,
    each kind only when `categories` show it, in its symbol and `size` unless `symbols`
    gives another (symbol, size) for its field.

    `plain` draws them white with a black edge, to stand out on coloured cells.
    """
    traces = []
    for name, field, symbol, colour in _events(categories):
        symbol, marker_size = (symbols or {}).get(
            field, (symbol, size + 5 if symbol == HARD_DAY_SYMBOL else size))
        chosen = [c for c in points if getattr(c, field)]
        xy = [position(c, field) for c in chosen]
        traces.append(
            go.Scatter(
                x=[x for x, _ in xy], y=[y for _, y in xy], mode="markers", name=name,
                marker={
                    # The diamond is drawn larger, so that a day both hard and with use
                    # shows the cross inside the diamond rather than hiding it.
                    "symbol": symbol, "size": marker_size,
                    "color": "#FFFFFF" if plain else colour,
                    "line": {"color": "#000000" if plain else OUTLINE, "width": 1.5},
                },
                customdata=[_short_day(c.local_date) for c in chosen],
                hovertemplate=f"{name}<br>%{{customdata}}<extra></extra>",
                showlegend=bool(chosen),
            )
        )
    return traces


def mood_craving_figure(checkins: Sequence[CheckInPoint], *, start: date, end: date,
                        categories: Collection[str] = ALL_CATEGORIES) -> go.Figure:
    """Mood (1-5) above craving (0-10), day by day; a day without a check-in is a gap.

    Two rows sharing one time axis, laid out in one go: Plotly's make_subplots and each
    update_layout or update_axes after it check the whole layout again, which took a
    detail screen tens of milliseconds per chart."""
    points = {c.local_date: c for c in _in_range(checkins, start, end)}
    days = _days(start, end)
    mood = go.Scatter(
        x=days, y=[points[d].mood if d in points else None for d in days],
        mode="lines+markers", name="Mood", connectgaps=False, xaxis="x", yaxis="y",
        line={"color": MOOD_COLOR, "width": 2.5}, marker={"size": 5, "color": MOOD_COLOR},
        hovertemplate="%{x|" + CHART_WEEKDAY_FORMAT + "}: mood %{y}/5<extra></extra>",
    )
    craving = go.Scatter(
        x=days, y=[points[d].craving if d in points else None for d in days],
        mode="lines+markers", name="Craving", connectgaps=False, xaxis="x2", yaxis="y2",
        line={"color": CRAVING_COLOR, "width": 2.5, "dash": "solid"},
        marker={"size": 5, "color": CRAVING_COLOR, "symbol": "square"},
        hovertemplate="%{x|" + CHART_WEEKDAY_FORMAT + "}: craving %{y}/10<extra></extra>",
    )
    markers = _event_markers(list(points.values()), lambda c, _: (c.local_date, c.mood),
                             categories=categories)
    # Half a day of room at each end, plus a little for the markers on the first and last day.
    margin = timedelta(hours=12) + (end - start) / 60
    time_axis = {"range": [datetime.combine(start, time()) - margin,
                           datetime.combine(end, time()) + margin],
                 "tickformat": CHART_DAY_FORMAT}
    return go.Figure(data=[mood, craving, *markers], layout={
        **_base(420),
        # The mood row on top, the craving row below, 8 % of the height between them.
        "xaxis": _axis(**time_axis, anchor="y", domain=[0, 1], matches="x2",
                       showticklabels=False),
        "xaxis2": _axis(**time_axis, anchor="y2", domain=[0, 1]),
        "yaxis": _axis("Mood", anchor="x", domain=[0.54, 1], range=[0.5, 5.5],
                       tickvals=[1, 2, 3, 4, 5],
                       ticktext=[f"{m} {MOOD_LABELS[m]}" for m in range(1, 6)]),
        "yaxis2": _axis("Craving", anchor="x2", domain=[0, 0.46], range=[-0.5, 10.5],
                        tickvals=[0, 2, 4, 6, 8, 10]),
    })


def flag_mark(severity: str) -> tuple[str, str]:
    """The colour and dash of the line marking a day a flag of `severity` was raised."""
    if severity == "high":
        return HIGH_FLAG_COLOR, HIGH_FLAG_DASH
    return OTHER_FLAG_COLOR, OTHER_FLAG_DASH


def mark_days(fig: go.Figure, marks: Sequence[tuple[date, str] | tuple[date, str, str]]
              ) -> None:
    """A vertical line across the whole figure on each day given, in its colour and dash
    (dotted unless given: `(day, *flag_mark(severity))`).

    All in one layout update: Plotly's add_vline copies the figure's shapes and walks its
    subplots on every call, tens of milliseconds each on a figure of two rows."""
    if marks:
        fig.update_layout(shapes=list(fig.layout.shapes) + [
            {"type": "line", "xref": "x", "yref": "paper", "x0": day, "x1": day, "y0": 0,
             "y1": 1, "line": {"dash": dash[0] if dash else "dot", "width": 2, "color": color}}
            for day, color, *dash in marks])


def shade_days(fig: go.Figure, start: date, end: date, *, color: str = SHADE_COLOR) -> None:
    """A light band across the whole figure from `start` to `end`, each day whole (as
    `mark_days`, in one layout update)."""
    fig.update_layout(shapes=list(fig.layout.shapes) + [
        {"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1,
         "x0": datetime.combine(start, time()) - timedelta(hours=12),
         "x1": datetime.combine(end, time()) + timedelta(hours=12),
         "fillcolor": color, "opacity": 0.15, "line": {"width": 0}, "layer": "below"}])


def checkin_calendar_figure(checkins: Sequence[CheckInPoint], *, start: date, end: date,
                            categories: Collection[str] = ALL_CATEGORIES,
                            max_fixed_weeks: int = CALENDAR_FIXED_WEEKS) -> go.Figure:
    """A week-by-week calendar: each day a square, coloured by the mood of its check-in;
    big squares up to `max_fixed_weeks` (PHONE_FIXED_WEEKS on a phone)."""
    points = {c.local_date: c for c in _in_range(checkins, start, end)}
    first_monday = start - timedelta(days=start.weekday())
    weeks = (end - first_monday).days // 7 + 1
    # A short range keeps big squares at a fixed width; a long one fills the width with
    # small squares, its mood scale laid flat underneath and every other weekday named.
    fixed = weeks <= max_fixed_weeks

    def cell(day: date) -> tuple[int, int]:
        return (day - first_monday).days // 7, day.weekday()

    def marker_place(c: CheckInPoint, field: str) -> tuple[float, float]:
        week, weekday = cell(c.local_date)
        if not fixed:
            return week, weekday
        across, up = CORNERS[field]
        return week + across * CORNER_OFFSET, weekday - up * CORNER_OFFSET

    z: list[list[float | None]] = [[None] * weeks for _ in WEEKDAYS]
    background: list[list[float | None]] = [[None] * weeks for _ in WEEKDAYS]
    hover: list[list[str]] = [[""] * weeks for _ in WEEKDAYS]
    for day in _days(start, end):
        week, weekday = cell(day)
        background[weekday][week] = 0
        c = points.get(day)
        if c is None:
            hover[weekday][week] = f"{_short_day(day)}: no check-in"
            continue
        z[weekday][week] = c.mood
        extras = [name.lower() for name, field, _, _ in _events(categories)
                  if getattr(c, field)]
        hover[weekday][week] = (f"{_short_day(day)}: mood {c.mood} {MOOD_LABELS[c.mood]}, "
                                f"craving {c.craving}/10" + "".join(f", {e}" for e in extras))

    gap = 3 if fixed else 2
    colorbar = {"title": {"text": "Mood", "font": TEXT_FONT}, "tickvals": [1, 2, 3, 4, 5],
                "ticktext": [f"{m} {MOOD_LABELS[m]}" for m in range(1, 6)], "thickness": 12,
                "tickfont": TEXT_FONT}
    if not fixed:
        colorbar |= {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.35,
                     "yanchor": "top", "len": 0.6,
                     "title": {"text": "Mood", "side": "top", "font": TEXT_FONT}}
    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        z=background, x=list(range(weeks)), y=list(range(7)), showscale=False, hoverinfo="skip",
        colorscale=[[0, NO_CHECKIN_COLOR], [1, NO_CHECKIN_COLOR]], xgap=gap, ygap=gap,
    ))
    fig.add_trace(go.Heatmap(
        z=z, x=list(range(weeks)), y=list(range(7)), zmin=0.5, zmax=5.5, xgap=gap, ygap=gap,
        colorscale=_steps(MOOD_SCALE), text=hover, hovertemplate="%{text}<extra></extra>",
        name="Check-in", colorbar=colorbar,
    ))
    if fixed:
        # Each check-in's mood as its number too, so that no day is told by colour alone
        # (neighbouring moods differ by hue, not always by 3:1); the hard-day and use
        # markers move to the square's upper corners to leave it room.
        digits = [(cell(c.local_date), c.mood) for c in points.values()]
        fig.add_trace(go.Scatter(
            x=[week for (week, _), _ in digits], y=[weekday for (_, weekday), _ in digits],
            mode="text", text=[str(mood) for _, mood in digits], hoverinfo="skip",
            textfont={"size": 12, "color": [MOOD_DIGIT_COLORS[mood] for _, mood in digits]},
            showlegend=False, name="Mood number"))
    for trace in _event_markers(list(points.values()), marker_place, plain=True,
                                categories=categories,
                                symbols=CORNER_SYMBOLS if fixed else SMALL_SQUARE_SYMBOLS):
        fig.add_trace(trace)

    # A month's name over the week of its first day; the range's own first month only when
    # the next one is not about to start (their names would overlap).
    month_of_week = {cell(d)[0]: f"{d:%b}" for d in _days(start, end) if d.day == 1}
    if not month_of_week or min(month_of_week) >= 3:
        month_of_week[0] = f"{start:%b}"
    _base_layout(fig, height=260 if fixed else 240)
    if fixed:
        fig.update_layout(width=CALENDAR_FRAME_PX + CALENDAR_CELL_PX * max(weeks, 6))
    else:
        fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 70})
    fig.update_xaxes(tickvals=list(month_of_week), ticktext=list(month_of_week.values()),
                     tickangle=0, showgrid=False, zeroline=False,
                     range=[-0.5, max(weeks, 6) - 0.5], **AXIS_TEXT)
    named = range(7) if fixed else range(0, 7, 2)
    fig.update_yaxes(tickvals=list(named), ticktext=[WEEKDAYS[d] for d in named],
                     autorange="reversed", showgrid=False, zeroline=False,
                     scaleanchor="x", scaleratio=1, **AXIS_TEXT)
    return fig


def _steps(colours: Sequence[str]) -> list[list]:
    """A colour scale of flat bands, one per colour (plotly wants the edges in order)."""
    n = len(colours)
    return [[round((i + edge) / n, 6), colour] for i, colour in enumerate(colours)
            for edge in (0, 1)]


def _period(start: date, end: date) -> str:
    if start.year != end.year:
        return f"from {day_label(start)} to {day_label(end)}"
    return (f"from {day_label(start, today=end, relative=False)} "
            f"to {day_label(end, today=end, relative=False)}")


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count(n: int, singular: str) -> str:
    if n == 0:
        return f"no {singular}s"
    return f"{n} {singular if n == 1 else singular + 's'}"


def mood_craving_summary(checkins: Sequence[CheckInPoint], *, start: date, end: date,
                         whose: str = "your",
                         categories: Collection[str] = ALL_CATEGORIES) -> str:
    """One sentence saying what the mood and craving chart shows; `whose` is "their" when a
    sponsor or counselor reads it, who shares `categories` (hard days are counted only
    when they show)."""
    points = _in_range(checkins, start, end)
    if not points:
        return f"There are no check-ins {_period(start, end)} yet, so there is nothing to chart."
    mood = fmean(c.mood for c in points)
    craving = fmean(c.craving for c in points)
    trend = ""
    half = len(points) // 2
    if half >= 3:
        earlier = fmean(c.craving for c in points[:half])
        later = fmean(c.craving for c in points[half:])
        if abs(later - earlier) >= 1:
            direction = "eased" if later < earlier else "rose"
            trend = f" ({direction} from {earlier:.1f} to {later:.1f} over the period)"
    events = []
    for _, field, _, _ in _events(categories):
        days = sum(bool(getattr(c, field)) for c in points)
        if field == "hard_day":
            events.append(_count(days, "hard day"))
        else:
            events.append(f"reported use on {_count(days, 'day')}" if days
                          else "no reported use")
    return (
        f"{_sentence_start(_period(start, end))} {whose} mood averaged {mood:.1f} of 5 and {whose} "
        f"craving {craving:.1f} of 10{trend}, over {_count(len(points), 'check-in')}"
        + (f", with {' and '.join(events)}." if events else ".")
    )


def checkin_calendar_summary(checkin_dates: Sequence[date], *, start: date, end: date) -> str:
    """One sentence saying what the check-in calendar shows."""
    days = [d for d in checkin_dates if start <= d <= end]
    total = (end - start).days + 1
    if not days:
        return f"No check-ins {_period(start, end)} yet; each one you make will fill a square."
    run = longest_streak(days)
    return (
        f"You checked in on {len(set(days))} of the {total} days {_period(start, end)}; "
        f"your longest run was {_count(run, 'day')} in a row."
    )
