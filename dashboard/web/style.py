"""The app's few lines of CSS: a focus indicator that can be seen (WCAG 2.4.7, 2.4.11).

Streamlit draws the keyboard focus of radio buttons, checkboxes and the menu's links as a
faint shadow (1.1 to 1.2:1 against the page); this draws a solid outline instead, in
FOCUS_COLOR (3:1 or more on the white page and the sidebar's grey; the contrast is
measured in tests/unit/test_contrast.py). A radio button's or checkbox's own input is
hidden, so the outline goes round its label. The selectors name only plain HTML and
Streamlit's stable test ids, which an upgrade is least likely to change.
"""

from __future__ import annotations

import streamlit as st

FOCUS_COLOR = "#1f5f8b"  # the theme's primaryColor (.streamlit/config.toml)
FOCUS_WIDTH_PX = 3

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


def focus_style() -> None:
    """Adds the focus outline to the page: once per run, before anything else is drawn.

    Style-only HTML goes to Streamlit's event container, so it adds no element and no
    space to the page."""
    st.html(f"<style>{FOCUS_CSS}</style>")
