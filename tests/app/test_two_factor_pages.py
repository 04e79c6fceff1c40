"""Two-factor login through the real app: after the password, staff see the Two-factor
screen and nothing else until a right code; set-up with a QR code, the key as text and
recovery codes shown once; recovery codes, the lockout, an admin's reset of an open
session, and a member who turns it on and off."""

from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from dashboard import clock
from dashboard.auth import actor_from_user
from dashboard.totp_codes import code_at
from dashboard.two_factor import confirm_enrolment
from dashboard.web.navigation import ROLE_SECTIONS
from dashboard.web.session import session_record
from models import User
from models.entities import RecoveryCode
from tests.app.conftest import by_label, no_exception, shown, titles
from tests.factories import NOW, PASSWORD, TOTP_SECRET, make_user

PAGES = Path(__file__).resolve().parents[2] / "pages"
ROLE_PAGES = {screen.file: role for role, (_, screens) in ROLE_SECTIONS.items()
              for screen in screens}
STAFF_ROLE_SETS = [("member", "sponsor"), ("counselor",), ("admin",)]


def type_in(at: AppTest, label: str, value: str) -> None:
    by_label(at.text_input, label).input(value)


def press(at: AppTest, label: str) -> AppTest:
    by_label(at.button, label).click().run()
    return no_exception(at)


def log_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    type_in(at, "Username", username)
    type_in(at, "Password", password)
    return press(at, "Log in")


def enter_code(at: AppTest, secret: str = TOTP_SECRET) -> AppTest:
    type_in(at, "Authentication code", code_at(secret, clock.now()))
    return press(at, "Verify")


def unreachable(at: AppTest, page: str) -> bool:
    try:
        at.switch_page(f"../pages/{page}")
    except ValueError:
        return True
    return False


def page_words(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("title", "markdown", "caption", "info", "warning",
                                                "error", "success", "code")
                     for e in getattr(at, kind))


def test_a_counselor_sees_only_the_two_factor_page_until_a_right_code(new_app, app_db):
    with app_db.begin() as session:
        make_user(session, "carla", "counselor", name="Carla C.", two_factor=True)
    at = log_in(new_app().run(), "carla")

    assert titles(at) == ["Two-factor login"]
    assert [t.label for t in at.text_input] == ["Authentication code", "Recovery code"]
    assert not at.sidebar.caption  # no menu, no "Logged in as"
    assert unreachable(at, "caseload.py")
    assert unreachable(at, "account.py")

    enter_code(at)
    assert titles(at) == ["Caseload"]
    assert any("Carla C." in shown(c.value) for c in at.sidebar.caption)


@pytest.mark.parametrize("enrolled", [True, False], ids=["code", "set-up"])
@pytest.mark.parametrize("roles", STAFF_ROLE_SETS, ids="+".join)
def test_staff_reach_no_page_before_the_second_factor(new_app, app_db, roles, enrolled):
    with app_db.begin() as session:
        actor = make_user(session, "someone", *roles, two_factor=enrolled)
    at = no_exception(new_app(actor, second_factor=False).run())
    assert titles(at) == ["Two-factor login" if enrolled else "Set up two-factor login"]
    for page in [*ROLE_PAGES, "account.py"]:
        assert unreachable(at, page), page


@pytest.mark.parametrize("screen", sorted(ROLE_PAGES))
def test_each_role_page_itself_refuses_a_session_whose_second_factor_is_pending(
        app_db, screen):
    """Defence in depth: the page script run on its own, without the router's menu."""
    role = ROLE_PAGES[screen]
    with app_db.begin() as session:
        # A member who set up two-factor login is held to it like staff.
        actor = make_user(session, "someone", *({role, "member"} if role == "sponsor"
                                                else {role}), two_factor=True)
    at = AppTest.from_file(str(PAGES / screen), default_timeout=30)
    at.session_state["auth"] = session_record(actor.id)
    at.run()
    assert [e.value for e in at.error] == ["This page is not available to your account."]
    assert not at.dataframe and not at.metric
    # The same script, once the second factor passed, opens (so the refusal above is the gate).
    at.session_state["auth"]["second_factor"] = actor.two_factor_enrolled_at
    at.run()
    assert "This page is not available to your account." not in [e.value for e in at.error]


def test_staff_without_a_second_factor_set_it_up_before_anything_else(new_app, app_db):
    with app_db.begin() as session:
        make_user(session, "ada", "admin")
    at = log_in(new_app().run(), "ada")

    assert titles(at) == ["Set up two-factor login"]
    assert len(at.image) == 1 and at.image[0].value[0]  # the QR code, served by the app
    assert unreachable(at, "users.py")
    secret = at.code[0].value.replace(" ", "")
    assert len(secret) == 32

    type_in(at, "Code from your app", "000000" if code_at(secret, clock.now()) != "000000"
            else "111111")
    type_in(at, "Your password", PASSWORD)
    press(at, "Turn on two-factor login")
    assert titles(at) == ["Set up two-factor login"]
    assert "does not match" in at.error[0].value
    assert at.code[0].value.replace(" ", "") == secret  # the same key, still to be added

    type_in(at, "Code from your app", code_at(secret, clock.now()))
    type_in(at, "Your password", PASSWORD)
    press(at, "Turn on two-factor login")
    assert titles(at) == ["Save your recovery codes"]
    assert "Save these now: they are shown only once." in at.warning[0].value
    codes = at.code[0].value.split("\n")
    assert len(codes) == len(set(codes)) == 10
    assert unreachable(at, "users.py")
    assert by_label(at.button, "Continue").disabled

    by_label(at.checkbox, "I have saved my recovery codes somewhere safe").check().run()
    press(at, "Continue")
    assert titles(at) == ["Users"]
    with app_db() as session:
        ada = session.scalar(select(User).where(User.username == "ada"))
        assert ada.totp_secret == secret and ada.totp_enrolled_at is not None
        hashes = session.scalars(select(RecoveryCode.code_hash)
                                 .where(RecoveryCode.user_id == ada.id)).all()
    assert len(hashes) == 10 and not {h for h in hashes} & set(codes)
    accounts = at.dataframe[0].value
    assert accounts.loc[accounts["Username"] == "ada", "Two-factor"].item() == "On"


def test_an_admin_reset_sends_an_open_session_back_to_enrolment(new_app, app_db):
    with app_db.begin() as session:
        admin = make_user(session, "ada", "admin", two_factor=True)
        carla = make_user(session, "carla", "counselor", name="Carla C.", two_factor=True)
    counselor = no_exception(new_app(carla).run())
    assert titles(counselor) == ["Caseload"]

    at = no_exception(new_app(admin).run())
    assert titles(at) == ["Users"]
    by_label(at.selectbox, "Account").select(carla.id).run()
    press(at, "Reset two-factor")
    assert "Two-factor login of carla is reset." in [s.value for s in at.success]

    counselor.run()
    no_exception(counselor)
    assert titles(counselor) == ["Set up two-factor login"]
    assert unreachable(counselor, "caseload.py")


def test_a_recovery_code_logs_in_once_and_tells_how_many_are_left(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
        codes = confirm_enrolment(session=session, actor=maria, secret=TOTP_SECRET,
                                  code=code_at(TOTP_SECRET, clock.now()), password=PASSWORD,
                                  now=NOW).recovery_codes
    at = log_in(new_app().run(), "maria")
    assert titles(at) == ["Two-factor login"]
    type_in(at, "Recovery code", codes[0])
    press(at, "Use recovery code")
    assert titles(at) == ["You used a recovery code"]
    assert "you have 9 recovery codes left" in at.info[0].value
    press(at, "Continue")
    assert titles(at) == ["Today"]

    again = log_in(new_app().run(), "maria")
    type_in(again, "Recovery code", codes[0])
    press(again, "Use recovery code")
    assert titles(again) == ["Two-factor login"]
    assert "did not work" in again.error[0].value
    assert unreachable(again, "today.py")


def test_five_wrong_codes_lock_the_account_and_end_the_session(new_app, app_db):
    with app_db.begin() as session:
        make_user(session, "carla", "counselor", two_factor=True)
    at = log_in(new_app().run(), "carla")
    right = {code_at(TOTP_SECRET, clock.now(), steps=s) for s in (-1, 0, 1, 2)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in right)
    for tries_left in (4, 3, 2, 1):
        type_in(at, "Authentication code", wrong)
        press(at, "Verify")
        assert titles(at) == ["Two-factor login"]
        assert f"After {tries_left} more wrong tr" in at.error[0].value
    type_in(at, "Authentication code", wrong)
    press(at, "Verify")
    assert titles(at) == ["Log in"]
    assert "locked for 15 minutes" in at.info[0].value
    assert "auth" not in at.session_state
    # The right password is refused while the lock lasts, with the one generic message.
    log_in(at, "carla")
    assert titles(at) == ["Log in"] and at.error


def test_a_member_turns_two_factor_login_on_then_needs_it_then_turns_it_off(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
    at = log_in(new_app().run(), "maria")
    assert titles(at) == ["Today"]  # optional for members: not asked

    at.switch_page("../pages/two_factor.py").run()
    no_exception(at)
    assert titles(at) == ["Two-factor login"]
    assert "Two-factor login is **off**" in page_words(at)
    press(at, "Set up two-factor login")
    assert titles(at) == ["Set up two-factor login"]
    secret = at.code[0].value.replace(" ", "")
    type_in(at, "Code from your app", code_at(secret, clock.now()))
    type_in(at, "Your password", PASSWORD)
    press(at, "Turn on two-factor login")
    assert titles(at) == ["Save your recovery codes"]
    by_label(at.checkbox, "I have saved my recovery codes somewhere safe").check().run()
    press(at, "Continue")
    assert titles(at) == ["Today"]

    # The next login asks for a code.
    later = log_in(new_app().run(), "maria")
    assert titles(later) == ["Two-factor login"]
    assert unreachable(later, "today.py")

    # In the open session: the state, then off again with the password.
    at.switch_page("../pages/two_factor.py").run()
    no_exception(at)
    assert "Two-factor login is **on**" in page_words(at)
    assert "You have 10 unused recovery codes." in page_words(at)
    type_in(at, "Password", PASSWORD)
    press(at, "Turn off two-factor login")
    assert "Two-factor login is off." in [s.value for s in at.success]
    with app_db() as session:
        assert not actor_from_user(session.get(User, maria.id)).needs_second_factor
        assert session.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_staff_see_that_their_second_factor_stays_on(new_app, app_db):
    with app_db.begin() as session:
        carla = make_user(session, "carla", "counselor")
    at = no_exception(new_app(carla).run())
    at.switch_page("../pages/two_factor.py").run()
    no_exception(at)
    assert "Two-factor login is **on**" in page_words(at)
    assert "ask an administrator to reset" in page_words(at)
    assert "Turn off two-factor login" not in [b.label for b in at.button]
