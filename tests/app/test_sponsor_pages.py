"""Weekly review and Sponsee detail, driven as a sponsor would, on demo data."""

import pytest
from sqlalchemy import select

from dashboard.auth import actor_from_user
from dashboard.member_record import shared_member_choices
from dashboard.timeutil import local_today
from dashboard.weekly_review import recent_weeks
from models import AuditEvent, ContactEntry, FlagFollowUp, User, WeeklyReview
from tests.app.conftest import by_label, no_exception, shown, titles
from tests.factories import NOW


@pytest.fixture
def sqlite_url(demo_sqlite_url):
    """The demo caseload (tests/app/conftest.py), a copy for each test."""
    return demo_sqlite_url


@pytest.fixture
def sponsor(app_db):
    with app_db() as session:
        return actor_from_user(session.scalar(select(User).where(User.username == "sponsor1")))


def open_page(new_app, actor, page):
    at = no_exception(new_app(actor).run(timeout=60))
    return no_exception(at.switch_page(f"../pages/{page}").run(timeout=60))


def test_weekly_review_shows_a_card_per_sponsee(new_app, sponsor):
    at = open_page(new_app, sponsor, "weekly_review.py")
    assert titles(at) == ["Weekly review"]
    assert any("Confidential" in c.value for c in at.caption)
    cards = [s.value for s in at.subheader]
    assert 1 <= len(cards) <= 15
    # The previous week is reachable and renders too.
    week = by_label(at.selectbox, "Week")
    assert week.options[0].endswith("(this week)") and week.options[1].endswith("(last week)")
    last_week = recent_weeks(local_today(sponsor.timezone, NOW))[1]
    week.set_value(last_week).run(timeout=60)
    no_exception(at)
    assert by_label(at.selectbox, "Week").value == last_week


def test_marking_the_week_reviewed_keeps_the_note(new_app, app_db, sponsor):
    at = open_page(new_app, sponsor, "weekly_review.py")
    first = shown(at.subheader[0].value)
    at.text_area[0].input("Talked on Sunday; call midweek")
    [b for b in at.button if b.label == "Mark this week reviewed"][0].click().run(timeout=60)
    no_exception(at)
    assert any("reviewed" in s.value for s in at.success)
    with app_db() as session:
        review = session.scalars(select(WeeklyReview).where(
            WeeklyReview.reviewer_id == sponsor.id).order_by(WeeklyReview.id.desc())).first()
        reviewed = session.get(User, review.member_id).display_name
    assert review.note == "Talked on Sunday; call midweek" and reviewed == first


def test_acknowledging_a_flag_from_the_card(new_app, app_db, sponsor):
    at = open_page(new_app, sponsor, "weekly_review.py")
    forms = [r for r in at.radio if r.label == "How did you reach out?"]
    assert forms, "the demo gives sponsor1 sponsees with open flags"
    forms[0].set_value("called")
    [t for t in at.text_input if t.label == "Outreach note"][0].input("Called, all well")
    [b for b in at.button if b.label == "Acknowledge"][0].click().run(timeout=60)
    no_exception(at)
    assert any("acknowledged" in s.value for s in at.success)
    with app_db() as session:
        # Outreach notes are encrypted at rest: compare after reading them back.
        entries = [c for c in session.scalars(select(ContactEntry).where(
            ContactEntry.viewer_id == sponsor.id, ContactEntry.kind == "flag"))
            if c.note == "Called, all well"]
        mine = {f.contact_id: f for f in session.scalars(
            select(FlagFollowUp).where(FlagFollowUp.viewer_id == sponsor.id))}
    assert entries and all(c.method == "called" and mine[c.id].status == "acknowledged"
                           for c in entries)


def test_acknowledging_without_saying_how_is_refused(new_app, app_db, sponsor):
    at = open_page(new_app, sponsor, "weekly_review.py")
    buttons = [b for b in at.button if b.label == "Acknowledge"]
    assert buttons, "the demo gives sponsor1 sponsees with open flags"
    buttons[0].click().run(timeout=60)
    assert any("how you reached out" in e.value for e in at.error)


def detail_views(app_db, viewer) -> list[int]:
    """The members of the Sponsee detail screen's view events of `viewer`, in order."""
    with app_db() as session:
        return list(session.scalars(
            select(AuditEvent.member_id)
            .where(AuditEvent.actor_id == viewer.id, AuditEvent.action == "view",
                   AuditEvent.screen == "Sponsee detail").order_by(AuditEvent.id)))


def test_sponsee_detail_discloses_nobody_until_a_sponsee_is_picked(new_app, app_db, sponsor):
    at = open_page(new_app, sponsor, "sponsee_detail.py")
    assert titles(at) == ["Sponsee detail"]
    picker = by_label(at.selectbox, "Sponsee")
    assert picker.value is None and picker.options
    assert any("Choose a sponsee" in i.value for i in at.info)
    assert not at.subheader and not at.dataframe and not at.metric
    no_exception(at.run(timeout=60))
    assert detail_views(app_db, sponsor) == []

    with app_db() as session:
        first = next(iter(shared_member_choices(session=session, actor=sponsor,
                                                purpose="sponsorship", now=NOW)))
    by_label(at.selectbox, "Sponsee").set_value(first).run(timeout=60)
    no_exception(at)
    assert "Step timeline" in [s.value for s in at.subheader] or any(
        "not shared" in m.value for m in at.markdown)
    assert detail_views(app_db, sponsor) == [first]

    no_exception(at.switch_page("../pages/weekly_review.py").run(timeout=60))
    no_exception(at.switch_page("../pages/sponsee_detail.py").run(timeout=60))
    assert by_label(at.selectbox, "Sponsee").value is None
    assert detail_views(app_db, sponsor) == [first]


def test_sponsee_detail_over_each_range(new_app, app_db, sponsor):
    at = open_page(new_app, sponsor, "sponsee_detail.py")
    with app_db() as session:
        first, *_, last = shared_member_choices(session=session, actor=sponsor,
                                                purpose="sponsorship", now=NOW)
    by_label(at.selectbox, "Sponsee").set_value(first).run(timeout=60)
    no_exception(at)
    assert "Step timeline" in [s.value for s in at.subheader] or any(
        "not shared" in m.value for m in at.markdown)
    for days in (7, 90, 365):
        at.segmented_control[0].set_value(days).run(timeout=60)
        no_exception(at)
        assert by_label(at.selectbox, "Sponsee").value == first
    by_label(at.selectbox, "Sponsee").set_value(last).run(timeout=60)
    no_exception(at)
    assert by_label(at.selectbox, "Sponsee").value == last

