"""Streamlit glue shared by the entry script and the pages: the database handle, the
browser session's login state and a few common widgets.

The browser session holds only the user id and two timestamps; the role and the
account's status are read again from the database on every run, never cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import auth, clock, write_turns
from dashboard.auth import Actor
from dashboard.config import Settings
from dashboard.config import settings as process_settings
from dashboard.errors import NotFound, ValidationError
from dashboard.encryption_keys import configure_keys
from dashboard.write_turns import is_busy, serialized_transaction
from dashboard.timeutil import DATE_INPUT_FORMAT, DAY_COLUMN_FORMAT
from dashboard.users import has_any_user
from models.db import make_engine, make_session_factory, start_wal_checkpointer, upgrade_to_head

T = TypeVar("T")
AUTH_KEY = "auth"
NOTICE_KEY = "logout_notice"
NEW_RECOVERY_CODES_KEY = "new_recovery_codes"
TWO_FACTOR_NOTICE_KEY = "recovery_codes_left"

CONFIDENTIALITY_NOTICE = (
    "Confidential: shared with you by the member's written consent. Do not pass it on to "
    "anyone without their consent. Every view is recorded and visible to the member."
)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")


def plain(text: object) -> str:
    """Text typed by a person, made safe to put inside markdown: shown as typed, never as
    links, images, colours or icons (an image link would make the viewer's browser call
    out to a stranger's server)."""
    one_line = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line)


def settings() -> Settings:
    return process_settings()


@st.cache_resource(show_spinner="Opening the database...")
def _session_factory(database_url: str) -> sessionmaker[Session]:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    # The notes' keys, once per process (this function is cached): a wrong key stops the
    # start here with a clear error, before any screen reads or writes a note.
    configure_keys(settings=replace(settings(), database_url=database_url), engine=engine)
    start_wal_checkpointer(engine)
    return make_session_factory(engine)


def engine():
    return _session_factory(settings().database_url).kw["bind"]


@contextmanager
def transaction() -> Iterator[Session]:
    """One user action, one transaction: committed when the block ends, rolled back on error.

    On SQLite the process's transactions take their turn first come, first served
    (dashboard/write_turns.py), so that no browser session waits behind others indefinitely.
    """
    with serialized_transaction(_session_factory(settings().database_url)) as session:
        yield session


def run_transaction(action: Callable[[Session], T]) -> T:
    """`action(session)` as one transaction, run again while the database answers busy
    (nothing was written then): for a save a person must not lose to a locked database."""
    return write_turns.run_transaction(_session_factory(settings().database_url), action)


@contextmanager
def busy_database_message() -> Iterator[None]:
    """Show a busy database, which retries did not get past, as a message to try again
    rather than an error trace: nothing of the action was written."""
    try:
        yield
    except Exception as error:
        if not is_busy(error):
            raise
        st.error("The database is busy right now, so nothing was changed. Please try again "
                 "in a moment.", icon=":material/hourglass_top:")


def needs_first_run() -> bool:
    with transaction() as session:
        return not has_any_user(session=session)


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


def confidentiality_notice() -> None:
    st.caption(f":lock: {CONFIDENTIALITY_NOTICE}")


def crisis_resources() -> None:
    """The crisis lines (988, SAMHSA), in a box that is hard to miss."""
    from dashboard.labels import CRISIS_RESOURCES

    st.info(CRISIS_RESOURCES, icon=":material/call:")


def show_errors(error: ValidationError) -> None:
    for message in error.errors.values():
        st.error(message)


def date_field(label: str, **options):
    """A date field (st.date_input) in the app's one date format."""
    return st.date_input(label, format=DATE_INPUT_FORMAT, **options)


def day_columns(*labels: str) -> dict:
    """Column settings for table columns of days: the app's date style, sortable as dates."""
    return {label: st.column_config.DateColumn(label, format=DAY_COLUMN_FORMAT)
            for label in labels}


def not_shared(value, fmt: str = "{}") -> str:
    """A value for display, or 'not shared' when the category is not consented."""
    if value is None:
        return "not shared"
    return fmt.format(value)


def show_member_record(record, *, viewer_timezone: str, now: datetime) -> None:
    """The shared parts of one member's record; each category not shared says so."""
    from datetime import timedelta

    import pandas as pd

    from dashboard.member_charts import mood_craving_figure, mood_craving_summary
    from dashboard.labels import (
        CATEGORY_LABELS,
        OUTREACH_LABELS,
        RULE_LABELS,
        SEVERITY_LABELS,
        STEP_LABELS,
    )
    from dashboard.record_tables import checkin_rows, step_rows
    from dashboard.timeutil import day_label, last_local_day, moment_label

    notes = "notes" in record.categories
    if record.shared_until is not None:
        st.caption(
            "Shares with you: " + ", ".join(CATEGORY_LABELS[c] for c in sorted(record.categories))
            + ", until the end of "
            + day_label(last_local_day(record.shared_until, record.timezone), today=record.today,
                        relative=False) + "."
        )
    sober, step, flags = st.columns(3)
    sober.metric("Days sober", not_shared(record.days_sober))
    step.metric("Current step", not_shared(record.current_step),
                help=STEP_LABELS.get(record.current_step or 0))
    open_flags = None if record.flags is None else sum(f.status == "open" for f in record.flags)
    flags.metric("Open flags", not_shared(open_flags))

    st.subheader("Mood and craving")
    if record.checkins is None:
        st.write("Check-ins: not shared.")
    else:
        end = record.today
        start = end - timedelta(days=record.days - 1)
        figure = mood_craving_figure(record.checkins, start=start, end=end)
        for flag in record.flags or []:
            if start <= flag.raised_on <= end:
                figure.add_vline(x=flag.raised_on, line_dash="dot", line_width=1,
                                 line_color="#CC79A7" if flag.severity == "high" else "#999999")
        st.plotly_chart(figure, config={"displayModeBar": False})
        summary = mood_craving_summary(record.checkins, start=start, end=end, whose="their")
        if record.flags:
            summary += " Dotted lines mark the days a flag was raised."
        st.caption(summary)

        st.subheader("Check-ins")
        if not record.checkins:
            st.write("No check-ins in this range.")
        else:
            st.dataframe(pd.DataFrame(checkin_rows(record.checkins, notes_shared=notes)),
                         hide_index=True, column_config=day_columns("Date"))

    st.subheader("Flag history")
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
                        "Rule": RULE_LABELS.get(f.rule_id, f.rule_id),
                        "Reason": f.reason + (f": \u201c{f.quoted_text}\u201d"
                                              if f.quoted_text else ""),
                        "Status": f.status.capitalize(),
                        "Outreach": OUTREACH_LABELS.get(f.outreach_method or "", ""),
                        "Acknowledged": moment_label(f.acknowledged_at, viewer_timezone, now=now),
                        "Resolved": moment_label(f.resolved_at, viewer_timezone, now=now),
                    }
                    for f in record.flags
                ]
            ),
            hide_index=True, column_config=day_columns("Raised"),
        )

    st.subheader("Step timeline")
    if record.steps is None:
        st.write("Steps: not shared.")
    else:
        st.dataframe(pd.DataFrame(step_rows(record.steps, notes_shared=notes)), hide_index=True,
                     column_config=day_columns("Started", "Completed"))


def member_detail_screen(*, role: str, purpose: str, title: str, noun: str) -> None:
    """The detail screen of one shared member, for a sponsor or a counselor."""
    from dashboard.member_record import member_record, shared_member_choices

    actor = require_role(role)
    now = clock.now()
    st.title(title)
    confidentiality_notice()
    with transaction() as session:
        choices = shared_member_choices(session=session, actor=actor, purpose=purpose, now=now)
    if not choices:
        st.info(f"No {noun} shares their data with you yet.")
        st.stop()
    options = list(choices)
    selected = st.session_state.get("selected_member_id")
    member_id = st.selectbox(noun.capitalize(), options, format_func=choices.get,
                             index=options.index(selected) if selected in options else 0)
    st.session_state["selected_member_id"] = member_id
    days = st.segmented_control("Range", [7, 30, 90, 365], default=30,
                                format_func=lambda d: f"{d} days") or 30
    try:
        with transaction() as session:
            record = member_record(session=session, actor=actor, member_id=member_id,
                                   purpose=purpose, screen=title, days=days, now=now)
    except NotFound as error:
        st.warning(str(error))
        st.stop()
    show_member_record(record, viewer_timezone=actor.timezone, now=now)


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
        now = clock.now()
        with transaction() as session:
            result = auth.log_in(session=session, username=username, password=password,
                                 settings=settings(), now=now)
        if result.ok:
            start_session(result.actor, now)
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
    from dashboard.flags import acknowledge_flag
    from dashboard.labels import OUTREACH_LABELS, SEVERITY_LABELS
    from models import OUTREACH_METHODS

    def describe(flag) -> str:
        words = f": \u201c{flag.quoted_text}\u201d" if flag.quoted_text else ""
        return f"{SEVERITY_LABELS[flag.severity]}: {flag.reason}{words}"

    for flag in flags:
        st.markdown(f":{RISK_COLOURS[flag.severity]}-badge[{SEVERITY_LABELS[flag.severity]}] "
                    + plain(describe(flag).split(": ", 1)[1]))
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

            now = clock.now()

            def acknowledge_chosen(session: Session) -> None:
                for flag_id in chosen:
                    acknowledge_flag(session=session, actor=actor, flag_id=flag_id,
                                     outreach_method=method, outreach_note=note,
                                     purpose=purpose, screen=screen, now=now)

            flag_action(acknowledge_chosen, flash_key=flash_key,
                        done=f"{len(chosen)} flag{'s' if len(chosen) > 1 else ''} acknowledged.")


FLAG_NO_LONGER_SHARED = ("This flag is no longer shared with you: the member may have changed "
                         "what they share. Nothing was recorded.")


def flag_action(work: Callable[[Session], None], *, flash_key: str, done: str) -> None:
    """Acknowledge or resolve flags as one transaction: on success keep `done` to show after
    the rerun; otherwise say why nothing was recorded."""
    try:
        run_transaction(work)
    except ValidationError as error:
        show_errors(error)
    except NotFound:
        st.warning(FLAG_NO_LONGER_SHARED)
    else:
        st.session_state[flash_key] = done
        st.rerun()
