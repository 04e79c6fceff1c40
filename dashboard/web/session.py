"""The browser session's login state: who is logged in, since when, and whether their
second factor has passed.

The session holds only the user id and two readings of the monotonic clock (when the
person logged in, when they last did something); the role and the account's status are
read again from the database on every run, never cached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import auth, clock
from dashboard.account_resets import resets_to_tell
from dashboard.auth import Actor
from dashboard.config import settings
from dashboard.timeutil import to_local
from dashboard.web.database import transaction
from dashboard.web.faults import told_plainly

AUTH_KEY = "auth"
# A message for the login screen: why the person was logged out.
NOTICE_KEY = "logout_notice"
# New recovery codes, shown once; the recovery codes left after one was used.
NEW_RECOVERY_CODES_KEY = "new_recovery_codes"
TWO_FACTOR_NOTICE_KEY = "recovery_codes_left"


def session_record(user_id: int, *, second_factor: datetime | None = None,
                   via_reset_code: bool = False) -> dict:
    """What a browser session keeps of its login, logged in just now.

    "logged_in_clock" and "last_seen_clock" are readings of the monotonic clock, in seconds.
    "second_factor": the two-factor set-up (its enrolment time) this session has passed a
    code of; None until then. Bound to the set-up, so a reset invalidates it."""
    started = clock.elapsed_seconds()
    return {"user_id": user_id, "logged_in_clock": started, "last_seen_clock": started,
            "second_factor": second_factor, "via_reset_code": via_reset_code,
            "resets_told": False}


def start_session(actor: Actor, *, via_reset_code: bool = False) -> None:
    st.session_state[AUTH_KEY] = session_record(actor.id, via_reset_code=via_reset_code)
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


def end_session(reason: str, notice: str | None = None, *,
                keep: Mapping[str, Any] | None = None) -> None:
    """Log the person out and clear the session; `keep`: entries that stay in it (what the
    person typed, kept for their own next login: dashboard/web/drafts.py)."""
    state = st.session_state.get(AUTH_KEY)
    try:
        if state:
            with transaction() as session:
                auth.log_out(session=session, actor_id=state["user_id"], reason=reason,
                             now=clock.now())
    finally:
        # Clear everything the session kept: nothing of this person stays behind, even
        # when the database could not record the logout.
        for key in list(st.session_state.keys()):
            del st.session_state[key]
        st.session_state.update(keep or {})
        if notice:
            st.session_state[NOTICE_KEY] = notice


KeepOnTimeout = Callable[[], Mapping[str, Any]]


def session_actor(*, keep_on_timeout: KeepOnTimeout | None = None) -> Actor | None:
    """The logged-in actor for this run, or None (timed out, deactivated or logged out).
    `keep_on_timeout` gives what stays in the session when this run finds it timed out."""
    state = st.session_state.get(AUTH_KEY)
    if not state:
        return None
    if end_if_expired(keep_on_timeout):
        return None
    with transaction() as session:
        actor = auth.current_actor(session=session, user_id=state["user_id"])
    if actor is None:
        end_session("account deactivated",
                    notice="You have been logged out. Ask an administrator if this is unexpected.")
        return None
    state["last_seen_clock"] = clock.elapsed_seconds()
    return replace(actor, via_reset_code=state.get("via_reset_code", False))


def tell_resets(actor: Actor) -> None:
    """Once per session, past the second factor: every reset of this account not told
    yet, in plain words at the top of the screen."""
    state = st.session_state[AUTH_KEY]
    if state.get("resets_told"):
        return
    now = clock.now()
    with transaction() as session:
        notices = resets_to_tell(session, user_id=actor.id, now=now)
    state["resets_told"] = True
    for notice in notices:
        st.warning(notice.sentence(actor.timezone, now), icon=":material/lock_reset:")


# An open screen checks this often whether its session has ended, with nobody touching it:
# a quarter of the idle limit, and of the warning's lead, when that is shorter, so that a
# short limit is kept about as well and its warning leaves 20 seconds or more to answer.
LONGEST_WATCH = timedelta(seconds=30)
SHORTEST_WATCH = timedelta(seconds=5)
# Typing inside a form reaches the server only with the form's button, so it cannot count
# as activity: this long before the idle limit a dialog says when the session ends, and its
# "Stay logged in" keeps it, and the typing with it (WCAG 2.2.1).
WARNING_LEAD = timedelta(minutes=2)


def warning_lead(idle_timeout: timedelta) -> timedelta:
    """How long before the idle limit the warning comes: 2 minutes, or half the limit when
    that is under 4 minutes."""
    return min(WARNING_LEAD, idle_timeout / 2)


def watch_interval(idle_timeout: timedelta) -> timedelta:
    """How often the watch of `watch_session_expiry` looks: the screen clears itself at most
    this long after the session's limit (within a minute, as the idle limit promises), and
    the warning comes at most this long after its time."""
    return max(SHORTEST_WATCH,
               min(LONGEST_WATCH, idle_timeout / 4, warning_lead(idle_timeout) / 4))


def end_if_expired(keep_on_timeout: KeepOnTimeout | None = None) -> bool:
    """End this browser session if its idle or absolute limit has passed; True if it did.

    Only looks: it reads the clock but never updates "last_seen_clock", so a screen left
    alone, which calls this on a timer, does not count as activity."""
    state = st.session_state.get(AUTH_KEY)
    if not state:
        return False
    reading = clock.elapsed_seconds()
    expired = auth.session_expiry_reason(
        age=timedelta(seconds=reading - state["logged_in_clock"]),
        idle=timedelta(seconds=reading - state["last_seen_clock"]),
        settings=settings(),
    )
    if not expired:
        return False
    kept = keep_on_timeout() if keep_on_timeout is not None else {}
    if kept:
        expired += " What you typed is kept: it is back in the form once you are in again."
    end_session("session timed out", notice=expired, keep=kept)
    return True


def idle_time_left() -> timedelta | None:
    """How long this session has until its idle limit (looking only), or None when nobody
    is logged in."""
    state = st.session_state.get(AUTH_KEY)
    if not state:
        return None
    idle = timedelta(seconds=clock.elapsed_seconds() - state["last_seen_clock"])
    return settings().idle_timeout - idle


def in_words(left: timedelta) -> str:
    """A short time to come, as said: "2 minutes", "1 minute", "25 seconds"."""
    seconds = max(0, round(left.total_seconds()))
    if seconds >= 90:
        return f"{round(seconds / 60)} minutes"
    if seconds >= 60:
        return "1 minute"
    return f"{seconds} seconds"


@st.dialog("Are you still there?", dismissible=False, icon=":material/timer:")
def _idle_warning(ends_at: str, left: str) -> None:
    st.write(f"For your privacy you will be logged out at {ends_at}, in about {left}, "
             "because nothing has been sent from this screen for a while. Typing in a form "
             "only counts once it is saved.")
    st.write("Stay logged in to go on where you were: what you have typed stays in the form.")
    choice = st.container(horizontal=True)
    if choice.button("Stay logged in", type="primary", icon=":material/check:"):
        # Pressed too late, it ends the session as the watch would have.
        if not end_if_expired():
            st.session_state[AUTH_KEY]["last_seen_clock"] = clock.elapsed_seconds()
        st.rerun(scope="app")
    if choice.button("Log out now", icon=":material/logout:"):
        end_session("logged out", notice="You have logged out.")
        st.rerun(scope="app")


def _warn_before_the_idle_limit(timezone: str) -> None:
    """When the idle limit is near: the warning, drawn again at each look until it is
    answered (it cannot be closed otherwise), the time left counted down."""
    left = idle_time_left()
    if left is None or left > warning_lead(settings().idle_timeout):
        return
    ends_at = to_local(clock.now() + left, timezone)
    _idle_warning(f"{ends_at:%H:%M}", in_words(left))


def _expiry_watch(timezone: str) -> None:
    with told_plainly() as outcome:
        ended = end_if_expired()
        if not ended:
            _warn_before_the_idle_limit(timezone)
    if outcome.fault is None and ended:
        # The whole app, not this fragment: the login screen replaces the data on screen.
        st.rerun(scope="app")


def watch_session_expiry(timezone: str) -> None:
    """A fragment that reruns on a timer while the screen is open: near the idle limit it
    warns (a dialog, whose "Stay logged in" keeps the session); when the session's time is
    up it ends the session and reruns the app, so that the data on screen gives way to the
    login screen without waiting for the next click. Call it once per run while someone is
    logged in (in the sidebar, or on the main area when there is none), with their time
    zone (the warning says the time the session ends)."""
    st.fragment(_expiry_watch, run_every=watch_interval(settings().idle_timeout))(timezone)


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
