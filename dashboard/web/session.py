"""The browser session's login state: who is logged in, since when, and whether their
second factor has passed.

The session holds only the user id and a few timestamps; the role and the account's
status are read again from the database on every run, never cached.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard import auth, clock
from dashboard.auth import Actor
from dashboard.config import settings
from dashboard.web.database import transaction

AUTH_KEY = "auth"
# A message for the login screen: why the person was logged out.
NOTICE_KEY = "logout_notice"
# New recovery codes, shown once; the recovery codes left after one was used.
NEW_RECOVERY_CODES_KEY = "new_recovery_codes"
TWO_FACTOR_NOTICE_KEY = "recovery_codes_left"


def start_session(actor: Actor, now: datetime) -> None:
    # "second_factor": the two-factor set-up (its enrolment time) this session has passed a
    # code of; None until then. Bound to the set-up, so a reset invalidates it.
    st.session_state[AUTH_KEY] = {"user_id": actor.id, "logged_in_at": now, "last_seen_at": now,
                                  "second_factor": None}
    st.session_state.pop(NOTICE_KEY, None)


def second_factor_pending(actor: Actor) -> bool:
    """Whether this browser session still has to pass (or first set up) the second factor
    that the account needs. Re-read on every run: an administrator's reset takes effect at
    the next rerun."""
    if not actor.needs_second_factor:
        return False
    state = st.session_state.get(AUTH_KEY) or {}
    return (actor.two_factor_enrolled_at is None
            or state.get("second_factor") != actor.two_factor_enrolled_at)


def mark_second_factor_passed(enrolled_at: datetime) -> None:
    st.session_state[AUTH_KEY]["second_factor"] = enrolled_at


def two_factor_screen_needed(actor: Actor) -> bool:
    """Only the Two-factor screen until the second factor passed, until new recovery codes
    (shown once) have been seen, and after a recovery code until its notice has been read."""
    return (second_factor_pending(actor) or bool(st.session_state.get(NEW_RECOVERY_CODES_KEY))
            or st.session_state.get(TWO_FACTOR_NOTICE_KEY) is not None)


def end_session(reason: str, notice: str | None = None) -> None:
    state = st.session_state.get(AUTH_KEY)
    if state:
        with transaction() as session:
            auth.log_out(session=session, actor_id=state["user_id"], reason=reason,
                         now=clock.now())
    # Clear everything the session kept: nothing of this person stays behind.
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def session_actor() -> Actor | None:
    """The logged-in actor for this run, or None (timed out, deactivated or logged out)."""
    state = st.session_state.get(AUTH_KEY)
    if not state:
        return None
    now = clock.now()
    expired = auth.session_expiry_reason(
        logged_in_at=state["logged_in_at"], last_seen_at=state["last_seen_at"],
        settings=settings(), now=now,
    )
    if expired:
        end_session("session timed out", notice=expired)
        return None
    with transaction() as session:
        actor = auth.current_actor(session=session, user_id=state["user_id"])
    if actor is None:
        end_session("account deactivated",
                    notice="You have been logged out. Ask an administrator if this is unexpected.")
        return None
    state["last_seen_at"] = now
    return actor


def require_role(role: str) -> Actor:
    """Stop the page unless the logged-in actor holds `role` (the menu is not the access control)."""
    actor = session_actor()
    if (actor is None or actor.must_change_password or not actor.has_role(role)
            or second_factor_pending(actor)):
        st.error("This page is not available to your account.")
        st.stop()
    return actor


def require_login() -> Actor:
    actor = session_actor()
    if actor is None or second_factor_pending(actor):
        st.error("Please log in.")
        st.stop()
    return actor
