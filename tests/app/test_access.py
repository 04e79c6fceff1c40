"""First run, login, logout, session lifetime, and which pages each role may open."""

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dashboard import clock
from dashboard.totp_codes import code_at
from dashboard.web.navigation import ROLE_SECTIONS
from models import User
from tests.app.conftest import no_exception, shown, titles
from tests.factories import NOW, PASSWORD, TOTP_SECRET, make_user

ALL_SCREENS = {screen.file: screen.title for _, screens in ROLE_SECTIONS.values() for screen in screens}
ROLE_OF_SCREEN = {screen.file: role for role, (_, screens) in ROLE_SECTIONS.items()
                  for screen in screens}


def test_first_run_offers_admin_creation_and_the_demo(new_app):
    at = no_exception(new_app().run())
    assert titles(at) == ["Welcome to the recovery dashboard"]
    assert [t.label for t in at.text_input] == ["Username", "Full name", "Password",
                                               "Confirm password"]
    assert "Load demo caseload" in [b.label for b in at.button]


def test_first_admin_is_created_then_login_is_shown(new_app, app_db):
    at = new_app().run()
    at.text_input[0].input("ada")
    at.text_input[1].input("Ada Admin")
    at.text_input[2].input("a long enough passphrase")
    at.text_input[3].input("a long enough passphrase")
    at.button[0].click().run()
    no_exception(at)
    assert titles(at) == ["Log in"]
    assert "Administrator created" in at.info[0].value
    with app_db() as session:
        assert session.query(User).one().username == "ada"


def test_first_admin_form_refuses_a_weak_password_and_writes_nothing(new_app, app_db):
    at = new_app().run()
    at.text_input[0].input("ada")
    at.text_input[1].input("Ada Admin")
    at.text_input[2].input("password1234")
    at.text_input[3].input("password1234")
    at.button[0].click().run()
    assert "most common" in at.error[0].value
    assert titles(at) == ["Welcome to the recovery dashboard"]
    with app_db() as session:
        assert session.query(User).count() == 0


def test_setup_is_not_offered_once_an_account_exists(new_app, app_db):
    with app_db.begin() as session:
        make_user(session, "ada", "admin")
    at = no_exception(new_app().run())
    assert titles(at) == ["Log in"]
    assert "Load demo caseload" not in [b.label for b in at.button]
    with pytest.raises(ValueError):
        at.switch_page("../pages/setup.py")


def log_in(at, username, password):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def test_login_with_the_right_password_opens_the_role_home(new_app, app_db):
    with app_db.begin() as session:
        make_user(session, "carla", "counselor", name="Carla C.", two_factor=True)
    at = log_in(new_app().run(), "carla", PASSWORD)
    no_exception(at)
    # Staff pass their second factor first (tests/app/test_two_factor_pages.py has the rest).
    assert titles(at) == ["Two-factor login"]
    next(t for t in at.text_input if t.label == "Authentication code").input(
        code_at(TOTP_SECRET, clock.now()))
    next(b for b in at.button if b.label == "Verify").click().run()
    no_exception(at)
    assert titles(at) == ["Caseload"]
    assert any("Carla C." in shown(c.value) for c in at.sidebar.caption)


def test_login_with_a_wrong_password_shows_one_generic_message(new_app, app_db):
    with app_db.begin() as session:
        make_user(session, "carla", "counselor")
    at = log_in(new_app().run(), "carla", "not my password!")
    assert titles(at) == ["Log in"]
    wrong = at.error[0].value
    at = log_in(new_app().run(), "nobody-here", "not my password!")
    assert at.error[0].value == wrong


ROLE_SETS = [("member",), ("member", "sponsor"), ("counselor",), ("admin",)]


@pytest.mark.parametrize("roles", ROLE_SETS, ids="+".join)
@pytest.mark.parametrize("screen", sorted(ALL_SCREENS))
def test_each_role_reaches_exactly_its_pages(new_app, app_db, roles, screen):
    with app_db.begin() as session:
        actor = make_user(session, "someone", *roles)
    at = no_exception(new_app(actor).run())
    if ROLE_OF_SCREEN[screen] in roles:
        no_exception(at.switch_page(f"../pages/{screen}").run())
        assert ALL_SCREENS[screen] in titles(at)
    else:
        with pytest.raises(ValueError):
            at.switch_page(f"../pages/{screen}")


def test_logout_returns_to_the_login_and_forgets_the_session(new_app, app_db):
    with app_db.begin() as session:
        actor = make_user(session, "maria", "member")
    at = no_exception(new_app(actor).run())
    assert titles(at) == ["Today"]
    at.sidebar.button[0].click().run()
    assert titles(at) == ["Log in"]
    assert "auth" not in at.session_state
    with pytest.raises(ValueError):
        at.switch_page("../pages/today.py")


def test_idle_session_is_logged_out(new_app, app_db):
    with app_db.begin() as session:
        actor = make_user(session, "maria", "member")
    at = new_app(actor)
    at.session_state["auth"]["last_seen_clock"] -= timedelta(minutes=16).total_seconds()
    at.run()
    assert titles(at) == ["Log in"]
    assert "15 minutes" in at.info[0].value


def test_deactivated_user_is_logged_out_at_the_next_run(new_app, app_db):
    with app_db.begin() as session:
        actor = make_user(session, "maria", "member")
    at = no_exception(new_app(actor).run())
    assert titles(at) == ["Today"]
    with app_db.begin() as session:
        session.get(User, actor.id).is_active = False
    at.run()
    assert titles(at) == ["Log in"]


def test_a_reset_password_must_be_changed_before_anything_else(new_app, app_db):
    with app_db.begin() as session:
        actor = make_user(session, "maria", "member")
        session.get(User, actor.id).must_change_password = True
    at = no_exception(new_app(actor).run())
    assert titles(at) == ["Change password"]
    with pytest.raises(ValueError):
        at.switch_page("../pages/today.py")
    at.text_input[0].input(PASSWORD)
    at.text_input[1].input("my brand new passphrase")
    at.text_input[2].input("my brand new passphrase")
    at.button[0].click().run()
    no_exception(at)
    assert "Your password is changed." in [s.value for s in at.success]
    assert "Today" in titles(at.switch_page("../pages/today.py").run())


def test_audit_log_shows_whether_the_trail_is_intact(new_app, app_db):
    from sqlalchemy import text

    with app_db.begin() as session:
        admin = make_user(session, "ada", "admin")
    at = no_exception(new_app(admin).run())
    at.switch_page("../pages/audit_log.py").run()
    assert "The audit trail is intact" in at.success[0].value
    with app_db.begin() as session:
        session.execute(text("UPDATE audit_events SET detail = 'rewritten' WHERE id = 1"))
    at.run()
    assert "tampered with at event 1" in at.error[0].value


def test_the_audit_log_filters_and_lists_in_the_administrators_time_zone(new_app, app_db):
    """Kiribati's Line Islands are 14 hours ahead of UTC: from local midnight to 10:00 it is
    still yesterday in UTC. An event of that part of today is today's, and reads so."""
    from dashboard.audit import record_event
    from dashboard.timeutil import local_today, start_of_local_day

    zone = "Pacific/Kiritimati"
    with app_db.begin() as session:
        admin = make_user(session, "ada", "admin", timezone_name=zone)
        today = local_today(zone, NOW)
        early = start_of_local_day(today, zone) + (NOW - start_of_local_day(today, zone)) / 2
        assert early.astimezone(timezone.utc).date() < today
        record_event(session, actor_id=admin.id, action="early_riser", at=early)
    at = no_exception(new_app(admin).switch_page("../pages/audit_log.py").run())
    assert [d.value for d in at.date_input] == [today - timedelta(days=30), today]
    at.date_input[0].set_value(today).run()
    events = at.dataframe[0].value
    [when] = events.loc[events["Action"] == "early_riser", f"When ({zone})"]
    assert when == f"today, {early.astimezone(ZoneInfo(zone)):%H:%M}"


def test_every_date_field_has_the_one_format(new_app, app_db):
    from dashboard.timeutil import DATE_INPUT_FORMAT

    with app_db.begin() as session:
        member = make_user(session, "maria", "member")
        admin = make_user(session, "ada", "admin")
    formats = []
    # (Today picks its day from a list of the eight it allows: no date field.)
    for actor, page in ((member, "sharing.py"), (member, "who_viewed.py"),
                        (admin, "audit_log.py")):
        at = no_exception(new_app(actor).switch_page(f"../pages/{page}").run())
        assert at.date_input, page
        formats += [(page, d.proto.format) for d in at.date_input]
    assert {f for _, f in formats} == {DATE_INPUT_FORMAT}, formats
