from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.auth import (
    change_password,
    current_actor,
    log_in,
    login_failed_message,
    prove_password,
    stored_password_hash,
)
from dashboard.config import Settings
from dashboard.errors import ValidationError
from dashboard.login_throttle import ATTEMPTS_PER_USERNAME, FAILURES_PER_ADDRESS
from dashboard.passwords import password_context, verify_and_update
from dashboard.users import set_account_active
from models import AuditEvent, User
from tests.factories import NOW, PASSWORD, make_user

SETTINGS = Settings()


@pytest.fixture
def alice(session):
    actor = make_user(session, "alice", "member")
    session.commit()
    return actor


def attempt(session_factory, password, *, username="alice", now=NOW):
    with session_factory.begin() as session:
        return log_in(session=session, username=username, password=password, settings=SETTINGS,
                      now=now)


def actions(session, actor_id=None):
    query = select(AuditEvent.action, AuditEvent.outcome).order_by(AuditEvent.id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    return [tuple(row) for row in session.execute(query)]


def test_good_password_logs_in_and_is_audited(session_factory, session, alice):
    result = attempt(session_factory, PASSWORD, username="  ALICE ")
    assert result.ok and result.actor.id == alice.id and result.actor.roles == {"member"}
    assert ("login", "allowed") in actions(session, alice.id)
    assert session.get(User, alice.id).last_login_at == NOW


def test_unknown_user_and_wrong_password_get_the_same_message(session_factory, session, alice):
    wrong = attempt(session_factory, "not the password at all")
    unknown = attempt(session_factory, PASSWORD, username="nobody")
    assert wrong.error == unknown.error == login_failed_message(SETTINGS)
    assert not wrong.ok and not unknown.ok
    assert actions(session).count(("login_failed", "denied")) == 2


def test_five_failures_lock_for_fifteen_minutes(session_factory, session, alice):
    for _ in range(5):
        assert not attempt(session_factory, "wrong password here").ok
    assert ("account_locked", "denied") in actions(session, alice.id)
    # Locked: even the right password is refused, with the same message.
    locked = attempt(session_factory, PASSWORD, now=NOW + timedelta(minutes=14, seconds=59))
    assert not locked.ok and locked.error == login_failed_message(SETTINGS)
    assert attempt(session_factory, PASSWORD, now=NOW + timedelta(minutes=15)).ok


def test_four_failures_do_not_lock_and_success_resets_the_count(session_factory, session, alice):
    for _ in range(4):
        attempt(session_factory, "wrong password here")
    assert attempt(session_factory, PASSWORD).ok
    for _ in range(4):
        attempt(session_factory, "wrong password here")
    assert attempt(session_factory, PASSWORD).ok


def test_old_parameter_hash_is_rehashed_on_login(session_factory, session, alice):
    weak = password_context.handler("argon2").using(memory_cost=1024, rounds=1).hash(PASSWORD)
    session.get(User, alice.id).password_hash = weak
    session.commit()
    assert attempt(session_factory, PASSWORD).ok
    session.expire_all()
    stored = session.get(User, alice.id).password_hash
    assert stored != weak and "m=19456" in stored
    assert verify_and_update(PASSWORD, stored) == (True, None)


def test_deactivated_account_cannot_log_in_and_loses_its_session(session_factory, session, alice):
    admin = make_user(session, "root", "admin")
    session.commit()
    with session_factory.begin() as s:
        set_account_active(session=s, actor=admin, user_id=alice.id, active=False, now=NOW)
    assert not attempt(session_factory, PASSWORD).ok
    with session_factory.begin() as s:
        assert current_actor(session=s, user_id=alice.id) is None


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field"),
    [
        ("wrong current pw", "my own new passphrase", "my own new passphrase", "current_password"),
        (PASSWORD, "short", "short", "new_password"),
        (PASSWORD, "password1234", "password1234", "new_password"),
        (PASSWORD, "my own new passphrase", "my own new passphrasf", "confirm_password"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password"),
    ],
)
def test_change_password_refusals_change_nothing(session_factory, session, alice, current, new,
                                                 confirm, field):
    before = session.get(User, alice.id).password_hash
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        change_password(session=s, actor=alice, current_password=current, new_password=new,
                        confirm_password=confirm, now=NOW)
    assert error.value.for_field(field)
    session.expire_all()
    assert session.get(User, alice.id).password_hash == before


def test_the_message_follows_the_configured_lockout():
    custom = Settings(lockout_attempts=3, lockout_duration=timedelta(minutes=30))
    assert "after 3 failed tries, wait 30 minutes" in login_failed_message(custom)


def test_wrong_current_passwords_count_toward_the_lockout(session_factory, session, alice):
    """A browser left logged in is no way around the lockout: the password fields of the
    account's own forms count like the login form."""
    def change(current, now=NOW):
        with pytest.raises(ValidationError) as error, session_factory.begin() as s:
            change_password(session=s, actor=alice, current_password=current,
                            new_password="short", confirm_password="short", now=now)
        return error.value.for_field("current_password")

    for _ in range(2):
        assert change("a wrong guess") == "That is not your current password."
    for _ in range(3):
        assert not attempt(session_factory, "another wrong guess").ok
    assert ("account_locked", "denied") in actions(session, alice.id)
    assert actions(session, alice.id).count(("password_check_failed", "denied")) == 2
    # Locked: the right password opens neither the login nor the form.
    assert not attempt(session_factory, PASSWORD, now=NOW + timedelta(minutes=5)).ok
    assert change(PASSWORD, now=NOW + timedelta(minutes=5)) == (
        "Too many wrong passwords. For your safety this is paused: try again in 10 minutes.")
    session.expire_all()
    assert verify_and_update(PASSWORD, session.get(User, alice.id).password_hash)[0]
    # Once the lock has run out the right password works again, and nothing else is refused.
    assert change(PASSWORD, now=NOW + timedelta(minutes=15)) is None


def test_the_wrong_password_that_locks_the_account_says_so(session_factory, alice):
    def change(current):
        with pytest.raises(ValidationError) as error, session_factory.begin() as s:
            change_password(session=s, actor=alice, current_password=current,
                            new_password="short", confirm_password="short", now=NOW)
        return error.value.for_field("current_password")

    for _ in range(4):
        assert change("a wrong guess") == "That is not your current password."
    assert change("a wrong guess") == (
        "That is not your current password. Too many wrong passwords. For your safety this "
        "is paused: try again in 15 minutes.")



def test_one_address_cannot_spray_passwords_over_many_accounts(session_factory, session):
    for n in range(3):
        make_user(session, f"staff{n}", "member")
    session.commit()
    no_lockout = Settings(lockout_attempts=100)  # the throttle alone, not the lockout

    def from_address(username, password, address):
        with session_factory.begin() as s:
            return log_in(session=s, username=username, password=password,
                          settings=no_lockout, now=NOW, client_address=address)

    for n in range(FAILURES_PER_ADDRESS.attempts):
        assert not from_address(f"staff{n % 3}", "Summer2026!", "203.0.113.7").ok
    refused = from_address("staff0", PASSWORD, "203.0.113.7")
    assert not refused.ok and "too many login attempts" in refused.error
    assert "wait 10 minutes" in refused.error
    assert from_address("staff0", PASSWORD, "198.51.100.1").ok  # another address is not held
    details = session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "login_failed")).all()
    assert details.count("too many attempts") == 1


def test_a_username_hammered_from_many_addresses_is_slowed(session_factory, alice):
    for n in range(ATTEMPTS_PER_USERNAME.attempts):
        attempt(session_factory, f"guess {n}", now=NOW + timedelta(seconds=n))
    result = attempt(session_factory, PASSWORD, now=NOW + timedelta(seconds=30))
    assert not result.ok and "too many login attempts" in result.error


def test_a_proof_made_outside_the_transaction_spares_the_hash_inside(session_factory, alice,
                                                                    monkeypatch):
    """A flood of logins used to hash inside the write turn, and everyone's saves waited."""
    with session_factory.begin() as s:
        stored = stored_password_hash(session=s, username="ALICE")
    proof = prove_password(password=PASSWORD, stored_hash=stored)
    unknown = prove_password(password=PASSWORD, stored_hash=None)

    def no_hash_here(*args):
        raise AssertionError("hashed inside the transaction")

    monkeypatch.setattr("dashboard.auth.verify_and_update", no_hash_here)
    monkeypatch.setattr("dashboard.auth.dummy_verify", no_hash_here)
    with session_factory.begin() as s:
        assert log_in(session=s, username="alice", password=PASSWORD, settings=SETTINGS,
                      now=NOW, proof=proof).ok
    with session_factory.begin() as s:
        assert not log_in(session=s, username="nobody", password=PASSWORD, settings=SETTINGS,
                          now=NOW, proof=unknown).ok


def test_a_proof_of_a_hash_since_replaced_counts_for_nothing(session_factory, session, alice):
    with session_factory.begin() as s:
        stored = stored_password_hash(session=s, username="alice")
    proof = prove_password(password=PASSWORD, stored_hash=stored)
    with session_factory.begin() as s:
        change_password(session=s, actor=alice, current_password=PASSWORD,
                        new_password="my own new passphrase",
                        confirm_password="my own new passphrase", now=NOW)
    with session_factory.begin() as s:
        assert not log_in(session=s, username="alice", password=PASSWORD, settings=SETTINGS,
                          now=NOW, proof=proof).ok
