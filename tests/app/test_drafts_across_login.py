"""A check-in typed, the idle limit passed, then Save: the login screen, and what was typed
waits in the session for the same person's login; another person never gets it."""

from datetime import timedelta

from sqlalchemy import select

from dashboard.web.drafts import DRAFTS_KEY
from dashboard.web.session import AUTH_KEY
from models import CheckIn
from tests.app.conftest import by_label, no_exception, titles
from tests.app.test_session import back_in_time, watched
from tests.factories import PASSWORD, make_user

JOURNAL = "Forty minutes of writing that must not be lost"


def typed_then_saved_too_late(new_app, maria):
    at = no_exception(new_app(maria).run())
    assert titles(at) == ["Today"]
    mood(at).set_value(4)
    by_label(at.text_area, "Journal").input(JOURNAL)
    back_in_time(at.session_state[AUTH_KEY], idle=timedelta(minutes=15))
    return no_exception(_save(at))


def mood(at):
    return by_label(at.get("segmented_control"), "Mood")


def _save(at):
    [save] = [b for b in at.button if b.label == "Save check-in"]
    return save.click().run()


def log_in(at, username):
    by_label(at.text_input, "Username").input(username)
    by_label(at.text_input, "Password").input(PASSWORD)
    [button] = [b for b in at.button if b.label == "Log in"]
    return no_exception(button.click().run())


def saved_checkins(app_db) -> int:
    with app_db() as session:
        return len(session.scalars(select(CheckIn)).all())


def test_the_same_person_logging_in_again_gets_the_typed_text_back(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
    at = typed_then_saved_too_late(new_app, maria)
    assert titles(at) == ["Log in"]
    assert saved_checkins(app_db) == 0
    assert "What you typed is kept" in at.info[0].value
    # Nothing of it on the login screen.
    assert not at.text_area
    assert JOURNAL not in " ".join(str(e.value) for e in (*at.markdown, *at.info))

    log_in(at, "maria")
    assert titles(at) == ["Today"]
    assert by_label(at.text_area, "Journal").value == JOURNAL
    assert mood(at).value == 4
    assert any("back in the form, and not saved yet" in i.value for i in at.info)
    _save(at)
    with app_db() as session:
        assert session.execute(select(CheckIn.journal, CheckIn.mood)).one() == (JOURNAL, 4)


def test_another_person_logging_in_gets_nothing_and_the_draft_is_dropped(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
        make_user(session, "ana", "member", name="Ana Lopez")
    at = typed_then_saved_too_late(new_app, maria)
    assert titles(at) == ["Log in"]

    log_in(at, "ana")
    assert titles(at) == ["Today"]
    assert by_label(at.text_area, "Journal").value == ""
    assert mood(at).value is None
    assert not any("back in the form" in i.value for i in at.info)
    assert DRAFTS_KEY not in at.session_state
    assert JOURNAL not in repr(at.session_state)

    # Nor does Maria, logging in after Ana in the same browser session.
    [log_out] = [b for b in at.sidebar.button if b.label == "Log out"]
    no_exception(log_out.click().run())
    log_in(at, "maria")
    assert by_label(at.text_area, "Journal").value == ""


def test_a_timeout_without_typing_keeps_nothing(new_app, app_db):
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member", name="Maria Garcia")
    at = no_exception(new_app(maria).run())
    back_in_time(at.session_state[AUTH_KEY], idle=timedelta(minutes=15))
    no_exception(_save(at))
    assert titles(at) == ["Log in"]
    assert "What you typed is kept" not in at.info[0].value
    assert DRAFTS_KEY not in at.session_state

    log_in(at, "maria")
    assert not any("back in the form" in i.value for i in at.info)


def test_the_watch_ending_a_session_keeps_nothing_it_was_not_sent(new_app, app_db):
    """The screen cleared on its timer: nothing typed in a form reached the server."""
    with app_db.begin() as session:
        maria = make_user(session, "maria", "member")
    at = no_exception(watched(maria, idle=timedelta(minutes=15)).run())
    assert AUTH_KEY not in at.session_state
    assert DRAFTS_KEY not in at.session_state
