"""Hostile text through every form service: control characters, very long strings,
right-to-left marks, SQL and HTML fragments, line breaks meant to forge log lines.

Each input is either refused with a message (nothing written) or stored as the text it
is; nothing raises, and no log line carries a password, a note or a raw line break.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from dashboard.auth import change_password, log_in
from dashboard.config import Settings
from dashboard.errors import NotFound, ValidationError
from dashboard.follow_up import acknowledge_flag
from dashboard.login_throttle import THROTTLE
from dashboard.sharing import grant_consent
from dashboard.users import create_account
from dashboard.weekly_review import mark_week_reviewed
from models import Consent, Flag, User, WeeklyReview
from tests.factories import NOW, PASSWORD, grant, make_user

FRAGMENTS = [
    "'; DROP TABLE users; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<img src=x onerror=1>",
    "![x](http://tracker.example/p.png)", ":red[alarm]", "\u202egnp.exe", "\u200f\u200e", "\x00",
    "\x1b[31m", "\r\nINFO forged log line", "\n\n", "\t", "$x^2$", "💙", "Ñandú", "\ufeff",
]
hostile_text = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), min_size=1, max_size=8).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.builds(lambda s, n: s * n, st.sampled_from(FRAGMENTS), st.integers(50, 400)),
)
HOSTILE = settings(max_examples=40, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])


@pytest.fixture
def people(session):
    maria = make_user(session, "maria", "member", name="Maria Garcia")
    sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
    admin = make_user(session, "root", "admin")
    grant(session, maria, sam, "checkins", "flags", "notes")
    session.add(Flag(member_id=maria.id, rule_id="hard_day", severity="medium",
                     raised_on=NOW.date(), episode_key="e", reason="Marked a hard day",
                     created_at=NOW))
    session.commit()
    flag_id = session.scalar(select(Flag.id))
    session.commit()
    return maria, sam, admin, flag_id


def logs_are_clean(caplog, *secrets: str) -> None:
    for record in caplog.records:
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message
        for secret in secrets:
            if len(secret.strip()) >= 4:
                assert secret not in message


def counts(session) -> tuple:
    session.commit()
    result = tuple(session.scalar(select(func.count()).select_from(t))
                   for t in (User, Consent, WeeklyReview))
    session.commit()
    return result


@HOSTILE
@given(text=hostile_text)
def test_consent_form_survives(session_factory, session, people, caplog, text):
    maria = people[0]
    before = counts(session)
    caplog.set_level(logging.DEBUG)
    try:
        with session_factory.begin() as s:
            grant_consent(session=s, actor=maria, recipient_username=text, purpose="sponsorship",
                          categories=["checkins"], expires_on=NOW.date(), signature_name=text,
                          revocation_acknowledged=True, now=NOW)
    except ValidationError as error:
        assert error.errors and all(isinstance(m, str) and m for m in error.errors.values())
        assert counts(session) == before
    logs_are_clean(caplog, text)


@HOSTILE
@given(name=hostile_text, username=hostile_text)
def test_account_form_survives(session_factory, session, people, caplog, name, username):
    admin = people[2]
    before = counts(session)
    try:
        with session_factory.begin() as s:
            user_id = create_account(session=s, actor=admin, username=username,
                                     display_name=name, password=PASSWORD, roles=["member"], now=NOW)
    except ValidationError:
        assert counts(session) == before
    else:
        stored = session.get(User, user_id)
        assert "\x00" not in stored.display_name and "\n" not in stored.display_name
        session.commit()
    logs_are_clean(caplog, PASSWORD)


@HOSTILE
@given(note=hostile_text)
def test_notes_of_viewers_survive_and_are_stored_as_text(session_factory, session, people,
                                                          caplog, note):
    _, sam, _, flag_id = people
    before = counts(session)
    try:
        with session_factory.begin() as s:
            mark_week_reviewed(session=s, actor=sam, member_id=people[0].id,
                               iso_week="2026-W48", note=note, now=NOW)
    except ValidationError as error:
        assert "2000 characters" in str(error)
        assert counts(session) == before
    else:
        session.commit()
        stored = session.scalar(select(WeeklyReview.note))
        session.commit()
        assert stored is None or ("\x00" not in stored and stored.strip() == stored)
    try:
        with session_factory.begin() as s:
            acknowledge_flag(session=s, actor=sam, flag_id=flag_id, outreach_method="other",
                             outreach_note=note, purpose="sponsorship", screen="Weekly review",
                             now=NOW)
    except (ValidationError, NotFound):
        pass
    logs_are_clean(caplog, note)


@HOSTILE
@given(password=hostile_text)
def test_passwords_survive_login_and_change(session_factory, session, people, caplog, password):
    maria = people[0]
    # Examples share the account: start each one unlocked and unthrottled.
    session.execute(update(User).values(failed_logins=0, locked_until=None))
    session.commit()
    THROTTLE.forget()
    with session_factory.begin() as s:
        result = log_in(session=s, username="maria", password=password, settings=Settings(),
                        now=NOW)
    assert result.ok == (password == PASSWORD)
    try:
        with session_factory.begin() as s:
            change_password(session=s, actor=maria, current_password=PASSWORD,
                            new_password=password, confirm_password=password, now=NOW)
    except ValidationError:
        pass
    else:
        with session_factory.begin() as s:
            assert log_in(session=s, username="maria", password=password, settings=Settings(),
                          now=NOW).ok
            change_password(session=s, actor=maria, current_password=password,
                            new_password=PASSWORD, confirm_password=PASSWORD, now=NOW)
    logs_are_clean(caplog, password)


@HOSTILE
@given(text=hostile_text)
def test_check_in_service_survives(session_factory, session, people, caplog, text):
    from dashboard.checkins import CheckInForm, save_checkin

    maria = people[0]
    form = CheckInForm(local_date=NOW.date(), mood=3, craving=2, used_substances=False,
                       gratitude=text, journal=text, hard_day=True, hard_day_reason=text)
    try:
        with session_factory.begin() as s:
            save_checkin(session=s, actor=maria, form=form, now=NOW)
    except ValidationError as error:
        assert error.errors
    else:
        from models import CheckIn

        session.commit()
        stored = session.scalar(select(CheckIn).where(CheckIn.member_id == maria.id))
        session.commit()
        for value in (stored.gratitude, stored.journal, stored.hard_day_reason):
            assert value is None or "\x00" not in value
    logs_are_clean(caplog, text)
