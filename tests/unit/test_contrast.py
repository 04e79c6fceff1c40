"""Contrast of every colour the app chooses (WCAG 2.2 1.4.3 text 4.5:1, 1.4.11 marks 3:1),
measured on the backgrounds each is drawn on: axe-core in the browser tests cannot read
a chart's SVG or the caseload table's canvas, nor the theme before it is drawn."""

import tomllib
from pathlib import Path

import pytest

from dashboard import caseload_charts, member_charts
from dashboard.caseload_table import RISK_CELL_COLORS
from dashboard.contrast import (
    NON_TEXT_RATIO,
    TEXT_RATIO,
    WHITE,
    contrast_ratio,
    parse,
    relative_luminance,
)
from dashboard.web.style import FOCUS_COLOR, FOCUS_CSS, FOCUS_WIDTH_PX
from dashboard.web.widgets import RISK_COLOURS

THEME = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml")
                      .read_text())["theme"]
# Streamlit 1.67's light theme, where the shipped config does not say otherwise.
DEFAULT_TEXT = "#2f2d2b"
PAGE = THEME.get("backgroundColor", WHITE)
SIDEBAR = THEME.get("sidebar", {}).get("backgroundColor", "#f8f8f7")
CAPTION_OPACITY = "99"  # Streamlit's fadedText60: the text colour at 60 % opacity


# --- dashboard/contrast.py ------------------------------------------------------------


def test_contrast_ratios_are_those_of_wcag():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast_ratio("#777", "#fff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#767676", WHITE) == pytest.approx(4.54, abs=0.01)
    # The audit's measures on main.
    assert contrast_ratio("#828180", WHITE) == pytest.approx(3.88, abs=0.01)
    assert contrast_ratio("#FFFFFF", "#D55E00") == pytest.approx(3.87, abs=0.01)
    assert contrast_ratio("#808495", WHITE) == pytest.approx(3.72, abs=0.01)


def test_a_see_through_colour_is_measured_as_laid_over_its_background():
    assert parse("rgba(128, 128, 128, 0.2)") == (128, 128, 128, 0.2)
    assert parse("#00000000")[3] == 0
    assert relative_luminance("#00000000") == pytest.approx(1)
    assert contrast_ratio("#2f2d2b99", WHITE) == pytest.approx(
        contrast_ratio("#828180", WHITE), abs=0.02)
    with pytest.raises(ValueError):
        parse("red")


# --- the theme ------------------------------------------------------------------------


@pytest.mark.parametrize("section, background", [("main", PAGE), ("sidebar", SIDEBAR)])
def test_captions_read_at_4_5_to_1_in_the_main_area_and_the_sidebar(section, background):
    text = THEME.get("textColor", DEFAULT_TEXT)
    if section == "sidebar":
        text = THEME.get("sidebar", {}).get("textColor", text)
    assert contrast_ratio(text + CAPTION_OPACITY, background) >= TEXT_RATIO
    assert contrast_ratio(text, background) >= TEXT_RATIO


@pytest.mark.parametrize("colour", sorted(set(RISK_COLOURS.values())))
def test_risk_badges_read_at_4_5_to_1(colour):
    text, background = THEME[f"{colour}TextColor"], THEME[f"{colour}BackgroundColor"]
    assert contrast_ratio(text, background) >= TEXT_RATIO
    assert contrast_ratio(text, PAGE) >= TEXT_RATIO


def test_links_and_the_focus_outline_stand_out_from_the_page_and_the_sidebar():
    link = THEME.get("linkColor", THEME["blueTextColor"])
    for background in (PAGE, SIDEBAR):
        assert contrast_ratio(link, background) >= TEXT_RATIO
        assert contrast_ratio(FOCUS_COLOR, background) >= NON_TEXT_RATIO
    assert FOCUS_WIDTH_PX >= 2
    assert ":focus-visible" in FOCUS_CSS and FOCUS_COLOR in FOCUS_CSS


# --- the caseload table's risk labels -------------------------------------------------


def streamlit_label_text(background: str) -> str:
    """The colour Streamlit's table writes a coloured label's word in (its frontend,
    1.67: black over relative luminance 0.5, else white, reading no transparency)."""
    red, green, blue, _ = parse(background)
    opaque = f"#{int(red):02x}{int(green):02x}{int(blue):02x}"
    return "#000000" if relative_luminance(opaque) > 0.5 else "#FFFFFF"


@pytest.mark.parametrize("word", list(RISK_CELL_COLORS))
def test_the_words_of_the_caseload_risk_labels_read_at_4_5_to_1(word):
    colour = RISK_CELL_COLORS[word]
    # The frontend reads the colour as opaque, so it must be.
    assert parse(colour)[3] == 1
    assert contrast_ratio(streamlit_label_text(colour), colour) >= TEXT_RATIO


def test_the_high_risk_label_is_solid_and_the_others_are_tints():
    assert contrast_ratio(RISK_CELL_COLORS["High"], WHITE) >= NON_TEXT_RATIO
    assert streamlit_label_text(RISK_CELL_COLORS["High"]) == "#FFFFFF"
    for word in ("Medium", "Low", "None", "Not shared"):
        assert streamlit_label_text(RISK_CELL_COLORS[word]) == "#000000"


# --- the charts -----------------------------------------------------------------------


def test_chart_text_reads_at_4_5_to_1():
    assert contrast_ratio(member_charts.TEXT_COLOR, PAGE) >= TEXT_RATIO
    assert member_charts.TEXT_FONT == {"color": member_charts.TEXT_COLOR}


@pytest.mark.parametrize("name", [
    "MOOD_COLOR", "CRAVING_COLOR", "OUTLINE", "HIGH_FLAG_COLOR", "OTHER_FLAG_COLOR",
])
def test_member_chart_lines_and_edges_stand_out_from_the_page(name):
    assert contrast_ratio(getattr(member_charts, name), PAGE) >= NON_TEXT_RATIO


def test_light_markers_have_an_edge_that_stands_out_and_differ_by_shape():
    for _, _, _, colour in member_charts.EVENTS:
        assert max(contrast_ratio(colour, PAGE),
                   contrast_ratio(member_charts.OUTLINE, PAGE)) >= NON_TEXT_RATIO
    assert len({symbol for _, _, symbol, _ in member_charts.EVENTS}) == len(
        member_charts.EVENTS)


def test_high_and_other_flag_lines_are_told_apart_by_colour_and_by_dash():
    high, other = member_charts.flag_mark("high"), member_charts.flag_mark("medium")
    assert high == (member_charts.HIGH_FLAG_COLOR, member_charts.HIGH_FLAG_DASH)
    assert other == (member_charts.OTHER_FLAG_COLOR, member_charts.OTHER_FLAG_DASH)
    assert contrast_ratio(high[0], other[0]) >= NON_TEXT_RATIO
    assert high[1] != other[1]


@pytest.mark.parametrize("mood", range(1, 6))
def test_every_calendar_mood_stands_out_from_a_day_without_a_check_in(mood):
    colour = member_charts.MOOD_SCALE[mood - 1]
    assert contrast_ratio(colour, member_charts.NO_CHECKIN_COLOR) >= NON_TEXT_RATIO
    assert contrast_ratio(colour, PAGE) >= NON_TEXT_RATIO
    # The white markers with a black edge drawn on the squares of hard days and use.
    assert max(contrast_ratio("#FFFFFF", colour),
               contrast_ratio("#000000", colour)) >= NON_TEXT_RATIO


@pytest.mark.parametrize("mood", range(1, 6))
def test_the_number_written_on_each_calendar_mood_reads_at_4_5_to_1(mood):
    """Neighbouring moods differ by hue, not always by 3:1: each square also carries its
    mood's number, which must read as text does."""
    square = member_charts.MOOD_SCALE[mood - 1]
    assert contrast_ratio(member_charts.MOOD_DIGIT_COLORS[mood], square) >= TEXT_RATIO


def test_white_numbers_on_every_mood_would_fail():
    assert min(contrast_ratio("#FFFFFF", square) for square in member_charts.MOOD_SCALE) < (
        TEXT_RATIO)


def test_the_old_mood_scale_would_fail():
    assert contrast_ratio("#F0E442", member_charts.NO_CHECKIN_COLOR) < NON_TEXT_RATIO


def test_caseload_heatmap_check_ins_stand_out_from_missed_days_and_bars_have_an_edge():
    assert contrast_ratio(caseload_charts.CHECKED_IN_COLOR,
                          caseload_charts.MISSED_COLOR) >= NON_TEXT_RATIO
    assert contrast_ratio(caseload_charts.BAR_EDGE, PAGE) >= NON_TEXT_RATIO
