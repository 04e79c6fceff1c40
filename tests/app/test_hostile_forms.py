"""Hostile text typed into the check-in and consent forms: the app keeps running, nothing
is stored partially, and what is stored is shown back as text."""

from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from dashboard.auth import actor_from_user
from models import CheckIn, Consent, User
from tests.app.conftest import by_label, no_exception
from tests.factories import make_user
from tests.integration.test_hostile_input import hostile_text


def the_member(app_db):
    """Maria, made by the first example and reused by the next ones."""
    with app_db.begin() as session:
        user = session.scalar(select(User).where(User.username == "maria"))
        if user is not None:
            return actor_from_user(user)
        return make_user(session, "maria", "member", name="Maria Garcia")


FORMS = settings(max_examples=8, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])


@FORMS
@given(text=hostile_text.filter(lambda t: len(t) <= 500))
def test_check_in_form_takes_hostile_text(new_app, app_db, text):
    maria = the_member(app_db)
    with app_db.begin() as session:
        session.execute(CheckIn.__table__.delete())  # examples share the database
    at = no_exception(new_app(maria).run())
    by_label(at.segmented_control, "Mood").set_value(3)
    by_label(at.radio, "Hard day").set_value("Yes")
    for label in ("Hard day reason", "Gratitude", "Journal"):
        by_label(at.text_area, label).input(text)
    next(b for b in at.button if b.label in ("Save check-in", "Save changes")).click().run()
    no_exception(at)
    with app_db() as session:
        rows = session.scalars(select(CheckIn)).all()
    assert len(rows) <= 1
    if rows:
        assert all(v is None or "\x00" not in v
                   for v in (rows[0].journal, rows[0].gratitude, rows[0].hard_day_reason))


@FORMS
@given(text=hostile_text.filter(lambda t: len(t) <= 120))
def test_consent_form_takes_hostile_text(new_app, app_db, text):
    maria = the_member(app_db)
    with app_db.begin() as session:
        if not session.scalar(select(User).where(User.username == "sam")):
            make_user(session, "sam", "member", "sponsor")
    at = no_exception(new_app(maria).run())
    at.switch_page("../pages/sharing.py").run()
    by_label(at.text_input, "Username of your sponsor or counselor").input(text[:64])
    by_label(at.radio, "Purpose").set_value("sponsorship")
    by_label(at.pills, "What they may see").set_value(["checkins"])
    by_label(at.text_input, "Type your full name to sign").input(text)
    at.checkbox[-1].check()
    by_label(at.button, "Share").click().run()
    no_exception(at)
    with app_db() as session:
        consents = session.scalars(select(Consent)).all()
    # Only a real sponsor's username and the member's own name make a consent.
    assert all(c.signature_name == "Maria Garcia" for c in consents)
