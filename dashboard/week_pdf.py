"""One sponsee's week on one page of paper (PDF), for a sponsor who meets them in person.

A pure rendering of a `SponseeWeek` card: it holds what the card holds and nothing else,
so only the categories the sponsee shares (a category not shared reads "not shared", never
a zero or an empty list). Long lists are shortened ("and 3 more") until the page fits: the
file always has exactly one page, with the confidentiality notice at its foot.

Names and reasons may hold any character. The text is set in DejaVu Sans, shipped in
dashboard/static/fonts (nothing is fetched at run time); a character the font lacks is
printed as a replacement mark, so no text can break the file, and none of it reaches the
logs. Neither the file's name nor its metadata holds the sponsee's name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF

from dashboard.labels import (
    CATEGORY_LABELS,
    CONFIDENTIALITY_NOTICE,
    CRISIS_RESOURCES_SHORT,
    NOT_SHARED,
    SEVERITY_LABELS,
    STEP_LABELS,
    plural,
)
from dashboard.timeutil import day_label
from dashboard.weekly_review import SponseeWeek

FONT_DIR = Path(__file__).resolve().parent / "static" / "fonts"
FAMILY = "dejavu"
FONT_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}
TITLE = "Weekly review"
CREATOR = "Recovery case dashboard"
REPLACEMENT = "\ufffd"  # what a character the font lacks is printed as

# A4 portrait, in millimetres.
PAGE_HEIGHT, MARGIN, FOOTER_GAP = 297.0, 15.0, 4.0
GREY, INK = (95, 95, 95), (20, 20, 20)

# Longest texts printed, in characters; lists are shortened by `_shrink` until they fit.
MAX_NAME, MAX_WEEK_WORDS, MAX_ITEM, MAX_NOTE, MIN_NOTE = 80, 100, 280, 2000, 120
NOTE_LINE = 110  # characters of the note in about one line


@dataclass(frozen=True)
class _Style:
    size: float  # points
    emphasis: str  # "" or "B"
    height: float  # of a line, mm
    before: float = 0.0  # space above, mm
    indent: float = 0.0  # mm; a bullet stands in it
    grey: bool = False


STYLES = {
    "title": _Style(16, "B", 7.4),
    "subtitle": _Style(10.5, "", 5.4, before=0.6),
    "heading": _Style(11, "B", 5.4, before=3.6),
    "body": _Style(9.5, "", 4.5, before=0.6),
    "item": _Style(9.5, "", 4.5, before=0.6, indent=4.5),
    "more": _Style(9.5, "", 4.5, before=0.6, indent=4.5, grey=True),
    "muted": _Style(9.5, "", 4.5, before=0.6, grey=True),
    "note": _Style(9.5, "", 4.5, before=0.6),
    "footer": _Style(7.5, "", 3.4, before=0.4, grey=True),
}


@dataclass(frozen=True)
class _Line:
    style: str
    text: str


# How many entries of each list the page shows, the rest being "and N more".
LISTS = ("talking_points", "milestones", "step_changes", "hard_days", "open_flags")
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def week_pdf(card: SponseeWeek, *, week_words: str, today: date) -> bytes:
    """The sponsee's week as a one-page PDF: what they share, talking points, the week's
    figures, hard days, steps, milestones, the flags waiting for the sponsor and the
    sponsor's private note; "not shared" for each category they keep to themselves."""
    pdf = _document(f"{TITLE} \u00b7 {_clip(week_words, MAX_WEEK_WORDS)}")
    footer = _footer_lines(today)
    limits = {name: len(getattr(card, name) or []) for name in LISTS}
    limits["note"] = MAX_NOTE
    heights: dict[_Line, float] = {}
    room = _footer_top(pdf, footer, heights) - FOOTER_GAP - MARGIN
    while True:
        lines = _lines(card, week_words=week_words, today=today, limits=limits)
        if _height(pdf, lines, heights) <= room or not _shrink(limits):
            break
    while lines and _height(pdf, lines, heights) > room:  # not for a card the app makes
        lines.pop()
    return _render(pdf, lines, footer, heights)


def notice_pdf(message: str, *, today: date | None = None) -> bytes:
    """A one-page PDF holding only a message (such as "no longer shared") and the notice."""
    pdf = _document(TITLE)
    lines = [_Line("title", TITLE), _Line("body", _clip(message, 1000))]
    return _render(pdf, lines, _footer_lines(today), {})


def week_pdf_file_name(card: SponseeWeek, *, iso_week: str) -> str:
    """A file name without the sponsee's name: the week and their initials at most, in
    ASCII letters, digits, dashes and a dot ("weekly-review-2026-W48-AB.pdf")."""
    week = re.sub(r"[^A-Za-z0-9-]", "", iso_week or "")[:10].strip("-") or "week"
    initials = _initials(card.display_name)
    return f"weekly-review-{week}{'-' + initials if initials else ''}.pdf"


def _initials(name: str) -> str:
    """Up to three ASCII initials of a name ("José Núñez": "JN"); none for a name without
    Latin letters."""
    letters = []
    for word in (name or "").split():
        ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        first = next((c for c in ascii_word if c.isascii() and c.isalpha()), "")
        if first:
            letters.append(first.upper())
    return "".join(letters[:3])


# What the page says.

def _lines(card: SponseeWeek, *, week_words: str, today: date,
           limits: dict[str, int]) -> list[_Line]:
    lines = [
        _Line("title", f"{TITLE} for {_clip(card.display_name, MAX_NAME)}"),
        _Line("subtitle", _clip(week_words, MAX_WEEK_WORDS)),
    ]
    lines += _sharing(card)
    lines += _section("Things to talk about", card.talking_points, limits["talking_points"],
                      empty="Nothing stands out in what they share this week.")
    lines += _figures(card, today)
    lines += _hard_days(card, today, limits["hard_days"])
    lines += _steps(card, limits["step_changes"])
    lines += _milestones(card, limits["milestones"])
    lines += _flags(card, today, limits["open_flags"])
    if card.review_note and card.review_note.strip():
        lines += [_Line("heading", "Your private note"),
                  _Line("note", _clip(card.review_note.strip(), limits["note"]))]
    return lines


def _sharing(card: SponseeWeek) -> list[_Line]:
    shared = [label for code, label in CATEGORY_LABELS.items() if code in card.categories]
    kept = [label for code, label in CATEGORY_LABELS.items() if code not in card.categories]
    lines = [_Line("heading", "What they share with you"),
             _Line("body", ", ".join(shared) + "." if shared else "Nothing.")]
    if kept:
        lines.append(_Line("muted", f"Not shared with you: {', '.join(kept)}."))
    return lines


def _not_shared(heading: str, what: str) -> list[_Line]:
    return [_Line("heading", heading), _Line("muted", f"{what}: {NOT_SHARED}.")]


def _section(heading: str, items: list[str], limit: int, *, empty: str) -> list[_Line]:
    return [_Line("heading", heading), *_items(items, limit, empty=empty)]


def _items(items: list[str], limit: int, *, empty: str) -> list[_Line]:
    if not items:
        return [_Line("body", empty)]
    shown = [_Line("item", _clip(item, MAX_ITEM)) for item in items[:limit]]
    if len(items) > limit:
        shown.append(_Line("more", f"and {len(items) - limit} more"))
    return shown


def _figures(card: SponseeWeek, today: date) -> list[_Line]:
    heading = "Their week in numbers"
    if card.checkins_made is None:
        return _not_shared(heading, "Check-ins")
    no_checkin = "no check-in this week"
    use_days = card.use_days or []
    if use_days:
        days = ", ".join(_day(d, today, short=True) for d in use_days)
        use = f"{plural(len(use_days), 'day')} ({days})"
    else:
        use = "none"
    return [
        _Line("heading", heading),
        _Line("item", f"Check-ins: {card.checkins_made} of {card.days_in_week} days"),
        _Line("item", "Mean mood: " + (f"{card.mean_mood:.1f}/5" if card.mean_mood is not None
                                       else no_checkin)),
        _Line("item", "Highest craving: " + (f"{card.highest_craving}/10"
                                             if card.highest_craving is not None
                                             else no_checkin)),
        _Line("item", f"Meetings: {card.meetings}"),
        _Line("item", f"Days with use: {use}"),
    ]


def _hard_days(card: SponseeWeek, today: date, limit: int) -> list[_Line]:
    heading = "Hard days"
    if card.hard_days is None:
        return _not_shared(heading, "Hard days")
    items = [_day(day, today) + (f": \u201c{reason.strip()}\u201d" if reason else "")
             for day, reason in sorted(card.hard_days, key=lambda h: h[0])]
    lines = [_Line("heading", heading),
             *_items(items, limit, empty="No day marked hard this week.")]
    if card.hard_days and "notes" not in card.categories:
        lines.append(_Line("muted", f"Why a day was hard: {NOT_SHARED}."))
    return lines


def _steps(card: SponseeWeek, limit: int) -> list[_Line]:
    heading = "Steps"
    if card.step_changes is None or card.current_step is None:
        return _not_shared(heading, "Steps")
    label = STEP_LABELS.get(card.current_step)
    current = f"Current step: {card.current_step}" + (f" ({label})" if label else "")
    return [_Line("heading", heading), _Line("body", current),
            *_items(card.step_changes, limit, empty="No step started or completed this week.")]


def _milestones(card: SponseeWeek, limit: int) -> list[_Line]:
    heading = "Milestones this week and next"
    if card.milestones is None:
        if "checkins" not in card.categories:
            return _not_shared(heading, "Milestones")
        return [_Line("heading", heading), _Line("body", "No sobriety date on record.")]
    items = [m[:1].upper() + m[1:] for m in card.milestones]
    return [_Line("heading", heading), *_items(items, limit, empty="None this week or next.")]


def _flags(card: SponseeWeek, today: date, limit: int) -> list[_Line]:
    heading = "Flags waiting for you"
    if card.open_flags is None:
        return _not_shared(heading, "Flags")
    flags = sorted(card.open_flags,
                   key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.raised_on, f.id))
    items = []
    for flag in flags:
        text = (f"{SEVERITY_LABELS.get(flag.severity, flag.severity)} \u00b7 raised "
                f"{_day(flag.raised_on, today, short=True)} \u00b7 {flag.reason}")
        if flag.quoted_text:
            text += f" \u201c{flag.quoted_text}\u201d"
        items.append(text)
    lines = [_Line("heading", heading)]
    if card.risk is not None:
        risk = SEVERITY_LABELS.get(card.risk, card.risk)
        lines.append(_Line("body", f"Their risk level: {risk}"))
    lines += _items(items, limit, empty="No flag is waiting for you to act on.")
    if any(f.severity == "high" for f in flags):
        lines.append(_Line("muted", CRISIS_RESOURCES_SHORT.replace("**", "")))
    return lines


def _footer_lines(today: date | None) -> list[_Line]:
    lines = [_Line("footer", CONFIDENTIALITY_NOTICE)]
    if today is not None:
        lines.append(_Line("footer", f"Printed {day_label(today, weekday=True)}."))
    return lines


def _day(day: date, today: date, *, short: bool = False) -> str:
    return day_label(day, today=today, weekday=True, short=short, relative=False)


def _clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _shrink(limits: dict[str, int]) -> bool:
    """Shorten what takes the most room: one entry fewer of the longest list (the talking
    points first, the flags last), or a note a sixth shorter when it is longer in lines.
    False when nothing is left to shorten."""
    longest = max(LISTS, key=lambda name: (limits[name], -LISTS.index(name)))
    note_lines = limits["note"] // NOTE_LINE
    if limits["note"] > MIN_NOTE and (note_lines >= limits[longest] or limits[longest] <= 1):
        limits["note"] = max(MIN_NOTE, limits["note"] * 5 // 6)
        return True
    if limits[longest] > 1:
        limits[longest] -= 1
        return True
    return False


# How the page is drawn.

def _document(title: str) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    for emphasis, path in FONT_FILES.items():
        pdf.add_font(FAMILY, emphasis, str(path))
    pdf.set_title(title)
    pdf.set_creator(CREATOR)
    pdf.set_lang("en")
    pdf.c_margin = 0
    pdf.add_page()  # measuring needs one; text is written only by `_render`
    return pdf


def _printable(pdf: FPDF, text: str, emphasis: str, *, multiline: bool) -> str:
    """The text with only characters the font has: another whitespace is a space (a line
    break too, unless `multiline`), an invisible control or mark the font lacks is left
    out, and any other character it lacks is the replacement mark (fpdf2 would print an
    empty box, and log the characters)."""
    known = pdf.fonts[f"{FAMILY}{emphasis}"].cmap
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char == "\n" and multiline:
            out.append(char)
        elif char.isspace():
            out.append(" ")
        elif ord(char) in known:
            out.append(char)
        elif unicodedata.category(char) not in ("Cc", "Cf", "Mn", "Me", "Cs"):
            out.append(REPLACEMENT)
    text = "".join(out)
    text = re.sub(r"[ ]{2,}", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _width(pdf: FPDF, style: _Style) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin - style.indent


def _line_text(pdf: FPDF, line: _Line) -> str:
    style = STYLES[line.style]
    return _printable(pdf, line.text, style.emphasis, multiline=line.style == "note")


def _height(pdf: FPDF, lines: list[_Line], heights: dict[_Line, float]) -> float:
    """The height the lines take on the page, each measured once (`heights`)."""
    for line in lines:
        if line not in heights:
            style = STYLES[line.style]
            pdf.set_font(FAMILY, style.emphasis, style.size)
            heights[line] = style.before + pdf.multi_cell(
                _width(pdf, style), style.height, _line_text(pdf, line), align="L",
                dry_run=True, output="HEIGHT")
    return sum(heights[line] for line in lines)


def _footer_top(pdf: FPDF, footer: list[_Line], heights: dict[_Line, float]) -> float:
    return PAGE_HEIGHT - MARGIN - _height(pdf, footer, heights)


def _render(pdf: FPDF, lines: list[_Line], footer: list[_Line],
            heights: dict[_Line, float]) -> bytes:
    pdf.set_y(MARGIN)
    for line in lines:
        _draw(pdf, line)
    top = _footer_top(pdf, footer, heights)
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, top - 1.2, pdf.w - pdf.r_margin, top - 1.2)
    pdf.set_y(top)
    for line in footer:
        _draw(pdf, line)
    assert pdf.page == 1, "the week must fit one page"
    return bytes(pdf.output())


def _draw(pdf: FPDF, line: _Line) -> None:
    style = STYLES[line.style]
    pdf.set_y(pdf.get_y() + style.before)
    pdf.set_font(FAMILY, style.emphasis, style.size)
    pdf.set_text_color(*(GREY if style.grey else INK))
    if style.indent:
        pdf.set_x(pdf.l_margin + 1)
        if line.style == "item":
            pdf.cell(style.indent - 1, style.height, "\u2022")
        pdf.set_x(pdf.l_margin + style.indent)
    pdf.multi_cell(_width(pdf, style), style.height, _line_text(pdf, line), align="L",
                   new_x="LMARGIN", new_y="NEXT")
