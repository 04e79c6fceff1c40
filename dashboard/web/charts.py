"""A chart on a screen: the figure (built without Streamlit in member_charts.py and
caseload_charts.py) with its summary in words, which is also its text alternative."""

from __future__ import annotations

import streamlit as st

# No toolbar: the charts are read, not explored, and a toolbar over a phone's chart hides it.
STATIC = {"displayModeBar": False}
# My progress lets a member zoom into a year of their own days.
EXPLORABLE = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def chart(figure, *, summary: str, key: str | None = None, caption: bool = True,
          config: dict | None = None, **options) -> None:
    """The figure, described by `summary` to screen readers, and under it in a caption
    unless the screen shows the summary elsewhere (`caption=False`)."""
    st.plotly_chart(figure, config=config or STATIC, key=key, alt=summary, **options)
    if caption:
        st.caption(summary)
