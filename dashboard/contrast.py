"""WCAG 2.2 contrast of colours as the app writes them ("#RGB", "#RRGGBB", "#RRGGBBAA",
"rgb(...)", "rgba(...)").

A see-through colour is measured as it is seen: laid over the background it is drawn on
(white unless told otherwise), as a browser or Plotly lays it.
"""

from __future__ import annotations

import re

WHITE = "#FFFFFF"
TEXT_RATIO = 4.5  # WCAG 1.4.3, text of normal size
NON_TEXT_RATIO = 3.0  # WCAG 1.4.11, parts of charts and controls, and large text

_FUNCTION = re.compile(r"^rgba?\(\s*([^)]*)\)$", re.IGNORECASE)

RGBA = tuple[float, float, float, float]


def parse(color: str) -> RGBA:
    """Red, green and blue (0 to 255) and alpha (0 to 1) of a CSS hex or rgb()/rgba()
    colour."""
    text = color.strip()
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) in (3, 4):
            digits = "".join(d * 2 for d in digits)
        if len(digits) not in (6, 8) or not re.fullmatch(r"[0-9a-fA-F]+", digits):
            raise ValueError(f"not a hex colour: {color!r}")
        channels = [int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)]
        alpha = channels[3] / 255 if len(channels) == 4 else 1.0
        return channels[0], channels[1], channels[2], alpha
    match = _FUNCTION.match(text)
    if match:
        parts = [p.strip() for p in match.group(1).split(",")]
        if len(parts) in (3, 4):
            alpha = float(parts[3]) if len(parts) == 4 else 1.0
            return float(parts[0]), float(parts[1]), float(parts[2]), alpha
    raise ValueError(f"not a colour this module reads: {color!r}")


def over(color: str, background: str = WHITE) -> tuple[float, float, float]:
    """The opaque colour seen when `color` is laid over `background` (itself laid over
    white when it is see-through)."""
    red, green, blue, alpha = parse(color)
    base = over(background) if parse(background)[3] < 1 else parse(background)[:3]
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip((red, green, blue), base))


def relative_luminance(color: str, background: str = WHITE) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = over(color, background)
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast_ratio(first: str, second: str, background: str = WHITE) -> float:
    """WCAG contrast ratio, 1 to 21, of two colours each laid over `background`."""
    lighter, darker = sorted((relative_luminance(first, background),
                              relative_luminance(second, background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
