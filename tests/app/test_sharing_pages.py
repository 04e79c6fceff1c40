"""Sharing and Who viewed my data, driven as a member would."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from dashboard import clock
from dashboard.auth import actor_from_user
from dashboard.errors import NotFound
from dashboard.member_record import member_record
from dashboard.timeutil import start_of_local_day
from models import CATEGORIES, AuditEvent, Consent, User
from tests.app.conftest import by_label, no_exception, shown, titles
from tests.factories import grant, make_user


def open_sharing(new_app, member):
    at = no_exception(new_app(member).run())
    return no_exception(at.switch_page("../pages/sharing.py").run())


def headings(at) -> list[str]:
    """The headings of a screen, as read: a sponsee's name heads their week."""
    return [shown(h.value) for h in (*at.header, *at.subheader)]


def fill_grant(at, *, username="sam", purpose="sponsorship", categories=("checkins", "steps"),
               signature="Maria Garcia", acknowledge=True):
    by_label(at.text_input, "Username of your sponsor or counselor").input(username)
    if purpose:
        by_label(at.radio, "Purpose").set_value(purpose)
    by_label(at.pills, "What they may see").set_value(list(categories))
    by_label(at.text_input, "Type your full name to sign").input(signature)
    if acknowledge:
        at.checkbox[-1].check()
    by_label(at.button, "Share").click()
    return at.run()


def test_member_grants_a_consent_through_the_form(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        make_user(session, "sam", "member", "sponsor", name="Sam S.")
    at = fill_grant(open_sharing(new_app, maria))
    no_exception(at)
    assert "You now share with sam." in [s.value for s in at.success]
    assert any("Sam S." in shown(m.value) and "Check-ins, Steps" in m.value for m in at.markdown)
    with app_db() as session:
        consent = session.scalars(select(Consent)).one()
        assert consent.categories == {"checkins", "steps"} and consent.purpose == "sponsorship"


def test_incomplete_consent_names_what_is_missing_and_stores_nothing(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        make_user(session, "sam", "member", "sponsor")
    at = fill_grant(open_sharing(new_app, maria), purpose=None, categories=(), signature="M.",
                    acknowledge=False)
    errors = " ".join(e.value for e in at.error)
    for words in ("purpose", "at least one kind of data", "Maria Garcia",
                  "stop sharing at any time"):
        assert words in errors
    # Each beside its field, and one line at the button that nothing is stored yet.
    assert [w.value for w in at.warning] == [
        "This is not saved yet: 4 fields above need a small change."]
    with app_db() as session:
        assert session.scalars(select(Consent)).all() == []


def test_revoking_asks_for_confirmation_then_ends_sharing(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
        now = clock.now()
        grant(session, maria, sam, "checkins", starts_at=now - timedelta(days=1),
              expires_at=now + timedelta(days=30))
    at = open_sharing(new_app, maria)
    by_label(at.button, "Stop sharing").click().run()
    assert "Stop sharing with Sam S. now?" in shown(at.warning[0].value)
    by_label(at.button, "Keep sharing").click().run()
    with app_db() as session:
        assert session.scalars(select(Consent)).one().revoked_at is None
    by_label(at.button, "Stop sharing").click().run()
    by_label(at.button, "Yes, stop sharing").click().run()
    no_exception(at)
    assert "You stopped sharing with Sam S." in [shown(s.value) for s in at.success]
    with app_db() as session:
        assert session.scalars(select(Consent)).one().revoked_at is not None
    assert at.dataframe[0].value["Status"].tolist() == ["Revoked"]


def test_sponsor_loses_the_member_on_the_next_run_after_revocation(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
        now = clock.now()
        consent = grant(session, maria, sam, "checkins", starts_at=now - timedelta(days=1),
                        expires_at=now + timedelta(days=30))
    sponsor = no_exception(new_app(sam).run())
    sponsor.switch_page("../pages/weekly_review.py").run()
    assert "Maria Garcia" in headings(sponsor)
    with app_db.begin() as session:
        session.get(Consent, consent.id).revoked_at = clock.now()
    sponsor.run()
    assert "Maria Garcia" not in headings(sponsor)
    # Told, by name and date only, and the screen has nobody to show.
    assert [shown(i.value) for i in sponsor.info] == [
        "Maria Garcia stopped sharing with you today.",
        "No sponsee shares their data with you yet. A sponsee shares from their Sharing page."]


def test_a_clock_that_steps_back_an_hour_does_not_reopen_a_revoked_consent(new_app, app_db):
    """The member stops sharing through Sharing; the host's clock then steps back an hour,
    and the sponsor's next screen must still show nothing of her."""
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
        now = clock.now()
        grant(session, maria, sam, *CATEGORIES, starts_at=now - timedelta(days=30),
              expires_at=now + timedelta(days=30))
    member = open_sharing(new_app, maria)
    by_label(member.button, "Stop sharing").click().run()
    no_exception(by_label(member.button, "Yes, stop sharing").click().run())
    with time_machine.travel(clock.now() - timedelta(hours=1), tick=True):
        sponsor = no_exception(new_app(sam).run())
        sponsor.switch_page("../pages/weekly_review.py").run()
        no_exception(sponsor)
        assert "Maria Garcia" not in headings(sponsor)
        assert any("No sponsee shares" in i.value for i in sponsor.info)
        sponsor.switch_page("../pages/sponsee_detail.py").run()
        no_exception(sponsor)
        on_screen = [*(m.value for m in sponsor.markdown), *(m.value for m in sponsor.info),
                     *(o for box in sponsor.selectbox for o in box.options)]
        assert on_screen and not any("Maria" in shown(text) for text in on_screen)


def test_who_viewed_my_data_reads_as_a_diary_of_lines_by_day(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
        carla = make_user(session, "carla", "counselor", name="Carla C.")
        now = clock.now()
        grant(session, maria, sam, "checkins", "steps", starts_at=now - timedelta(days=1),
              expires_at=now + timedelta(days=30))
    # Early in the day (UTC, Maria's zone) of the test's clock, so that both runs fall on it.
    morning = start_of_local_day(now.date(), "UTC") + timedelta(hours=10, minutes=2)
    for minutes in (0, 7):
        with app_db.begin() as session:
            member_record(session=session, actor=sam, member_id=maria.id,
                          purpose="sponsorship", screen="Sponsee detail",
                          now=morning + timedelta(minutes=minutes))
    with pytest.raises(NotFound), app_db.begin() as session:
        member_record(session=session, actor=carla, member_id=maria.id, purpose="counseling",
                      screen="Client detail", now=morning + timedelta(minutes=8))
    at = no_exception(new_app(maria).run())
    at.switch_page("../pages/who_viewed.py").run()
    no_exception(at)
    assert titles(at) == ["Who viewed my data"]
    assert not at.dataframe  # lines a phone reads, not a wide table
    text = [shown(m.value) for m in at.markdown]
    with app_db() as session:  # Sam's runs are one visit or two, as his screen records them
        visits = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.member_id == maria.id, AuditEvent.actor_id != maria.id))
    assert f"**{visits} visits by 2 people in this period; 1 refused.**" in text
    assert any(t.startswith("### Today, ") for t in text)
    [lines] = [t for t in text if "Sam S." in t]
    assert lines.splitlines() == [
        "- :orange[:material/block:] **Carla C., counselor,** tried to see your data on "
        "Client detail once at 10:10: refused, you do not share that with them",
        "- **Sam S., sponsor,** saw you on Sponsee detail twice between 10:02 and 10:09: "
        "check-ins, steps",
    ]
    by_label(at.button, "Prepare the file").click().run()
    assert "Download accounting (CSV)" in [b.label for b in at.get("download_button")]


def test_a_sponsor_is_told_of_a_new_sharing_and_can_put_the_notice_away(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        make_user(session, "sam", "member", "sponsor", name="Sam S.")
    no_exception(fill_grant(open_sharing(new_app, maria)))
    with app_db() as session:
        sam = actor_from_user(session.scalars(select(User).where(User.username == "sam")).one())
    sponsor = no_exception(new_app(sam).run())
    sponsor.switch_page("../pages/weekly_review.py").run()
    no_exception(sponsor)
    [notice] = [shown(i.value) for i in sponsor.info if "started sharing" in i.value]
    assert notice.startswith("Maria Garcia started sharing check-ins and steps with you, until")
    by_label(sponsor.button, "Dismiss").click().run()
    no_exception(sponsor)
    assert not any("started sharing" in i.value for i in sponsor.info)
    sponsor.run()
    assert not any("started sharing" in i.value for i in sponsor.info)
