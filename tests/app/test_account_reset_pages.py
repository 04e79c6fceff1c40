"""An administrator's reset on the Users screen, and the person's way back in with the
code on the login screen, told of the reset by name."""

from sqlalchemy import select

from models import AuditEvent
from tests.app.conftest import by_label, no_exception, titles
from tests.app.test_two_factor_pages import log_in, press, type_in
from tests.factories import make_user

NEW = "a new passphrase of mine"


def test_a_reset_code_lets_the_member_choose_a_password_and_tells_them(new_app, app_db):
    with app_db.begin() as session:
        admin = make_user(session, "root", "admin", name="Ada Admin")
        maria = make_user(session, "maria", "member", name="Maria G.")
    at = no_exception(new_app(admin).run())
    at.switch_page("../pages/users.py").run()
    by_label(at.selectbox, "Account").set_value(maria.id).run()
    press(at, "Reset password")
    assert "A reset code for maria is ready" in at.success[0].value
    code = at.code[0].value
    assert "password" not in code and len(code) == 19
    assert not any(w.label == "New temporary password" for w in at.text_input)

    member = no_exception(new_app().run())
    assert titles(member) == ["Log in"]
    type_in(member, "Your username", "maria")
    type_in(member, "Reset code", code)
    type_in(member, "New password", NEW)
    type_in(member, "Confirm new password", NEW)
    press(member, "Choose the new password")
    assert titles(member) == ["Today"]
    notices = [w.value for w in member.warning]
    assert any(n.startswith("An administrator (Ada Admin) reset your password (")
               for n in notices)
    member.run()
    assert not any("reset your password" in w.value for w in member.warning)  # told once

    with app_db() as session:
        reads = session.scalars(select(AuditEvent.detail).where(
            AuditEvent.member_id == maria.id, AuditEvent.action == "view")).all()
    assert reads and set(reads) == {"session began with a reset code"}

    again = log_in(no_exception(new_app().run()), "maria", NEW)
    assert titles(again) == ["Today"]
