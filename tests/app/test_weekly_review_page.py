"""Weekly review on the demo, driven as a sponsor would: the triage list, then one sponsee's
week at a time, staying on that sponsee through every action."""

from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from dashboard import clock
from dashboard.timeutil import local_today
from dashboard.web.widgets import plain
from dashboard.weekly_review import last_complete_week, weekly_review_for
from models import WeeklyReview
from tests.app.conftest import by_label, no_exception, shown, titles

TRIAGE = "Choose a sponsee to open their week"


@pytest.fixture
def sqlite_url(demo_sqlite_url):
    """The demo caseload (tests/app/conftest.py), a copy for each test."""
    return demo_sqlite_url


def open_review(new_app, actor):
    """The app as the sponsor opens it: Weekly review is their home screen."""
    at = no_exception(new_app(actor).run(timeout=60))
    assert titles(at) == ["Weekly review"]
    return at


def cards_for(app_db, sponsor, week):
    with app_db.begin() as session:
        return weekly_review_for(session=session, actor=sponsor, iso_week=week, now=clock.now())


def names(at) -> list[str]:
    """The sponsees of the triage list, in its order."""
    return [shown(option) for option in by_label(at.radio, TRIAGE).options]


def facts(at) -> list[str]:
    """What the triage list says under each name, in its order."""
    return list(by_label(at.radio, TRIAGE).proto.captions)


def open_week(at) -> str:
    """Whose week is open below the list: its heading, after "Sponsees"."""
    assert at.header[0].value == "Sponsees"
    return shown(at.header[1].value)


def button(at, starts: str):
    matches = [b for b in at.button if b.label.startswith(starts)]
    assert len(matches) == 1, [b.label for b in at.button]
    return matches[0]


def test_the_triage_lists_every_sponsee_most_in_need_first(new_app, app_db, sponsor):
    at = open_review(new_app, sponsor)
    week = by_label(at.selectbox, "Week").value
    cards = cards_for(app_db, sponsor, week)
    assert len(cards) >= 3, "the demo gives sponsor1 several sponsees"
    assert names(at) == [card.display_name for card in cards]
    # The most in need is open first, one week at a time: one chart, one review form.
    assert open_week(at) == cards[0].display_name
    assert [f.label for f in at.text_area] == [f"Private note on {plain(cards[0].display_name)}"]
    first_facts = facts(at)[0]
    assert first_facts.startswith(("Reviewed", "Not reviewed")) and " of " in first_facts


def test_the_default_week_is_the_last_complete_one_in_words(new_app, sponsor):
    at = open_review(new_app, sponsor)
    week = by_label(at.selectbox, "Week")
    assert week.value == last_complete_week(local_today(sponsor.timezone, clock.now()))
    assert week.options[0].startswith("This week so far \u00b7 ")
    assert week.options[1].startswith("Last week \u00b7 ")
    assert "W" not in week.options[1]


def test_iso_week_53_is_last_week_on_the_first_wednesday_of_2027(new_app, sponsor):
    with time_machine.travel(datetime(2027, 1, 6, 15, tzinfo=timezone.utc), tick=False):
        at = open_review(new_app, sponsor)
        week = by_label(at.selectbox, "Week")
        assert week.value == "2026-W53"
        assert week.options[1] == "Last week \u00b7 28 Dec 2026 to 3 Jan 2027"
        assert week.options[0] == "This week so far \u00b7 4 to 10 Jan"


def test_the_sponsor_stays_on_the_sponsee_through_review_flags_and_moves_on_with_next(
        new_app, app_db, sponsor):
    at = open_review(new_app, sponsor)
    week = by_label(at.selectbox, "Week").value
    cards = cards_for(app_db, sponsor, week)
    order = names(at)

    # Mark the second sponsee's week reviewed: the list keeps its order, the week stays open
    # and the confirmation is there.
    second = cards[1]
    by_label(at.radio, TRIAGE).set_value(second.member_id).run(timeout=60)
    assert open_week(no_exception(at)) == second.display_name
    facts_before = facts(at)[1]
    by_label(at.text_area, f"Private note on {plain(second.display_name)}").input(
        "Coffee on Saturday")
    # The demo's sponsors review most weeks: last week may have a review to update.
    review = [b for b in at.button if b.label in ("Mark this week reviewed", "Update the note")]
    assert len(review) == 1
    review[0].click().run(timeout=60)
    no_exception(at)
    assert open_week(at) == second.display_name and names(at) == order
    assert by_label(at.radio, TRIAGE).value == second.member_id
    assert [shown(s.value) for s in at.success] == [f"{second.display_name}: week reviewed."]
    assert button(at, "Update the note")
    assert facts(at)[1].startswith("Reviewed")
    assert facts_before.startswith("Not reviewed") == (facts(at)[1] != facts_before)
    with app_db() as session:
        review = session.scalars(select(WeeklyReview).where(
            WeeklyReview.reviewer_id == sponsor.id, WeeklyReview.member_id == second.member_id,
            WeeklyReview.iso_week == week)).one()
    assert review.note == "Coffee on Saturday"

    # Acknowledge a flag of a sponsee who has some: still on them afterwards.
    flagged = next(card for card in cards if card.open_flags)
    by_label(at.radio, TRIAGE).set_value(flagged.member_id).run(timeout=60)
    who = plain(flagged.display_name)
    by_label(at.radio, f"How did you reach out to {who}?").set_value("called")
    by_label(at.text_input, f"Outreach note for {who}").input("Called, all well")
    by_label(at.button, f"Acknowledge {who}'s flags").click().run(timeout=60)
    no_exception(at)
    assert open_week(at) == flagged.display_name and names(at) == order
    assert any("acknowledged" in s.value for s in at.success)

    # Next and Previous follow the list.
    position = order.index(flagged.display_name)
    if position + 1 < len(order):
        button(at, "Next: ").click().run(timeout=60)
        assert open_week(no_exception(at)) == order[position + 1]
        button(at, "Previous: ").click().run(timeout=60)
        assert open_week(no_exception(at)) == flagged.display_name
    first = order[0]
    by_label(at.radio, TRIAGE).set_value(cards[0].member_id).run(timeout=60)
    assert open_week(no_exception(at)) == first
    assert not [b for b in at.button if b.label.startswith("Previous: ")]


def test_acknowledging_without_saying_how_is_refused_on_the_same_sponsee(new_app, app_db,
                                                                          sponsor):
    at = open_review(new_app, sponsor)
    cards = cards_for(app_db, sponsor, by_label(at.selectbox, "Week").value)
    flagged = [card for card in cards if card.open_flags][-1]
    by_label(at.radio, TRIAGE).set_value(flagged.member_id).run(timeout=60)
    button(at, "Acknowledge ").click().run(timeout=60)
    assert open_week(no_exception(at)) == flagged.display_name
    assert any("how you reached out" in e.value for e in at.error)


def test_sponsee_detail_opens_on_the_sponsee_of_the_week(new_app, app_db, sponsor):
    at = open_review(new_app, sponsor)
    cards = cards_for(app_db, sponsor, by_label(at.selectbox, "Week").value)
    by_label(at.radio, TRIAGE).set_value(cards[1].member_id).run(timeout=60)
    assert cards[1].chart is not None  # the demo's sponsees share check-ins
    assert any('"Day by day" on Sponsee detail lists each day' in c.value for c in at.caption)
    # A link to the screen, naming the sponsee of the week open.
    [link] = [e.proto for e in at.get("page_link") if e.proto.label == "Open Sponsee detail"]
    assert link.page.endswith("sponsee_detail") and link.query_string == (
        f"sponsee={cards[1].member_id}")
    # Followed, as the browser follows it.
    at.query_params["sponsee"] = str(cards[1].member_id)
    no_exception(at.switch_page("../pages/sponsee_detail.py").run(timeout=60))
    assert titles(at) == ["Sponsee detail"]
    assert by_label(at.selectbox, "Sponsee").value == cards[1].member_id
    # Where the review's chart points for its days in words.
    assert "Day by day" in {e.label for e in at.expander}
