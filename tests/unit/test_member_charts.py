"""Charts of a member's check-ins, and the one-sentence summaries beside them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import plotly.graph_objects as go
import pytest

from dashboard.member_charts import (
    HIGH_FLAG_COLOR,
    HIGH_FLAG_DASH,
    MOOD_DIGIT_COLORS,
    OTHER_FLAG_COLOR,
    OTHER_FLAG_DASH,
    PHONE_FIXED_WEEKS,
    TEXT_COLOR,
    checkin_calendar_figure,
    checkin_calendar_summary,
    flag_mark,
    mark_days,
    mood_craving_figure,
    mood_craving_summary,
)

END = date(2026, 11, 26)
START = END - timedelta(days=29)


@dataclass(frozen=True)
class Point:
    local_date: date
    mood: int
    craving: int
    used_substances: bool = False
    hard_day: bool = False


def days_ago(n: int, **values) -> Point:
    return Point(END - timedelta(days=n), **({"mood": 3, "craving": 2} | values))


def traces(fig):
    return {t.name: t for t in fig.data if t.name}


def test_mood_and_craving_leave_gaps_on_days_without_a_check_in():
    fig = mood_craving_figure([days_ago(0, mood=4), days_ago(2, mood=2, craving=7)],
                              start=START, end=END)
    mood, craving = traces(fig)["Mood"], traces(fig)["Craving"]
    assert len(mood.x) == 30
    assert list(mood.y[-3:]) == [2, None, 4]
    assert list(craving.y[-3:]) == [7, None, 2]
    assert mood.connectgaps is False


def test_hard_days_and_use_differ_by_shape_as_well_as_colour():
    points = [days_ago(1, hard_day=True), days_ago(3, used_substances=True),
              days_ago(40, hard_day=True)]  # outside the range
    for fig in (mood_craving_figure(points, start=START, end=END),
                checkin_calendar_figure(points, start=START, end=END)):
        hard, use = traces(fig)["Hard day"], traces(fig)["Reported use"]
        assert len(hard.x) == 1 and len(use.x) == 1
        assert hard.marker.symbol != use.marker.symbol
    lines = mood_craving_figure(points, start=START, end=END)
    colours = {traces(lines)[name].marker.color for name in
               ("Mood", "Craving", "Hard day", "Reported use")}
    assert len(colours) == 4


def test_charts_leave_the_background_to_the_theme():
    for fig in (mood_craving_figure([], start=START, end=END),
                checkin_calendar_figure([], start=START, end=END)):
        assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
        assert fig.layout.plot_bgcolor == "rgba(0,0,0,0)"


def test_calendar_puts_each_day_in_its_weekday_row_coloured_by_mood():
    thursday = END  # 26 November 2026 is a Thursday
    fig = checkin_calendar_figure([Point(thursday, mood=5, craving=0)], start=START, end=END)
    moods = next(t for t in fig.data if t.name == "Check-in")
    last_week = len(moods.z[3]) - 1
    assert moods.z[3][last_week] == 5
    assert sum(v is not None for row in moods.z for v in row) == 1
    assert moods.text[3][last_week] == "Thu 26 Nov 2026: mood 5 Great, craving 0/10"


def test_calendar_writes_each_mood_on_its_square_and_marks_events_in_its_corners():
    thursday, wednesday = END, END - timedelta(days=1)
    fig = checkin_calendar_figure(
        [Point(thursday, mood=5, craving=0, hard_day=True, used_substances=True),
         Point(wednesday, mood=2, craving=6)], start=START, end=END)
    [numbers] = [t for t in fig.data if t.name == "Mood number"]
    last_week = len(next(t for t in fig.data if t.name == "Check-in").z[3]) - 1
    assert sorted(zip(numbers.x, numbers.y, numbers.text)) == [
        (last_week, 2, "2"), (last_week, 3, "5")]
    assert dict(zip(numbers.text, numbers.textfont.color)) == {
        "2": MOOD_DIGIT_COLORS[2], "5": MOOD_DIGIT_COLORS[5]}
    hard, use = traces(fig)["Hard day"], traces(fig)["Reported use"]
    # Off the number: the upper right corner (rows run down) and the upper left.
    assert hard.x[0] > last_week and hard.y[0] < 3
    assert use.x[0] < last_week and use.y[0] < 3
    assert hard.marker.symbol != use.marker.symbol


def test_a_year_calendar_has_squares_too_small_for_numbers():
    year = checkin_calendar_figure([days_ago(0, hard_day=True)],
                                   start=END - timedelta(days=364), end=END)
    assert not [t for t in year.data if t.name == "Mood number"]
    hard = traces(year)["Hard day"]
    assert (hard.x[0], hard.y[0]) == (52, 3)  # in the middle of its square


def test_a_phone_draws_big_squares_for_a_month_and_small_ones_beyond():
    quarter = checkin_calendar_figure([days_ago(0)], start=END - timedelta(days=89), end=END,
                                      max_fixed_weeks=PHONE_FIXED_WEEKS)
    assert quarter.layout.width is None  # fills the phone's width
    assert not [t for t in quarter.data if t.name == "Mood number"]
    month = checkin_calendar_figure([days_ago(0)], start=START, end=END,
                                    max_fixed_weeks=PHONE_FIXED_WEEKS)
    assert month.layout.width and [t for t in month.data if t.name == "Mood number"]
    # A desk keeps big squares, with their numbers, for the quarter.
    assert checkin_calendar_figure([days_ago(0)], start=END - timedelta(days=89),
                                   end=END).layout.width


def test_mood_and_craving_summary_says_what_the_chart_shows():
    points = [days_ago(n, mood=2, craving=6) for n in range(20, 30)]
    points += [days_ago(n, mood=4, craving=1, hard_day=n == 3) for n in range(0, 10)]
    points.append(days_ago(15, mood=1, craving=9, used_substances=True))
    text = mood_craving_summary(points, start=START, end=END)
    assert text == (
        "From 28 October to 26 November your mood averaged 2.9 of 5 and your craving 3.8 of 10 "
        "(eased from 6.0 to 1.7 over the period), over 21 check-ins, with 1 hard day and "
        "reported use on 1 day."
    )


def test_summaries_without_check_ins_say_so_kindly():
    assert "no check-ins" in mood_craving_summary([], start=START, end=END).lower()
    assert "fill a square" in checkin_calendar_summary([], start=START, end=END)


def test_calendar_summary_counts_days_and_the_longest_run():
    dates = [END - timedelta(days=n) for n in (0, 1, 2, 5, 6, 7, 8, 40)]
    assert checkin_calendar_summary(dates, start=START, end=END) == (
        "You checked in on 7 of the 30 days from 28 October to 26 November; "
        "your longest run was 4 days in a row."
    )


def test_a_short_calendar_keeps_big_squares_and_a_year_fills_the_width():
    month = checkin_calendar_figure([days_ago(0)], start=START, end=END)
    year = checkin_calendar_figure([days_ago(0, hard_day=True)],
                                   start=END - timedelta(days=364), end=END)
    assert month.layout.width and year.layout.width is None
    assert len(next(t for t in year.data if t.name == "Check-in").z[0]) == 53
    months = list(year.layout.xaxis.ticktext)
    assert months == ["Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                      "Oct", "Nov"]  # 27 Nov 2025 is too close to 1 December to be named


def test_the_first_and_last_day_are_not_cut_off_at_the_edges():
    fig = mood_craving_figure([days_ago(0), days_ago(29)], start=START, end=END)
    low, high = fig.layout.xaxis.range
    assert low < datetime.combine(START, time()) and high > datetime.combine(END, time())


def test_summary_speaks_of_the_member_to_a_viewer():
    from datetime import date

    from dashboard.member_charts import mood_craving_summary
    from dashboard.weekly_review import DayPoint

    day = date(2026, 11, 23)
    points = [DayPoint(day, 4, 2, False, False)]
    assert "their mood averaged 4.0 of 5 and their craving" in mood_craving_summary(
        points, start=day, end=day, whose="their")


def test_a_reader_without_flags_sees_no_hard_day_in_figures_or_sentence():
    """Hard days belong to flags (dashboard/categories.py): a reader sharing check-ins alone
    gets no marker, no hover word and no count of them; reported use stays."""
    points = [days_ago(1, hard_day=True, used_substances=True), days_ago(2, hard_day=True)]
    checkins_only = frozenset({"checkins"})
    for fig in (mood_craving_figure(points, start=START, end=END, categories=checkins_only),
                checkin_calendar_figure(points, start=START, end=END,
                                        categories=checkins_only)):
        assert "Hard day" not in traces(fig) and "Reported use" in traces(fig)
        assert "hard day" not in fig.to_json().lower()
    text = mood_craving_summary(points, start=START, end=END, whose="their",
                                categories=checkins_only)
    assert "hard day" not in text and text.endswith("with reported use on 1 day.")
    shared = mood_craving_summary(points, start=START, end=END, whose="their",
                                  categories={"checkins", "flags"})
    assert "with 2 hard days and reported use on 1 day." in shared


def axes(fig: go.Figure) -> list:
    layout = fig.layout
    return [layout[name] for name in layout if name.startswith(("xaxis", "yaxis"))]


@pytest.mark.parametrize("weeks", [4, 40])
def test_every_word_of_a_chart_is_written_in_the_dark_chart_text_colour(weeks):
    """Streamlit's chart theme colours ticks, titles and legends one by one in a grey of
    3.7:1; each member chart sets every one of them to TEXT_COLOR (4.5:1 or more)."""
    start = END - timedelta(weeks=weeks)
    checkins = [days_ago(0, hard_day=True), days_ago(3, used_substances=True)]
    for fig in (mood_craving_figure(checkins, start=start, end=END),
                checkin_calendar_figure(checkins, start=start, end=END)):
        assert fig.layout.font.color == TEXT_COLOR
        assert fig.layout.legend.font.color == TEXT_COLOR
        assert fig.layout.hoverlabel.font.color == TEXT_COLOR
        assert len(axes(fig)) >= 2
        for axis in axes(fig):
            assert axis.tickfont.color == TEXT_COLOR
            assert axis.title.font.color == TEXT_COLOR
    scale = checkin_calendar_figure(checkins, start=start, end=END).data[1].colorbar
    assert scale.tickfont.color == TEXT_COLOR
    assert scale.title.font.color == TEXT_COLOR


def test_flag_days_are_marked_by_colour_and_by_dash():
    fig = mood_craving_figure([days_ago(0)], start=START, end=END)
    mark_days(fig, [(END, *flag_mark("high")), (END - timedelta(days=2), *flag_mark("low")),
                    (END - timedelta(days=4), "#000000")])
    lines = [(shape.line.color, shape.line.dash) for shape in fig.layout.shapes]
    assert lines == [(HIGH_FLAG_COLOR, HIGH_FLAG_DASH), (OTHER_FLAG_COLOR, OTHER_FLAG_DASH),
                     ("#000000", "dot")]
    assert HIGH_FLAG_DASH != OTHER_FLAG_DASH
