"""Nobody reads a member's data unseen: an administrator's reset gives a code, never a
password, and the member hears of every reset (dashboard/account_resets.py)."""

import csv
import io
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.account_resets import redeem_reset_code, resets_to_tell
from dashboard.auth import RESET_CODE_SESSION, log_in
from dashboard.config import Settings
from dashboard.errors import ValidationError
from dashboard.member_record import member_record
from dashboard.sharing import accounting_of_disclosures, views_of_my_data
from dashboard.users import reset_password, reset_two_factor
from models import AuditEvent, User
from tests.factories import NOW, PASSWORD, make_user

SETTINGS = Settings()
NEW = "a new passphrase of mine"


@pytest.fixture
def people(session):
    admin = make_user(session, "root", "admin", name="Ada Admin")
    maria = make_user(session, "maria", "member", name="Maria G.", two_factor=True)
    session.commit()
    return admin, maria


def reset(session_factory, admin, member, now=NOW) -> str:
    with session_factory.begin() as s:
        return reset_password(session=s, actor=admin, user_id=member.id, now=now)


def redeem(session_factory, code, *, username="maria", now=NOW, new=NEW):
    with session_factory.begin() as s:
        return redeem_reset_code(session=s, username=username, code=code, new_password=new,
                                 confirm_password=new, settings=SETTINGS, now=now)


def test_a_reset_gives_a_code_not_a_password_and_keeps_the_old_one(session_factory,
                                                                   session, people):
    """The administrator used to set a temporary password, log in with it and read the
    member's check-ins."""
    admin, maria = people
    code = reset(session_factory, admin, maria)
    assert len(code) == 19 and code.count("-") == 3
    with session_factory.begin() as s:
        assert not log_in(session=s, username="maria", password=code, settings=SETTINGS,
                          now=NOW).ok
        assert log_in(session=s, username="maria", password=PASSWORD, settings=SETTINGS,
                      now=NOW).ok
    stored = session.get(User, maria.id)
    assert code.replace("-", "") not in (stored.password_hash or "")


def test_the_code_chooses_a_new_password_once_within_24_hours(session_factory, session,
                                                              people):
    admin, maria = people
    expired = reset(session_factory, admin, maria, now=NOW - timedelta(hours=25))
    assert not redeem(session_factory, expired).ok
    code = reset(session_factory, admin, maria)
    result = redeem(session_factory, code.upper().replace("-", " "))
    assert result.ok and result.actor.id == maria.id
    assert not redeem(session_factory, code).ok  # spent
    with session_factory.begin() as s:
        assert log_in(session=s, username="maria", password=NEW, settings=SETTINGS,
                      now=NOW).ok


def test_a_newer_code_replaces_an_older_one(session_factory, people):
    admin, maria = people
    first = reset(session_factory, admin, maria)
    second = reset(session_factory, admin, maria)
    assert not redeem(session_factory, first).ok
    assert redeem(session_factory, second).ok


def test_wrong_codes_count_toward_the_lockout_and_never_tell_who_exists(session_factory,
                                                                        session, people):
    admin, maria = people
    reset(session_factory, admin, maria)
    answers = {redeem(session_factory, "aaaa-bbbb-cccc-dddd").error,
               redeem(session_factory, "aaaa-bbbb-cccc-dddd", username="nobody").error}
    assert len(answers) == 1
    assert session.get(User, maria.id).failed_logins == 1


def test_a_weak_new_password_spends_nothing(session_factory, people):
    admin, maria = people
    code = reset(session_factory, admin, maria)
    with pytest.raises(ValidationError) as error:
        redeem(session_factory, code, new="short")
    assert error.value.for_field("new_password")
    assert redeem(session_factory, code).ok


def test_the_member_is_told_of_each_reset_once_by_name(session_factory, people):
    admin, maria = people
    reset(session_factory, admin, maria)
    with session_factory.begin() as s:
        reset_two_factor(session=s, actor=admin, user_id=maria.id, now=NOW)
    with session_factory.begin() as s:
        notices = resets_to_tell(s, user_id=maria.id, now=NOW)
    sentences = [n.sentence("UTC", NOW) for n in notices]
    assert sentences[0].startswith("An administrator (Ada Admin) reset your password (")
    assert sentences[1].startswith("An administrator (Ada Admin) reset your two-factor login (")
    with session_factory.begin() as s:
        assert resets_to_tell(s, user_id=maria.id, now=NOW) == []


def test_resets_and_a_reset_sessions_reads_are_in_the_members_own_records(
        session_factory, session, people):
    admin, maria = people
    code = reset(session_factory, admin, maria)
    result = redeem(session_factory, code)
    taken_over = replace(result.actor, via_reset_code=True)
    with session_factory.begin() as s:
        member_record(session=s, actor=taken_over, member_id=maria.id, purpose=None,
                      screen="Today", now=NOW)
    read = session.scalars(select(AuditEvent).where(
        AuditEvent.member_id == maria.id, AuditEvent.action == "view")).one()
    assert read.detail == RESET_CODE_SESSION
    maria_actor = replace(result.actor, via_reset_code=False)
    with session_factory.begin() as s:
        seen = views_of_my_data(session=s, actor=maria_actor)
        accounting = accounting_of_disclosures(session=s, actor=maria_actor, now=NOW)
    assert [(v.viewer_name, v.action) for v in seen] == [
        ("Maria G.", "view"), ("Ada Admin", "password_reset")]
    actions = [row["action"] for row in csv.DictReader(io.StringIO(accounting))]
    assert "password_reset" in actions and "view" in actions
