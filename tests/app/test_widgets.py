"""dashboard/web/widgets.py: `plain`, the one way typed text goes into markdown, shows it as
typed and never as a link; on the staff screens that show a member's words (Alerts, Weekly
review) no web or e-mail address a member typed becomes a link."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.flags import evaluate_checkin
from dashboard.timeutil import local_today
from dashboard.web.widgets import WORD_JOINER, plain
from tests.app.conftest import no_exception, shown, titles
from tests.factories import NOW, add_checkin, grant, make_user

EVIL_NAME = "Mal http://evil.example/x www.evil.example"
EVIL_REASON = ("my cousin sent https://evil.example/x?a=1, WWW.evil.example and "
               "mal@evil.example")

# What GFM's autolink literals (remark-gfm, which Streamlit's markdown uses) turn into a
# link by itself: http:// and https:// addresses, www. addresses and e-mail addresses.
AUTOLINKABLE = re.compile(r"(?i)https?://|www\.|[-.\w+]+@[-\w]+(\.[-\w]+)+")


def autolinks(markdown: str) -> list[str]:
    """The addresses that markdown would make links of, in the text its reader sees."""
    return [m.group(0) for m in AUTOLINKABLE.finditer(shown(markdown))]


def as_read(markdown: str) -> str:
    """The characters a person reads: without escapes and the invisible word joiners."""
    return shown(markdown).replace(WORD_JOINER, "")


# --- plain() ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "http://evil.example/x", "HTTPS://evil.example", "see www.evil.example today",
    "wwww.evil.example", "mal@evil.example", "mailto:mal@evil.example",
    "[click](http://evil.example)", "<http://evil.example>", "![x](https://evil.example/p.png)",
])
def test_plain_keeps_the_characters_but_no_address_a_link(text):
    safe = plain(text)
    assert as_read(safe) == text
    assert autolinks(safe) == []


def test_plain_leaves_ordinary_text_alone():
    assert plain("Maria  Garcia\n") == "Maria Garcia"
    assert plain("a bad day: rain") == "a bad day\\: rain"
    assert plain("the world wide web, http and email") == "the world wide web, http and email"


@given(st.text(max_size=80))
def test_plain_never_leaves_an_address_to_link(text):
    safe = plain(text)
    assert autolinks(safe) == []
    assert as_read(safe) == " ".join(text.split()).replace(WORD_JOINER, "")


# --- the staff screens --------------------------------------------------------------------


@pytest.fixture
def typed_addresses(app_db):
    """A member whose name and hard-day reason hold web and e-mail addresses, sharing with
    a counselor and a sponsor; the hard day raised its flag."""
    with app_db.begin() as session:
        member = make_user(session, "mal", "member", name=EVIL_NAME)
        counselor = make_user(session, "carla", "counselor", name="Carla Counselor")
        sponsor = make_user(session, "sid", "sponsor", name="Sid Sponsor")
        grant(session, member, counselor, "checkins", "flags", "notes", purpose="counseling")
        grant(session, member, sponsor, "checkins", "flags", "notes", purpose="sponsorship")
        today = local_today(member.timezone, NOW)
        add_checkin(session, member, today, hard_day=True, hard_day_reason=EVIL_REASON)
        assert "hard_day" in evaluate_checkin(session, member_id=member.id, local_date=today,
                                              now=NOW)
    return counselor, sponsor


def markdown_bodies(at) -> list[str]:
    """Every element whose text is drawn as markdown, main area and sidebar."""
    kinds = ("markdown", "caption", "title", "header", "subheader", "success", "info",
             "warning", "error")
    return [element.value for kind in kinds for element in getattr(at, kind)]


def assert_shown_without_links(at) -> None:
    bodies = markdown_bodies(at)
    read = " ".join(as_read(body) for body in bodies)
    assert "Mal http://evil.example/x www.evil.example" in read  # shown, as typed
    assert "mal@evil.example" in read and "https://evil.example/x?a=1" in read, bodies
    assert [link for body in bodies for link in autolinks(body)] == []


def test_alerts_show_typed_addresses_as_text(new_app, typed_addresses):
    counselor, _ = typed_addresses
    at = no_exception(new_app(counselor).run(timeout=60))
    at = no_exception(at.switch_page("../pages/alerts.py").run(timeout=60))
    assert titles(at) == ["Alerts"]
    assert_shown_without_links(at)

    # The confirmation after acknowledging names the member too.
    # (Its controls name the member: found by their keys.)
    next(b for b in at.button if (b.key or "").startswith("start_")).click().run(timeout=60)
    next(r for r in at.radio if (r.key or "").startswith("method_")).set_value("called")
    next(b for b in at.button if (b.key or "").startswith("acknowledge_")).click().run(
        timeout=60)
    no_exception(at)
    confirmations = [s.value for s in at.success if "acknowledged" in s.value]
    assert confirmations and "evil.example" in as_read(confirmations[0])
    assert autolinks(confirmations[0]) == []


def test_weekly_review_shows_typed_addresses_as_text(new_app, typed_addresses):
    _, sponsor = typed_addresses
    at = no_exception(new_app(sponsor).run(timeout=60))
    at = no_exception(at.switch_page("../pages/weekly_review.py").run(timeout=60))
    assert titles(at) == ["Weekly review"]
    assert_shown_without_links(at)


# --- page_style() (dashboard/web/style.py) -----------------------------------------------


def page_style_app():
    import streamlit as st

    from dashboard.web.style import page_style

    page_style()
    st.write("After the style.")


def test_the_page_style_adds_no_element_to_the_page():
    """Style-only HTML goes to Streamlit's event container: the page and the sidebar hold
    only what the screen draws (a check that an upgrade of Streamlit would break)."""
    from streamlit.testing.v1 import AppTest

    from dashboard.web.style import PAGE_CSS

    at = no_exception(AppTest.from_function(page_style_app).run(timeout=30))
    assert [type(e).__name__ for e in at.main if type(e).__name__ != "SpecialBlock"] == [
        "Markdown"]
    assert [type(e).__name__ for e in at.sidebar if type(e).__name__ != "SpecialBlock"] == []
    event = at._tree.children[2]  # main, sidebar, event
    styles = [e for e in event if type(e).__name__ == "Html"]
    assert len(styles) == 1 and styles[0].proto.body == f"<style>{PAGE_CSS}</style>"
