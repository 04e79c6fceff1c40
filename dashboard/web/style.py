"""The app's few lines of CSS, for what Streamlit draws short of WCAG 2.2 AA.

The focus indicator (WCAG 2.4.7, 2.4.11): Streamlit draws the keyboard focus of radio
buttons, checkboxes and the menu's links as a faint shadow (1.1 to 1.2:1 against the page);
FOCUS_CSS draws a solid outline instead, in FOCUS_COLOR (3:1 or more on the white page and
the sidebar's grey; the contrast is measured in tests/unit/test_contrast.py). A radio
button's or checkbox's own input is hidden, so the outline goes round its label.

The size of targets (WCAG 2.5.8): a date field's year, month and day are each a box of
their own that a click or a tap picks, and Streamlit draws a two-digit month or day 18 x 20
px, close to its neighbours; TARGET_SIZE_CSS makes every such box 24 x 24 px or more, its
text centred, and takes the extra height from the field's padding so that the field keeps
its height.

The selectors name only plain HTML, ARIA roles and Streamlit's stable test ids, which an
upgrade is least likely to change.
"""

from __future__ import annotations

import streamlit as st

FOCUS_COLOR = "#1f5f8b"  # the theme's primaryColor (.streamlit/config.toml)
FOCUS_WIDTH_PX = 3
TARGET_SIZE_PX = 24  # WCAG 2.5.8's minimum

FOCUS_CSS = f"""
:is(a, button, summary, input, select, textarea, [role="button"], [role="link"],
    [role="menuitem"], [role="tab"], [tabindex]):focus-visible {{
  outline: {FOCUS_WIDTH_PX}px solid {FOCUS_COLOR} !important;
  outline-offset: 1px !important;
}}
label:has(input:is([type="radio"], [type="checkbox"]):focus-visible) {{
  outline: {FOCUS_WIDTH_PX}px solid {FOCUS_COLOR};
  outline-offset: 1px;
  border-radius: 4px;
}}
[data-testid="stSidebarNav"] a:focus-visible {{
  outline-offset: -{FOCUS_WIDTH_PX}px !important;
}}
"""

# A two-digit box is 14 px of text: 5 px of padding on each side (Streamlit's is 2 px) makes
# it 24 px wide, and the same padding on the year keeps the gaps round the dashes even (and
# a range's dash between its two dates still wider). The row of boxes was 20 px high inside
# 8 px of padding above and below: the 24 px boxes take 2 px of each, and the field keeps
# its height.
TARGET_SIZE_CSS = f"""
[data-testid="stDateInput"] [role="spinbutton"] {{
  box-sizing: border-box;
  min-width: {TARGET_SIZE_PX}px;
  padding: 0 5px;
  min-height: {TARGET_SIZE_PX}px;
  line-height: {TARGET_SIZE_PX}px;
  text-align: center;
}}
[data-testid="stDateInput"] [role="group"]:has(> [role="spinbutton"]) {{
  padding-top: 6px;
  padding-bottom: 6px;
}}
"""

PAGE_CSS = FOCUS_CSS + TARGET_SIZE_CSS


def page_style() -> None:
    """Adds the app's CSS to the page: the focus outline and the date fields' 24 px
    boxes (see above); once per run, before anything else is drawn.

    Style-only HTML goes to Streamlit's event container, so it adds no element and no
    space to the page."""
    st.html(f"<style>{PAGE_CSS}</style>")
