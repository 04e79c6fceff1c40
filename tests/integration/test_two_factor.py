"""Two-factor login on a real database (SQLite, and PostgreSQL when configured): enrolment,
codes at login, reuse and drift, recovery codes, the shared lockout, the admin's reset,
and an audit trail that never holds a code or the secret."""

from datetime import timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import delete, func, inspect, select, text

from dashboard.auth import actor_from_user, current_actor, log_in
from dashboard.config import Settings
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.totp_codes import code_at, time_step
from dashboard.two_factor import (
    RECOVERY_CODE_COUNT,
    confirm_enrolment,
    regenerate_recovery_codes,
    start_enrolment,
    turn_off,
    two_factor_status,
    use_recovery_code,
    verify_second_factor,
)
from dashboard.users import reset_two_factor
from models import AuditEvent, User
from models.db import alembic_config, upgrade_to_head
from models.entities import RecoveryCode
from tests.factories import NOW, PASSWORD, TOTP_SECRET, make_user

SETTINGS = Settings()
LATER = NOW + timedelta(minutes=1)


@pytest.fixture
def carla(session):
    """A counselor, two-factor set up with TOTP_SECRET."""
    actor = make_user(session, "carla", "counselor", two_factor=True)
    session.commit()
    return actor


@pytest.fixture
def ada(session):
    actor = make_user(session, "ada", "admin", two_factor=True)
    session.commit()
    return actor


def enrol(session_factory, actor, *, secret=TOTP_SECRET, now=NOW):
    with session_factory.begin() as s:
        return confirm_enrolment(session=s, actor=actor, secret=secret,
                                 code=code_at(secret, now), password=PASSWORD, now=now)


def code(session_factory, actor, typed, *, now=LATER, settings=SETTINGS):
    with session_factory.begin() as s:
        return verify_second_factor(session=s, actor=actor, code=typed, settings=settings, now=now)


def recovery(session_factory, actor, typed, *, now=LATER):
    with session_factory.begin() as s:
        return use_recovery_code(session=s, actor=actor, code=typed, settings=SETTINGS, now=now)


def password(session_factory, username, typed=PASSWORD, *, now=LATER):
    with session_factory.begin() as s:
        return log_in(session=s, username=username, password=typed, settings=SETTINGS, now=now)


def fresh(session):
    """End the inspecting session's read snapshot (SQLite keeps one per transaction), so it
    sees what the services' transactions committed since."""
    session.commit()
    session.expire_all()


def events(session, actor_id):
    fresh(session)
    return [(e.action, e.outcome, e.detail) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.actor_id == actor_id).order_by(AuditEvent.id))]


def user(session, actor):
    fresh(session)
    return session.get(User, actor.id)


def wrong_code(now=LATER) -> str:
    """A well-formed code that is right for no step near `now`."""
    window = {code_at(TOTP_SECRET, now, steps=s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


# --- enrolment -----------------------------------------------------------------------


def test_enrolment_confirmed_with_a_first_code_stores_the_secret_and_ten_hashed_codes(
        session_factory, session):
    maria = make_user(session, "maria", "member")
    session.commit()
    enrolment = start_enrolment(actor=maria)

    enrolled = enrol(session_factory, maria, secret=enrolment.secret)

    stored = user(session, maria)
    assert stored.totp_secret == enrolment.secret
    # Encrypted at rest: the column itself holds a token, not the secret.
    raw = session.scalar(text("SELECT totp_secret FROM users WHERE id = :id"), {"id": maria.id})
    assert enrolment.secret not in raw and len(raw) > 100
    assert stored.totp_enrolled_at == NOW == enrolled.enrolled_at
    assert stored.totp_last_step == time_step(NOW)
    codes = enrolled.recovery_codes
    assert len(codes) == len(set(codes)) == RECOVERY_CODE_COUNT == 10
    hashes = session.scalars(select(RecoveryCode.code_hash)
                             .where(RecoveryCode.user_id == maria.id)).all()
    assert len(hashes) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(c in h or c.replace("-", "") in h for c in codes for h in hashes)
    assert events(session, maria.id)[-1][:2] == ("two_factor_enrolled", "allowed")
    assert actor_from_user(stored).needs_second_factor


def test_enrolment_refuses_a_wrong_first_code_and_stores_nothing(session_factory, session):
    maria = make_user(session, "maria", "member")
    session.commit()
    enrolment = start_enrolment(actor=maria)
    for typed, message in [(wrong_code(NOW), "does not match"), ("12 34", "6-digit")]:
        with pytest.raises(ValidationError) as error, session_factory.begin() as s:
            confirm_enrolment(session=s, actor=maria, secret=enrolment.secret, code=typed,
                              password=PASSWORD, now=NOW)
        assert message in error.value.for_field("code")
    stored = user(session, maria)
    assert stored.totp_secret is None and stored.totp_enrolled_at is None
    assert session.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_the_first_code_of_enrolment_cannot_be_used_again_to_log_in(session_factory, session):
    maria = make_user(session, "maria", "member")
    session.commit()
    enrol(session_factory, maria)
    maria = actor_from_user(user(session, maria))
    result = code(session_factory, maria, code_at(TOTP_SECRET, NOW), now=NOW)
    assert not result.ok


def test_enrolment_twice_is_refused(session_factory, session, carla):
    with pytest.raises(ValidationError, match="already set up"):
        enrol(session_factory, carla)


# --- codes at login ------------------------------------------------------------------


def test_the_password_of_an_enrolled_account_leaves_the_second_factor_pending(
        session_factory, session, carla):
    result = password(session_factory, "carla")
    assert result.ok and result.actor.needs_second_factor
    assert events(session, carla.id)[-1] == ("login", "allowed",
                                             "password accepted, second factor pending")
    assert user(session, carla).last_login_at is None  # not logged in yet


def test_a_valid_code_passes_and_completes_the_login(session_factory, session, carla):
    result = code(session_factory, carla, code_at(TOTP_SECRET, LATER))
    assert result.ok and result.enrolled_at == carla.two_factor_enrolled_at
    stored = user(session, carla)
    assert stored.totp_last_step == time_step(LATER)
    assert stored.last_login_at == LATER and stored.failed_logins == 0
    assert events(session, carla.id)[-1] == ("second_factor_passed", "allowed",
                                             "authenticator code")


def test_a_reused_code_is_refused_and_counted(session_factory, session, carla):
    typed = code_at(TOTP_SECRET, LATER)
    assert code(session_factory, carla, typed).ok
    again = code(session_factory, carla, typed, now=LATER + timedelta(seconds=5))
    assert not again.ok and not again.locked
    assert "works only once" in again.error and "4 more wrong tries" in again.error
    assert user(session, carla).failed_logins == 1
    assert events(session, carla.id)[-1] == ("second_factor_failed", "denied",
                                             "authenticator code: code used before")


def test_after_a_code_is_used_an_older_one_is_refused_too(session_factory, session, carla):
    assert code(session_factory, carla, code_at(TOTP_SECRET, LATER)).ok
    older = code_at(TOTP_SECRET, LATER, steps=-1)
    assert not code(session_factory, carla, older).ok


@pytest.mark.parametrize("steps", [-1, 1])
def test_a_code_one_step_off_is_accepted(session_factory, session, carla, steps):
    assert code(session_factory, carla, code_at(TOTP_SECRET, LATER, steps=steps)).ok


def test_a_code_two_steps_old_is_refused_as_expired_without_counting(session_factory, session,
                                                                     carla):
    stale = code_at(TOTP_SECRET, LATER, steps=-2)
    assert stale not in {code_at(TOTP_SECRET, LATER, steps=s) for s in (-1, 0, 1)}
    result = code(session_factory, carla, stale)
    assert not result.ok and not result.locked
    assert "just expired" in result.error and "does not count" in result.error
    assert user(session, carla).failed_logins == 0
    assert events(session, carla.id)[-1] == ("second_factor_failed", "denied",
                                             "authenticator code: clock off by -60 s")


@pytest.mark.parametrize(("steps", "words"), [(-10, "5 minutes behind"),
                                              (16, "8 minutes ahead of")])
def test_a_right_code_from_a_clock_that_is_off_is_explained_and_never_locks(
        session_factory, session, carla, steps, words):
    """A phone whose clock is minutes off makes right codes: they are refused, the skew is
    said in words, and no number of them locks the account."""
    for attempt in range(SETTINGS.lockout_attempts + 2):
        now = LATER + timedelta(seconds=30 * attempt)
        result = code(session_factory, carla, code_at(TOTP_SECRET, now, steps=steps), now=now)
        assert not result.ok and not result.locked
        assert words in result.error and "does not count" in result.error
    assert user(session, carla).failed_logins == 0


def test_a_code_hours_off_counts_as_a_wrong_code(session_factory, session, carla):
    far = code_at(TOTP_SECRET, LATER, steps=-240)
    assert far not in {code_at(TOTP_SECRET, LATER, steps=s) for s in range(-20, 21)}
    result = code(session_factory, carla, far)
    assert not result.ok and "4 more wrong tries" in result.error
    assert user(session, carla).failed_logins == 1


def test_a_malformed_code_is_explained_and_not_counted(session_factory, session, carla):
    with pytest.raises(ValidationError) as error:
        code(session_factory, carla, "12345")
    assert error.value.for_field("code")
    assert user(session, carla).failed_logins == 0


# --- recovery codes ------------------------------------------------------------------


def test_a_recovery_code_works_once(session_factory, session):
    maria = make_user(session, "maria", "member")
    session.commit()
    codes = enrol(session_factory, maria).recovery_codes
    maria = actor_from_user(user(session, maria))

    first = recovery(session_factory, maria, codes[3].upper().replace("-", " "))
    assert first.ok and first.recovery_codes_left == 9
    assert [e[0] for e in events(session, maria.id)[-2:]] == ["second_factor_passed",
                                                               "recovery_code_used"]
    assert events(session, maria.id)[-1][2] == "9 recovery codes left"

    second = recovery(session_factory, maria, codes[3])
    assert not second.ok and "works only once" in second.error
    assert events(session, maria.id)[-1] == ("second_factor_failed", "denied",
                                             "recovery code: wrong or used recovery code")
    assert recovery(session_factory, maria, codes[4]).ok
    fresh(session)
    assert two_factor_status(session=session, actor=maria).recovery_codes_left == 8


def test_new_recovery_codes_replace_the_old_ones(session_factory, session):
    maria = make_user(session, "maria", "member")
    session.commit()
    old = enrol(session_factory, maria).recovery_codes
    maria = actor_from_user(user(session, maria))
    with session_factory.begin() as s:
        new = regenerate_recovery_codes(session=s, actor=maria,
                                        code=code_at(TOTP_SECRET, LATER), now=LATER)
    assert len(set(new)) == 10 and not set(new) & set(old)
    later = LATER + timedelta(minutes=1)
    assert not recovery(session_factory, maria, old[0], now=later).ok
    assert recovery(session_factory, maria, new[0], now=later).ok


# --- the lockout ---------------------------------------------------------------------


def test_five_bad_codes_lock_the_account_like_five_bad_passwords(session_factory, session,
                                                                 carla):
    for attempt in range(4):
        result = code(session_factory, carla, wrong_code())
        assert not result.ok and not result.locked
    fifth = code(session_factory, carla, wrong_code())
    assert fifth.locked and "locked for 15 minutes" in fifth.error
    stored = user(session, carla)
    assert stored.locked_until == LATER + timedelta(minutes=15)
    assert ("account_locked", "denied", "after 5 failed logins") in events(session, carla.id)

    # Locked: the right code, and the right password, are refused until the lock ends.
    soon = LATER + timedelta(minutes=14)
    assert code(session_factory, carla, code_at(TOTP_SECRET, soon), now=soon).locked
    assert not password(session_factory, "carla", now=soon).ok
    after = LATER + timedelta(minutes=15)
    assert password(session_factory, "carla", now=after).ok
    assert code(session_factory, carla, code_at(TOTP_SECRET, after), now=after).ok


def test_a_right_password_does_not_buy_more_guesses_of_the_code(session_factory, session,
                                                                 carla):
    for _ in range(3):
        code(session_factory, carla, wrong_code())
    assert password(session_factory, "carla").ok
    assert user(session, carla).failed_logins == 3
    code(session_factory, carla, wrong_code())
    assert code(session_factory, carla, wrong_code()).locked


def test_bad_passwords_and_bad_codes_count_together(session_factory, session, carla):
    for _ in range(4):
        assert not password(session_factory, "carla", "not the password at all").ok
    assert code(session_factory, carla, wrong_code()).locked


def test_bad_recovery_codes_count_towards_the_lockout(session_factory, session, carla):
    for _ in range(4):
        assert not recovery(session_factory, carla, "abcde-fgh23").ok
    assert recovery(session_factory, carla, "abcde-fgh23").locked


def test_a_right_code_resets_the_count(session_factory, session, carla):
    for _ in range(4):
        code(session_factory, carla, wrong_code())
    assert code(session_factory, carla, code_at(TOTP_SECRET, LATER)).ok
    assert user(session, carla).failed_logins == 0


# --- the admin's reset ---------------------------------------------------------------


def test_admin_reset_forgets_the_second_factor_and_forces_a_new_enrolment(
        session_factory, session, ada):
    sam = make_user(session, "sam", "member", "sponsor")
    session.commit()
    enrol(session_factory, sam)
    sam = actor_from_user(user(session, sam))
    for _ in range(5):
        code(session_factory, sam, wrong_code())
    assert user(session, sam).locked_until is not None

    with session_factory.begin() as s:
        reset_two_factor(session=s, actor=ada, user_id=sam.id, now=LATER)

    stored = user(session, sam)
    assert (stored.totp_secret, stored.totp_enrolled_at, stored.totp_last_step) == (None,) * 3
    assert stored.locked_until is None and stored.failed_logins == 0
    assert session.scalar(select(func.count()).select_from(RecoveryCode)
                          .where(RecoveryCode.user_id == sam.id)) == 0
    assert events(session, ada.id)[-1] == ("two_factor_reset", "allowed", None)
    reset = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "two_factor_reset")).one()
    assert reset.member_id == sam.id  # an event about sam: in his accounting
    # The next page run of any session of theirs sees a sponsor without a second factor:
    # the router sends it to enrolment.
    with session_factory.begin() as s:
        again = current_actor(session=s, user_id=sam.id)
    assert again.two_factor_enrolled_at is None and again.needs_second_factor
    assert not code(session_factory, sam, code_at(TOTP_SECRET, LATER)).ok
    # A new enrolment works and starts a new set-up.
    new = start_enrolment(actor=again)
    assert enrol(session_factory, again, secret=new.secret, now=LATER).enrolled_at == LATER


def test_only_an_admin_can_reset_a_second_factor(session_factory, session, carla, ada):
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        reset_two_factor(session=s, actor=carla, user_id=ada.id, now=NOW)
    assert user(session, ada).totp_enrolled_at is not None


def test_resetting_an_account_without_a_second_factor_says_so(session_factory, session, ada):
    maria = make_user(session, "maria", "member")
    session.commit()
    with pytest.raises(ValidationError, match="nothing to reset"), session_factory.begin() as s:
        reset_two_factor(session=s, actor=ada, user_id=maria.id, now=NOW)


# --- members may turn it off, staff may not ------------------------------------------


def test_a_member_turns_it_off_with_their_password(session_factory, session):
    maria = make_user(session, "maria", "member")
    session.commit()
    enrol(session_factory, maria)
    maria = actor_from_user(user(session, maria))
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        turn_off(session=s, actor=maria, password="not my password at all", now=NOW)
    assert error.value.for_field("password")
    with session_factory.begin() as s:
        turn_off(session=s, actor=maria, password=PASSWORD, now=LATER)
    assert not actor_from_user(user(session, maria)).needs_second_factor
    assert events(session, maria.id)[-1][:2] == ("two_factor_turned_off", "allowed")


def test_wrong_passwords_to_turn_it_off_count_toward_the_lockout(session_factory, session):
    """Twelve guesses at an open session used to be free, and the right one then turned
    two-factor login off."""
    maria = make_user(session, "maria", "member")
    session.commit()
    enrol(session_factory, maria)
    maria = actor_from_user(user(session, maria))
    for _ in range(SETTINGS.lockout_attempts):
        with pytest.raises(ValidationError), session_factory.begin() as s:
            turn_off(session=s, actor=maria, password="a wrong guess", settings=SETTINGS,
                     now=NOW)
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        turn_off(session=s, actor=maria, password=PASSWORD, settings=SETTINGS, now=NOW)
    assert "paused" in error.value.for_field("password")
    assert user(session, maria).totp_enrolled_at is not None
    assert ("account_locked", "denied") in [e[:2] for e in events(session, maria.id)]
    assert [e[:2] for e in events(session, maria.id)].count(
        ("password_check_failed", "denied")) == SETTINGS.lockout_attempts


def test_turning_it_on_takes_the_password_and_counts_wrong_ones(session_factory, session):
    """Someone at an open session must not bind their own phone to the account."""
    maria = make_user(session, "maria", "member")
    session.commit()
    enrolment = start_enrolment(actor=maria)
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        confirm_enrolment(session=s, actor=maria, secret=enrolment.secret,
                          code=code_at(enrolment.secret, NOW), password="a wrong guess",
                          now=NOW)
    assert error.value.for_field("password") == "That is not your current password."
    stored = user(session, maria)
    assert stored.totp_enrolled_at is None and stored.failed_logins == 1


def test_staff_cannot_turn_it_off(session_factory, session, carla):
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        turn_off(session=s, actor=carla, password=PASSWORD, now=NOW)
    assert user(session, carla).totp_enrolled_at is not None


# --- what is kept --------------------------------------------------------------------


def test_the_audit_trail_never_holds_a_code_or_the_secret(session_factory, session, ada):
    maria = make_user(session, "maria", "member")
    session.commit()
    enrolment = start_enrolment(actor=maria)
    codes = enrol(session_factory, maria, secret=enrolment.secret).recovery_codes
    maria = actor_from_user(user(session, maria))
    typed = [code_at(enrolment.secret, LATER), wrong_code(), codes[0], "abcde-fgh23"]
    code(session_factory, maria, typed[0])
    code(session_factory, maria, typed[0])
    code(session_factory, maria, typed[1])
    recovery(session_factory, maria, typed[2])
    recovery(session_factory, maria, typed[3])
    with session_factory.begin() as s:
        reset_two_factor(session=s, actor=ada, user_id=maria.id, now=NOW)
    fresh(session)
    trail = " ".join(" ".join(str(v) for v in (e.action, e.detail, e.categories, e.screen))
                     for e in session.scalars(select(AuditEvent)))
    for secret_text in [enrolment.secret, code_at(enrolment.secret, NOW), *typed, *codes,
                        *(c.replace("-", "") for c in codes)]:
        assert secret_text not in trail
    assert {"two_factor_enrolled", "second_factor_passed", "second_factor_failed",
            "recovery_code_used", "two_factor_reset"} <= set(trail.split())


def test_recovery_codes_go_with_their_account(session_factory, session):
    maria = make_user(session, "maria", "member")
    session.commit()
    enrol(session_factory, maria)
    session.execute(delete(User).where(User.id == maria.id))
    session.commit()
    assert session.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_the_migration_goes_down_and_up_again(engine):
    config = alembic_config(engine)
    below = ScriptDirectory.from_config(config).get_revision("0004").down_revision
    command.downgrade(config, below)
    inspector = inspect(engine)
    assert "recovery_codes" not in inspector.get_table_names()
    assert not {"totp_secret", "totp_enrolled_at", "totp_last_step"} & {
        c["name"] for c in inspector.get_columns("users")}
    upgrade_to_head(engine)
    inspector = inspect(engine)
    assert "recovery_codes" in inspector.get_table_names()
    assert {"totp_secret", "totp_enrolled_at", "totp_last_step"} <= {
        c["name"] for c in inspector.get_columns("users")}
