"""Streamlit glue shared by the entry script and the pages: the database handle, the
browser session's login state and a few common widgets.

The browser session holds only the user id and two timestamps; the role and the
account's status are read again from the database on every run, never cached.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import auth
from dashboard.auth import Actor
from dashboard.config import Settings, load_settings
from dashboard.errors import ValidationError
from dashboard.users import has_any_user
from models import utcnow
from models.db import make_engine, make_session_factory, upgrade_to_head

AUTH_KEY = "auth"
NOTICE_KEY = "logout_notice"

CONFIDENTIALITY_NOTICE = (
    "Confidential: shared with you by the member's written consent. Do not pass it on to "
    "anyone without their consent. Every view is recorded and visible to the member."
)


def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Opening the database...")
def _session_factory(database_url: str) -> sessionmaker[Session]:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    return make_session_factory(engine)


def engine():
    return _session_factory(settings().database_url).kw["bind"]


@contextmanager
def transaction() -> Iterator[Session]:
    """One user action, one transaction: committed when the block ends, rolled back on error."""
    with _session_factory(settings().database_url).begin() as session:
        yield session


def needs_first_run() -> bool:
    with transaction() as session:
        return not has_any_user(session=session)


def start_session(actor: Actor, now: datetime | None = None) -> None:
    now = now or utcnow()
    st.session_state[AUTH_KEY] = {"user_id": actor.id, "logged_in_at": now, "last_seen_at": now}
    st.session_state.pop(NOTICE_KEY, None)


def end_session(reason: str, notice: str | None = None) -> None:
    state = st.session_state.get(AUTH_KEY)
    if state:
        with transaction() as session:
            auth.log_out(session=session, actor_id=state["user_id"], reason=reason)
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
    now = utcnow()
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
    if actor is None or actor.must_change_password or not actor.has_role(role):
        st.error("This page is not available to your account.")
        st.stop()
    return actor


def require_login() -> Actor:
    actor = session_actor()
    if actor is None:
        st.error("Please log in.")
        st.stop()
    return actor


def confidentiality_notice() -> None:
    st.caption(f":lock: {CONFIDENTIALITY_NOTICE}")


def crisis_resources() -> None:
    """The crisis lines (988, SAMHSA), in a box that is hard to miss."""
    from dashboard.labels import CRISIS_RESOURCES

    st.info(CRISIS_RESOURCES, icon=":material/call:")


def show_errors(error: ValidationError) -> None:
    for message in error.errors.values():
        st.error(message)


def not_shared(value, fmt: str = "{}") -> str:
    """A value for display, or 'not shared' when the category is not consented."""
    if value is None:
        return "not shared"
    return fmt.format(value)


def show_member_record(record) -> None:
    """The shared parts of one member's record; each category not shared says so."""
    import pandas as pd

    from dashboard.labels import SEVERITY_LABELS, STEP_LABELS
    from dashboard.tables import checkin_rows, step_rows

    notes = "notes" in record.categories
    sober, step, flags = st.columns(3)
    sober.metric("Days sober", not_shared(record.days_sober))
    step.metric("Current step", not_shared(record.current_step),
                help=STEP_LABELS.get(record.current_step or 0))
    open_flags = None if record.flags is None else sum(f.status == "open" for f in record.flags)
    flags.metric("Open flags", not_shared(open_flags))

    st.subheader("Check-ins")
    if record.checkins is None:
        st.write("Check-ins: not shared.")
    elif not record.checkins:
        st.write("No check-ins in this range.")
    else:
        st.dataframe(pd.DataFrame(checkin_rows(record.checkins, notes_shared=notes)),
                     hide_index=True)

    st.subheader("Flags")
    if record.flags is None:
        st.write("Hard days and flags: not shared.")
    elif not record.flags:
        st.write("No flags.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Raised": f.raised_on,
                        "Severity": SEVERITY_LABELS[f.severity],
                        "Reason": f.reason + (f": {f.quoted_text}" if f.quoted_text else ""),
                        "Status": f.status.capitalize(),
                    }
                    for f in record.flags
                ]
            ),
            hide_index=True,
        )

    st.subheader("Steps")
    if record.steps is None:
        st.write("Steps: not shared.")
    else:
        st.dataframe(pd.DataFrame(step_rows(record.steps, notes_shared=notes)), hide_index=True)


def member_detail_screen(*, role: str, purpose: str, title: str, noun: str) -> None:
    """The detail screen of one shared member, for a sponsor or a counselor."""
    from dashboard.errors import NotFound
    from dashboard.records import member_record, shared_member_choices

    actor = require_role(role)
    st.title(title)
    confidentiality_notice()
    with transaction() as session:
        choices = shared_member_choices(session=session, actor=actor, purpose=purpose)
    if not choices:
        st.info(f"No {noun} shares their data with you yet.")
        st.stop()
    member_id = st.selectbox(noun.capitalize(), list(choices), format_func=choices.get)
    days = st.segmented_control("Range", [7, 30, 90], default=30,
                                format_func=lambda d: f"{d} days")
    try:
        with transaction() as session:
            record = member_record(session=session, actor=actor, member_id=member_id,
                                   purpose=purpose, screen=title, days=days or 30)
    except NotFound as error:
        st.warning(str(error))
        st.stop()
    show_member_record(record)


def login_screen() -> None:
    """The login form; also shown at the address of any protected screen before login."""
    import pandas as pd

    st.title("Log in")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    # Cleared after every try, so a typed password never stays on the screen.
    with st.form("login", clear_on_submit=True):
        username = st.text_input("Username", max_chars=64, autocomplete="username")
        password = st.text_input("Password", type="password", max_chars=128,
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        with transaction() as session:
            result = auth.log_in(session=session, username=username, password=password,
                                 settings=settings())
        if result.ok:
            start_session(result.actor)
            st.rerun()
        st.error(result.error)

    summary = st.session_state.get("demo_summary")
    if summary:
        with st.expander("Demo accounts", expanded=True):
            st.write(f"Every demo account has the password `{summary.password}`.")
            st.dataframe(
                pd.DataFrame(
                    [{"Username": a.username, "Name": a.display_name,
                      "Roles": ", ".join(a.roles)} for a in summary.accounts]
                ),
                hide_index=True, height=300,
            )


RISK_COLOURS = {"high": "red", "medium": "orange", "low": "blue", "none": "gray"}


def open_flags_form(*, actor: Actor, flags: list, purpose: str, screen: str, key: str,
                    flash_key: str) -> None:
    """A member's open flags with their reasons, and one form to record the outreach
    that answers the ones chosen."""
    from dashboard.errors import NotFound
    from dashboard.flags import acknowledge_flag
    from dashboard.labels import OUTREACH_LABELS, SEVERITY_LABELS
    from models import OUTREACH_METHODS

    def describe(flag) -> str:
        words = f": \u201c{flag.quoted_text}\u201d" if flag.quoted_text else ""
        return f"{SEVERITY_LABELS[flag.severity]}: {flag.reason}{words}"

    for flag in flags:
        st.markdown(f":{RISK_COLOURS[flag.severity]}-badge[{SEVERITY_LABELS[flag.severity]}] "
                    f"{flag.reason}"
                    + (f": \u201c{flag.quoted_text}\u201d" if flag.quoted_text else ""))
    by_id = {flag.id: flag for flag in flags}
    with st.form(f"acknowledge_{key}"):
        chosen = st.multiselect("Flags to acknowledge", list(by_id), default=list(by_id),
                                format_func=lambda i: describe(by_id[i]))
        method = st.radio("How did you reach out?", OUTREACH_METHODS, index=None, horizontal=True,
                          format_func=OUTREACH_LABELS.get)
        note = st.text_input("Outreach note", max_chars=1000,
                             placeholder="e.g. Talked for 20 minutes, meeting tomorrow")
        if st.form_submit_button("Acknowledge"):
            if not chosen:
                st.error("Choose at least one flag to acknowledge.")
                return
            try:
                with transaction() as session:
                    for flag_id in chosen:
                        acknowledge_flag(session=session, actor=actor, flag_id=flag_id,
                                         outreach_method=method, outreach_note=note,
                                         purpose=purpose, screen=screen)
            except ValidationError as error:
                show_errors(error)
            except NotFound as error:
                st.warning(str(error))
            else:
                st.session_state[flash_key] = (
                    f"{len(chosen)} flag{'s' if len(chosen) > 1 else ''} acknowledged.")
                st.rerun()
