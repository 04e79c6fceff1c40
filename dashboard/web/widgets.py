"""Small pieces that many screens share."""

from __future__ import annotations

import re

import streamlit as st

from dashboard.labels import CONFIDENTIALITY_NOTICE, CRISIS_RESOURCES, NOT_SHARED
from dashboard.timeutil import DATE_INPUT_FORMAT, DAY_COLUMN_FORMAT

RISK_COLOURS = {"high": "red", "medium": "orange", "low": "blue", "none": "gray"}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")
# Markdown makes links of bare web and e-mail addresses by itself (GFM's "autolink
# literals": http://, https://, www. and name@host), even with their punctuation escaped.
# A word joiner (U+2060, invisible, no line break) inside each start breaks the pattern:
# the reader sees the same characters, and no link.
WORD_JOINER = "\u2060"
_AUTOLINK_START = re.compile(r"(?i)(https?|www)(?=://|\.)|(?=@)")


def plain(text: object) -> str:
    """Text typed by a person, made safe to put inside markdown: shown as typed, never as
    links, images, colours or icons (a link or an image link would make the viewer's
    browser call out to a stranger's server)."""
    one_line = " ".join(str(text).split())
    unlinked = _AUTOLINK_START.sub(lambda m: m.group(0) + WORD_JOINER, one_line)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", unlinked)


def confidentiality_notice() -> None:
    st.caption(f":lock: {CONFIDENTIALITY_NOTICE}")


def crisis_resources() -> None:
    """The crisis lines (988, SAMHSA), in a box that is hard to miss."""
    st.info(CRISIS_RESOURCES, icon=":material/call:")


def date_field(label: str, **options):
    """A date field (st.date_input) in the app's one date format."""
    return st.date_input(label, format=DATE_INPUT_FORMAT, **options)


def day_columns(*labels: str) -> dict:
    """Column settings for table columns of days: the app's date style, sortable as dates."""
    return {label: st.column_config.DateColumn(label, format=DAY_COLUMN_FORMAT)
            for label in labels}


def not_shared(value, fmt: str = "{}") -> str:
    """A value for display, or 'not shared' when the category is not consented."""
    if value is None:
        return NOT_SHARED
    return fmt.format(value)


def risk_badge(severity: str, label: str) -> str:
    """Markdown of a coloured badge for a severity or a risk level."""
    return f":{RISK_COLOURS[severity]}-badge[{label}]"
