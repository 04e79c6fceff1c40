"""What kind of device the person uses, for the few choices a phone changes."""

from __future__ import annotations

import streamlit as st

# Browsers on phones say so in their user agent ("iPhone", "Android ... Mobile").
_PHONE_MARKS = ("Mobi", "iPhone", "iPod")


def on_a_phone() -> bool:
    """Whether this browser is a phone's, by its user agent; False when unknown (a
    desk's layout is the default, and a phone's is only ever a folded part)."""
    agent = st.context.headers.get("User-Agent") or ""
    return any(mark in agent for mark in _PHONE_MARKS)
