"""The one-page PDF of a sponsee's week (dashboard/week_pdf.py), read back with pypdf."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from dashboard.labels import CONFIDENTIALITY_NOTICE
from dashboard.member_views import FlagView
from dashboard.week_pdf import FONT_FILES, notice_pdf, week_pdf, week_pdf_file_name
from dashboard.weekly_review import SponseeWeek, talking_points

MONDAY = date(2026, 11, 23)
TODAY = date(2026, 12, 1)
WEEK_WORDS = "Last week \u00b7 23 to 29 Nov"
ALL = frozenset({"checkins", "steps", "flags", "notes"})

# What each category puts on the page, when shared (words that never wrap in the middle).
SHOWN_WITH = {
    "checkins": ["5 of 7 days", "3.4/5", "8/10", "Meetings: 4", "90 days on Friday"],
    "steps": ["Current step: 4", "Take an honest inventory", "Started step 4"],
    "flags": ["Tuesday 24 November", "Their risk level: Medium", "Marked a hard day"],
    "notes": ["rent is late", "cannot sleep again"],
}
NOT_SHARED_WORDS = {"checkins": "Check-ins: not shared", "steps": "Steps: not shared",
                    "flags": "Hard days: not shared"}


def flag(n: int, severity: str = "medium", reason: str = "Marked a hard day",
         quote: str | None = None, day: date = MONDAY) -> FlagView:
    return FlagView(id=n, rule_id="hard_day", severity=severity, raised_on=day, reason=reason,
                    quoted_text=quote, status="open", acknowledged_at=None,
                    outreach_method=None, resolved_at=None)


def week(categories=ALL, name: str = "Ana Beltr\u00e1n", **values) -> SponseeWeek:
    """A card as the weekly review makes it: only the shared categories are filled in,
    hard-day reasons and quotes only with notes."""
    categories = frozenset(categories)
    notes = "notes" in categories
    shared: dict = {}
    if "checkins" in categories:
        shared |= {"checkins_made": 5, "mean_mood": 3.4, "highest_craving": 8, "meetings": 4,
                   "use_days": [], "silent": False,
                   "milestones": ["reaches 90 days on Friday 27 November"]}
    if "flags" in categories:
        shared |= {"hard_days": [(MONDAY + timedelta(days=1),
                                  "rent is late" if notes else None)],
                   "open_flags": [flag(1, quote="cannot sleep again" if notes else None)],
                   "risk": "medium"}
    if "steps" in categories:
        shared |= {"step_changes": ["Started step 4 (Take an honest inventory)"],
                   "current_step": 4}
    card = SponseeWeek(member_id=7, display_name=name, categories=categories,
                       week_start=MONDAY, **(shared | values))
    card.talking_points = talking_points(card)
    return card


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, its whitespace made single spaces (lines wrap anywhere)."""
    assert data.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def text_rows(data: bytes) -> list[tuple[float, str]]:
    """(height from the page's foot in points, text) of each piece of text, top first."""
    rows: list[tuple[float, str]] = []
    page = PdfReader(io.BytesIO(data)).pages[0]
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: rows.append(
        (tm[5], text.strip())) if text.strip() else None)
    return rows


def page_text(card: SponseeWeek) -> str:
    pages = pdf_pages(week_pdf(card, week_words=WEEK_WORDS, today=TODAY))
    assert len(pages) == 1
    return pages[0]


@pytest.mark.parametrize("categories", [
    {"checkins"}, {"steps"}, {"flags"}, {"flags", "notes"}, {"checkins", "steps"},
    {"checkins", "flags", "notes"}, set(ALL),
], ids=lambda c: "+".join(sorted(c)))
def test_only_shared_categories_show_and_the_others_read_not_shared(categories):
    text = page_text(week(categories))
    for category, words in SHOWN_WITH.items():
        for word in words:
            assert (word in text) == (category in categories), (category, word)
    for category, words in NOT_SHARED_WORDS.items():
        assert (words in text) == (category not in categories), words
    assert "Ana Beltr\u00e1n" in text and WEEK_WORDS in text


def test_a_category_not_shared_is_never_a_zero_or_an_empty_list():
    text = page_text(week({"steps"}))
    for words in ("0 of 7", "Meetings", "Mean mood", "Days with use", "No day marked hard",
                  "No flag is waiting", "Their risk level", "Milestones: not shared",
                  "Flags: not shared"):
        assert (words in text) == words.endswith("not shared"), words
    assert "Not shared with you: Check-ins, Hard days and flags, Notes." in text


def test_hard_days_without_notes_give_the_day_and_say_their_reasons_are_not_shared():
    text = page_text(week({"flags"}))
    assert "Tuesday 24 November" in text
    assert "Why a day was hard: not shared." in text
    assert "Why a day was hard" not in page_text(week({"flags", "notes"}))


def test_shared_but_empty_categories_say_so_in_words():
    text = page_text(week(ALL, checkins_made=0, mean_mood=None, highest_craving=None,
                          meetings=0, milestones=[], hard_days=[], open_flags=[], risk="none",
                          step_changes=[]))
    for words in ("Check-ins: 0 of 7 days", "Mean mood: no check-in this week",
                  "No day marked hard this week.", "No flag is waiting for you to act on.",
                  "No step started or completed this week.", "None this week or next."):
        assert words in text, words
    assert "not shared" not in text.casefold().replace("not shared with you", "")


def test_sections_come_in_the_order_of_the_review():
    card = week(ALL, review_note="Bring the step 4 worksheet.")
    text = page_text(card)
    headings = ["Weekly review for Ana", "What they share with you", "Things to talk about",
                "Their week in numbers", "Hard days", "Steps", "Milestones this week and next",
                "Flags waiting for you", "Your private note", "Confidential:"]
    place = 0
    for heading in headings:  # each after the one before
        place = text.index(heading, place)
    assert "Bring the step 4 worksheet." in text


def test_flags_give_severity_raised_day_and_reason_and_high_ones_the_crisis_lines():
    card = week(ALL, open_flags=[flag(1, "low", "Craving rising: 6.1 vs 2.8 usual"),
                                 flag(2, "high", "Reported use on Wed 25 Nov",
                                      day=MONDAY + timedelta(days=2))])
    text = page_text(card)
    high = text.index("High \u00b7 raised Wed 25 Nov \u00b7 Reported use on Wed 25 Nov")
    assert high < text.index("Low \u00b7 raised Mon 23 Nov \u00b7 Craving rising")
    assert "988" in text
    assert "988" not in page_text(week(ALL))


def test_the_private_note_shows_only_when_there_is_one():
    assert "Your private note" not in page_text(week(ALL))
    assert "Your private note" in page_text(week({"steps"}, review_note="Call on Friday"))


@pytest.mark.parametrize("data", [
    pytest.param(lambda: week_pdf(week(), week_words=WEEK_WORDS, today=TODAY), id="week"),
    pytest.param(lambda: notice_pdf("They no longer share this week with you."),
                 id="notice"),
])
def test_the_page_carries_the_confidentiality_notice(data):
    pages = pdf_pages(data())
    assert len(pages) == 1
    assert " ".join(CONFIDENTIALITY_NOTICE.split()) in pages[0]


def test_a_very_full_card_fits_one_page_and_says_what_was_left_out():
    days = [MONDAY + timedelta(days=n % 7) for n in range(20)]
    card = week(
        ALL,
        name="Maximilian Alexander von Hohenzollern-Sigmaringen " * 3,
        hard_days=[(d, f"Hard-day reason {n}: " + "the rent, the job, my brother. " * 15)
                   for n, d in enumerate(days)],
        open_flags=[flag(n, ("high", "medium", "low")[n % 3], f"Flag reason {n} " * 12,
                         quote="I could not stop thinking about it " * 8)
                    for n in range(15)],
        step_changes=[f"Completed step {n} (a long step label)" for n in range(1, 13)],
        milestones=[f"reaches {n} years on Friday 27 November" for n in range(1, 10)],
        use_days=days[:7],
        review_note=("A long private note about the week, with many details. " * 40 + "\n") * 2,
    )
    card.talking_points = [f"Talking point {n}: " + "something worth raising. " * 6
                           for n in range(12)]
    text = page_text(card)
    assert re.search(r"and \d+ more", text)
    # Nothing runs off the page or into the notice at its foot.
    rows = text_rows(week_pdf(card, week_words=WEEK_WORDS, today=TODAY))
    notice = next(y for y, words in rows if words.startswith("Confidential:"))
    content = [y for y, words in rows if y > notice]
    assert len(content) > 40 and min(content) > notice + 12
    assert max(y for y, _ in rows) < 842 - 30 and min(y for y, _ in rows) > 30
    for words in ("Talking point 0", "Hard-day reason 0", "High \u00b7 raised",
                  "Your private note", "A long private note", "Current step: 4"):
        assert words in text, words
    assert " ".join(CONFIDENTIALITY_NOTICE.split()) in text


def test_the_metadata_hold_no_name():
    card = week(name="Ana Beltr\u00e1n")
    info = PdfReader(io.BytesIO(week_pdf(card, week_words=WEEK_WORDS, today=TODAY))).metadata
    assert info.title == f"Weekly review \u00b7 {WEEK_WORDS}"
    assert info.author is None and info.subject is None and info.keywords is None
    assert all("Ana" not in str(v) and "Beltr" not in str(v) for v in info.values())


@pytest.mark.parametrize(("name", "expected"), [
    ("Ana Beltr\u00e1n", "weekly-review-2026-W48-AB.pdf"),
    ("Jos\u00e9 N\u00fa\u00f1ez", "weekly-review-2026-W48-JN.pdf"),
    ("\u00c9lodie \U0001F338 O'Connor-Smith", "weekly-review-2026-W48-EO.pdf"),
    ("\u674e\u5c0f\u9f8d", "weekly-review-2026-W48.pdf"),
    ("\U0001F984\U0001F600", "weekly-review-2026-W48.pdf"),
    ("Mary Ann Lou Zed", "weekly-review-2026-W48-MAL.pdf"),
    ("", "weekly-review-2026-W48.pdf"),
])
def test_file_name_holds_the_week_and_initials_only_in_safe_characters(name, expected):
    file_name = week_pdf_file_name(week(name=name), iso_week="2026-W48")
    assert file_name == expected
    assert re.fullmatch(r"[A-Za-z0-9.-]+", file_name)
    folded = unicodedata.normalize("NFKD", file_name.casefold())
    for part in re.split(r"\W+", unicodedata.normalize("NFKD", name.casefold())):
        part = "".join(c for c in part if c.isalnum())
        assert len(part) < 2 or part not in folded, part


def test_file_name_of_a_strange_week_stays_safe():
    file_name = week_pdf_file_name(week(), iso_week="../../etc/passwd\u00e9 W48")
    assert re.fullmatch(r"[A-Za-z0-9.-]+", file_name) and "/" not in file_name


def test_unicode_names_and_reasons_print_without_crashing_or_logging_them(caplog):
    name = "Zo\u00eb \u201cZee\u201d \u674e\u5c0f\u9f8d \U0001F984"
    reason = ("caf\u00e9 \u2019n\u2019 \u201cquotes\u201d \U0001F600 \U0001F984 \u4e2d\u6587 "
              "\u0645\u0631\u062d\u0628\u0627 e\u0301 \u2764\ufe0f \U0001F469\u200d\U0001F4BB "
              "\x00\x07 tab\there")
    card = week(ALL, name=name, hard_days=[(MONDAY, reason)], review_note=reason)
    with caplog.at_level(logging.DEBUG):
        text = page_text(card)
    assert "Zo\u00eb \u201cZee\u201d" in text
    assert "caf\u00e9" in text and "\U0001F600" in text  # DejaVu has these
    assert "\ufffd" in text  # the CJK and the unicorn, which it has not, are marked
    assert "\u674e" not in text and "\x00" not in text
    assert not [r for r in caplog.records if "\u674e" in r.getMessage()
                or "missing" in r.getMessage()]
    assert week_pdf_file_name(card, iso_week="2026-W48") == "weekly-review-2026-W48-ZZ.pdf"


def test_the_fonts_ship_with_the_repository_and_their_license():
    for path in FONT_FILES.values():
        assert path.is_file() and path.stat().st_size > 100_000
    license_text = (Path(FONT_FILES[""]).parent / "LICENSE-DejaVu.txt").read_text()
    assert "Bitstream Vera Fonts Copyright" in license_text
    assert "Arev Fonts Copyright" in license_text
