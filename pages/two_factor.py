"""Two-factor login: the code after the password, the set-up (QR code, key, a first code,
then recovery codes shown once), and, once logged in, its state and new recovery codes."""

import streamlit as st

from dashboard import clock, two_factor
from dashboard.config import settings
from dashboard.timeutil import moment_label
from dashboard.web.database import transaction
from dashboard.web.forms import show_flash, submit
from dashboard.web.session import (
    NEW_RECOVERY_CODES_KEY,
    TWO_FACTOR_NOTICE_KEY,
    end_session,
    mark_second_factor_passed,
    second_factor_pending,
    session_actor,
)

ENROLMENT_KEY = "two_factor_enrolment"
WANTS_SETUP_KEY = "two_factor_wants_setup"

actor = session_actor()
if actor is None:
    st.error("Please log in.")
    st.stop()


def log_out_button(label: str = "Log out") -> None:
    if st.button(label, icon=":material/logout:", key="two_factor_log_out"):
        end_session("logged out", notice="You have logged out.")
        st.rerun()


def code_form(key: str, label: str, button: str, *, help: str | None = None,
              placeholder: str | None = None, kind: str = "default",
              autocomplete: str | None = "one-time-code"):
    """A form of one field; returns (value, submitted, a slot for the message under the field).
    Cleared after every try, so no code stays on the screen."""
    with st.form(key, clear_on_submit=True):
        value = st.text_input(label, max_chars=128 if kind == "password" else 32, help=help,
                              placeholder=placeholder, autocomplete=autocomplete,
                              type="password" if kind == "password" else "default")
        slot = st.empty()
        submitted = st.form_submit_button(button, type="primary")
    return value, submitted, slot


def after_second_factor(result: two_factor.SecondFactorResult, slot) -> None:
    if result.ok:
        mark_second_factor_passed(result.enrolled_at)
        if result.recovery_codes_left is not None:
            st.session_state[TWO_FACTOR_NOTICE_KEY] = result.recovery_codes_left
        st.rerun()
    if result.locked:
        end_session("second factor locked", notice=result.error)
        st.rerun()
    slot.error(result.error)


def new_codes_screen(codes: list[str]) -> None:
    st.title("Save your recovery codes", anchor=False)
    st.warning(
        "**Save these now: they are shown only once.** If you lose your phone, each code lets "
        "you log in one time instead of a code from your app. Keep them somewhere safe and "
        "private, such as a password manager or a printed page at home.",
        icon=":material/warning:",
    )
    st.code("\n".join(codes), language=None)
    st.download_button(
        "Download as a text file", data="Recovery codes for two-factor login "
        f"({actor.username}). Each works once.\n\n" + "\n".join(codes) + "\n",
        file_name="recovery-codes.txt", mime="text/plain", on_click="ignore",
        icon=":material/download:")
    saved = st.checkbox("I have saved my recovery codes somewhere safe")
    if st.button("Continue", type="primary", disabled=not saved):
        st.session_state.pop(NEW_RECOVERY_CODES_KEY, None)
        st.rerun()


def recovery_used_screen(left: int) -> None:
    st.title("You used a recovery code", anchor=False)
    codes = "recovery code" if left == 1 else "recovery codes"
    st.info(f"That code is now spent: you have {left} {codes} left.")
    if two_factor.is_required(actor.roles):
        st.write("If you have lost your phone, ask an administrator to reset your two-factor "
                 "login: you will then set it up again on your new phone at your next login.")
    else:
        st.write("If you have lost your phone, you can turn two-factor login off and set it up "
                 "again on your new phone, on the Two-factor login screen of your account.")
    if left <= 3:
        st.write("Once you have your phone, make new recovery codes on the Two-factor login "
                 "screen.")
    if st.button("Continue", type="primary"):
        st.session_state.pop(TWO_FACTOR_NOTICE_KEY, None)
        st.rerun()


def enrolment_screen(*, required: bool) -> None:
    enrolment = st.session_state.get(ENROLMENT_KEY)
    if enrolment is None:
        enrolment = st.session_state[ENROLMENT_KEY] = two_factor.start_enrolment(actor=actor)
    st.title("Set up two-factor login", anchor=False)
    if required:
        st.write(
            "Your account can see other people's recovery records or manage accounts, so "
            "logging in takes a second step: a 6-digit code from an authenticator app on your "
            "phone, such as Google Authenticator, Microsoft Authenticator, Aegis or 2FAS. "
            "Set it up now to continue."
        )
    else:
        st.write(
            "With two-factor login, someone who learns your password still cannot open your "
            "records: logging in also takes a 6-digit code from an authenticator app on your "
            "phone, such as Google Authenticator, Microsoft Authenticator, Aegis or 2FAS."
        )
    picture, steps = st.columns([1, 2], gap="large")
    with picture:
        st.image(two_factor.qr_png(enrolment.uri), width=240,
                 alt="QR code to scan with your authenticator app")
    with steps:
        st.markdown("**1.** In your authenticator app, add an account and scan this QR code.")
        st.markdown("**2.** Can't scan it? Choose to enter a key instead, and type this one "
                    "(time-based):")
        st.code(enrolment.grouped_secret, language=None)
        st.caption(f"It appears in your app as {two_factor.ISSUER} ({actor.username}).")
        st.markdown("**3.** Enter the 6-digit code that your app now shows, and your "
                    "password, so that only you can bind a phone to your account.")
        # Cleared after every try, so neither the code nor the password stays on the screen.
        with st.form("confirm_enrolment", clear_on_submit=True):
            code = st.text_input("Code from your app", max_chars=32, placeholder="123456",
                                 autocomplete="one-time-code")
            code_slot = st.empty()
            password = st.text_input("Your password", type="password", max_chars=128,
                                     autocomplete="current-password")
            password_slot = st.empty()
            submitted = st.form_submit_button("Turn on two-factor login", type="primary")
        slot = st.empty()
    if submitted:
        def enrolled(result: two_factor.Enrolled) -> None:
            st.session_state.pop(ENROLMENT_KEY, None)
            st.session_state.pop(WANTS_SETUP_KEY, None)
            mark_second_factor_passed(result.enrolled_at)
            st.session_state[NEW_RECOVERY_CODES_KEY] = result.recovery_codes

        submit(lambda session: two_factor.confirm_enrolment(
            session=session, actor=actor, secret=enrolment.secret, code=code,
            password=password, settings=settings(), now=clock.now()),
            errors={"code": code_slot, "password": password_slot}, message_slot=slot,
            then=enrolled)
    if required:
        log_out_button("Log out and set it up later")
    elif st.button("Cancel"):
        st.session_state.pop(ENROLMENT_KEY, None)
        st.session_state.pop(WANTS_SETUP_KEY, None)
        st.rerun()


def second_factor_screen() -> None:
    st.title("Two-factor login", anchor=False)
    st.write(f"Open the authenticator app on your phone and enter the 6-digit code it shows "
             f"for {two_factor.ISSUER} ({actor.username}).")
    code, submitted, slot = code_form("second_factor", "Authentication code", "Verify",
                                      placeholder="123456")
    if submitted:
        result = submit(lambda session: two_factor.verify_second_factor(
            session=session, actor=actor, code=code, settings=settings(), now=clock.now()),
            message_slot=slot, rerun=False)
        if result is not None:
            after_second_factor(result, slot)
    with st.expander("Lost your phone? Use a recovery code"):
        recovery, used, recovery_slot = code_form(
            "recovery", "Recovery code", "Use recovery code", placeholder="abcde-fgh23",
            autocomplete="off",
            help="One of the codes you saved when you set up two-factor login.")
        if used:
            result = submit(lambda session: two_factor.use_recovery_code(
                session=session, actor=actor, code=recovery, settings=settings(),
                now=clock.now()), message_slot=recovery_slot, rerun=False)
            if result is not None:
                after_second_factor(result, recovery_slot)
        st.caption("No recovery codes either? An administrator can reset your two-factor "
                   "login; you then set it up again at your next login.")
    log_out_button()


def settings_screen() -> None:
    st.title("Two-factor login", anchor=False)
    show_flash()
    with transaction() as session:
        status = two_factor.two_factor_status(session=session, actor=actor)
    if status.enrolled_at is None:
        st.write(
            "Two-factor login is **off**. Turn it on so that someone who learns your password "
            "still cannot open your records: logging in then also takes a 6-digit code from an "
            "authenticator app on your phone."
        )
        if st.button("Set up two-factor login", type="primary"):
            st.session_state[WANTS_SETUP_KEY] = True
            st.rerun()
        return

    codes = "recovery code" if status.recovery_codes_left == 1 else "recovery codes"
    st.write(f"Two-factor login is **on** since "
             f"{moment_label(status.enrolled_at, actor.timezone, now=clock.now())}. "
             f"You have {status.recovery_codes_left} unused {codes}.")
    if status.recovery_codes_left <= 3:
        st.warning("You are running out of recovery codes: make new ones below.")

    st.header("New recovery codes", anchor=False)
    st.write("Makes 10 new recovery codes; the old ones stop working.")
    code, submitted, slot = code_form("renew_codes", "Code from your app",
                                      "Make new recovery codes", placeholder="123456")
    if submitted:
        submit(lambda session: two_factor.regenerate_recovery_codes(
            session=session, actor=actor, code=code, now=clock.now()),
            message_slot=slot,
            then=lambda new_codes: st.session_state.update({NEW_RECOVERY_CODES_KEY: new_codes}))

    st.header("New phone", anchor=False)
    if status.required:
        st.write("Two-factor login is required for sponsors, counselors and administrators. "
                 "For a new phone, ask an administrator to reset your two-factor login: you "
                 "then set it up again on the new phone at your next login.")
        return
    st.write("To move to a new phone, turn two-factor login off here, then set it up again.")
    password, off, off_slot = code_form("turn_off", "Password", "Turn off two-factor login",
                                        kind="password", autocomplete="current-password")
    if off:
        submit(lambda session: two_factor.turn_off(session=session, actor=actor,
                                                   password=password, settings=settings(),
                                                   now=clock.now()),
               message_slot=off_slot, done="Two-factor login is off.")


new_codes = st.session_state.get(NEW_RECOVERY_CODES_KEY)
recovery_notice = st.session_state.get(TWO_FACTOR_NOTICE_KEY)
if new_codes and not second_factor_pending(actor):
    new_codes_screen(new_codes)
elif recovery_notice is not None and not second_factor_pending(actor):
    recovery_used_screen(recovery_notice)
elif actor.two_factor_enrolled_at is None and (
        actor.needs_second_factor or st.session_state.get(WANTS_SETUP_KEY)):
    enrolment_screen(required=actor.needs_second_factor)
elif second_factor_pending(actor):
    second_factor_screen()
else:
    settings_screen()
