"""Free text typed by people: kept as typed, minus what no person means to type.

Control characters (NUL above all, which PostgreSQL refuses outright) are dropped; a
single-line field folds line breaks into spaces, so nothing typed can start a new line
in a table, a CSV export or a log.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_KEEPING_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """The text without control characters, trimmed; '' for None."""
    if value is None:
        return ""
    if multiline:
        text = _CONTROL_KEEPING_LINES.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
        return text.strip()
    return " ".join(_CONTROL.sub(" ", value).split())
