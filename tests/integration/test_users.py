from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.errors import PermissionDenied, ValidationError
from dashboard.users import (
    create_account,
    create_first_admin,
    list_accounts,
    set_account_active,
    unlock_account,
)
from models import AuditEvent, StepProgress, User
from tests.factories import NOW, make_user

GOOD = "a sturdy passphrase here"


def test_first_admin_only_while_empty(session_factory, session):
    with session_factory.begin() as s:
        create_first_admin(session=s, username="Ada", display_name="Ada A.", password=GOOD,
                           confirm_password=GOOD, now=NOW)
    with pytest.raises(ValidationError, match="already set up"), session_factory.begin() as s:
        create_first_admin(session=s, username="eve", display_name="Eve", password=GOOD,
                           confirm_password=GOOD, now=NOW)
    assert [u.username for u in session.scalars(select(User))] == ["ada"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "a"}, "username"),
        ({"username": "has space"}, "username"),
        ({"display_name": "  "}, "display_name"),
        ({"password": "short one"}, "password"),
        ({"roles": []}, "roles"),
        ({"roles": ["pilot"]}, "roles"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_account_validation_names_the_field_and_writes_nothing(session_factory, session,
                                                               fields, field):
    admin = make_user(session, "root", "admin")
    session.commit()
    values = {"username": "newbie", "display_name": "New B.", "password": GOOD,
              "roles": ["member"], "timezone": "UTC"} | fields
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        create_account(session=s, actor=admin, **values, now=NOW)
    assert error.value.for_field(field)
    assert session.scalar(select(User).where(User.username != "root")) is None


def test_member_accounts_get_a_profile_and_twelve_steps(session_factory, session):
    admin = make_user(session, "root", "admin")
    session.commit()
    with session_factory.begin() as s:
        user_id = create_account(session=s, actor=admin, username="maria", display_name="Maria",
                                 password=GOOD, roles=["member", "sponsor"], now=NOW)
    user = session.get(User, user_id)
    assert user.must_change_password and user.profile.sobriety_date == NOW.date()
    steps = session.scalars(select(StepProgress).where(StepProgress.member_id == user_id)).all()
    assert sorted(s.step for s in steps) == list(range(1, 13))


def test_only_admins_manage_accounts(session_factory, session):
    member = make_user(session, "maria", "member")
    session.commit()
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        list_accounts(session=s, actor=member)
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        create_account(session=s, actor=member, username="x-user", display_name="X",
                       password=GOOD, roles=["admin"], now=NOW)


def test_admin_cannot_deactivate_themself(session_factory, session):
    admin = make_user(session, "root", "admin")
    session.commit()
    with pytest.raises(ValidationError), session_factory.begin() as s:
        set_account_active(session=s, actor=admin, user_id=admin.id, active=False, now=NOW)


def test_unlock_clears_the_lock_and_is_audited(session_factory, session):
    admin = make_user(session, "root", "admin")
    maria = make_user(session, "maria", "member")
    user = session.get(User, maria.id)
    user.locked_until, user.failed_logins = NOW + timedelta(minutes=10), 3
    session.commit()
    with session_factory.begin() as s:
        unlock_account(session=s, actor=admin, user_id=maria.id, now=NOW)
    session.expire_all()
    user = session.get(User, maria.id)
    assert user.locked_until is None and user.failed_logins == 0
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "account_unlocked"))


def test_list_accounts_shows_roles_in_a_stable_order(session_factory, session):
    admin = make_user(session, "root", "admin", name="Root")
    make_user(session, "sam", "sponsor", "member", name="Sam")
    session.commit()
    with session_factory.begin() as s:
        rows = list_accounts(session=s, actor=admin)
    assert [(r.username, r.roles) for r in rows] == [("root", ("admin",)),
                                                     ("sam", ("member", "sponsor"))]
