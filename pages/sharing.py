"""Sharing: grant, review and revoke who may see the member's data, and the history."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.labels import (
    CATEGORIES,
    CATEGORY_EXPLANATIONS,
    CATEGORY_LABELS,
    PURPOSE_LABELS,
)
from dashboard.sharing import (
    MAX_CONSENT_DAYS,
    consents_of_member,
    default_expiry,
    grant_consent,
    revoke_consent,
)
from dashboard.timeutil import day_label, last_local_day, local_today
from dashboard.web.database import transaction
from dashboard.web.forms import show_flash, submit
from dashboard.web.session import require_role
from dashboard.web.widgets import date_field, day_columns, plain

actor = require_role("member")
now = clock.now()
today = local_today(actor.timezone, now)
st.title("Sharing", anchor=False)
st.write("Nobody sees your data unless you share it here, and then only what you choose, "
         "only until the date you choose. You can stop sharing at any time.")

show_flash()

with transaction() as session:
    consents = consents_of_member(session=session, actor=actor, now=now)
current = [c for c in consents if c.status == "active"]
past = [c for c in consents if c.status != "active"]


SHARE_CHOICES = "What they may see"
WHAT_EACH_REVEALS = "\n".join(f"- {CATEGORY_LABELS[category]}: {CATEGORY_EXPLANATIONS[category]}"
                              for category in CATEGORIES)


def shares(c) -> str:
    return ", ".join(CATEGORY_LABELS[x] for x in c.categories)


st.header("Shared now", anchor=False)
if not current:
    st.write("You are not sharing your data with anyone.")
for c in current:
    with st.container(border=True):
        info, action = st.columns([4, 1], vertical_alignment="center")
        info.markdown(
            f"**{plain(c.recipient_name)}** ({c.recipient_username}), for "
            f"{PURPOSE_LABELS[c.purpose].lower()}  \n"
            f"Sees: {shares(c)}  \nUntil the end of "
            f"{day_label(last_local_day(c.expires_at, actor.timezone), today=today)} "
            f"(signed {day_label(c.signed_on, today=today)})"
        )
        confirm_key = f"confirm_revoke_{c.id}"
        if not st.session_state.get(confirm_key):
            if action.button("Stop sharing", key=f"revoke_{c.id}"):
                st.session_state[confirm_key] = True
                st.rerun()
        else:
            st.warning(f"Stop sharing with {plain(c.recipient_name)} now? They will see nothing of "
                       "yours from their next page load. To share again you will sign anew.")
            yes, no = st.columns(2)
            if yes.button("Yes, stop sharing", key=f"revoke_yes_{c.id}", type="primary"):
                submit(lambda session: revoke_consent(session=session, actor=actor,
                                                      consent_id=c.id, now=now),
                       then=lambda _: st.session_state.pop(confirm_key, None),
                       done=f"You stopped sharing with {plain(c.recipient_name)}")
            if no.button("Keep sharing", key=f"revoke_no_{c.id}"):
                st.session_state.pop(confirm_key, None)
                st.rerun()

st.header("Share with someone", anchor=False)
st.write("Sharing again with someone you already share with replaces what they see.")
# Each refusal beside the field it is about (dashboard/web/forms.py), in the form's order.
slots = {}
with st.form("grant_consent"):
    recipient = st.text_input("Username of your sponsor or counselor", max_chars=64,
                              autocomplete="off",
                              help="Ask them for their username in this dashboard.")
    slots["recipient"] = st.empty()
    purpose = st.radio("Purpose", ["sponsorship", "counseling"], index=None,
                       format_func=lambda p: PURPOSE_LABELS[p], horizontal=True,
                       help="Sponsorship for a sponsor, counseling for a counselor.")
    slots["purpose"] = st.empty()
    # One group of choices under one name, which a screen reader says with each choice;
    # what each reveals is in its help and stays in view under it, to decide with.
    chosen = st.pills(SHARE_CHOICES, options=list(CATEGORIES), selection_mode="multi",
                      format_func=CATEGORY_LABELS.get, key="share_categories",
                      help=WHAT_EACH_REVEALS)
    st.caption(WHAT_EACH_REVEALS)
    slots["categories"] = st.empty()
    expires_on = date_field("Share until", value=default_expiry(today), min_value=today,
                               max_value=today + timedelta(days=MAX_CONSENT_DAYS),
                               help="At most two years. Sharing ends at the end of that day.")
    slots["expires_on"] = st.empty()
    signature = st.text_input("Type your full name to sign", max_chars=120,
                              help=f"As on your account: {plain(actor.display_name)}")
    slots["signature"] = st.empty()
    acknowledged = st.checkbox("I understand that I can stop sharing at any time, and that "
                               "what they already saw cannot be unseen.")
    slots["acknowledgement"] = st.empty()
    submitted = st.form_submit_button("Share", type="primary")
grant_message = st.empty()
if submitted:
    submit(lambda session: grant_consent(
        session=session, actor=actor, recipient_username=recipient, purpose=purpose,
        categories=chosen, expires_on=expires_on, signature_name=signature,
        revocation_acknowledged=acknowledged, now=now),
        errors=slots, message_slot=grant_message,
        done=f"You now share with {recipient.strip().lower()}.")

st.header("History", anchor=False)
if not past:
    st.write("No expired or revoked consents.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                # Who, how it ended and when first: what a phone shows without scrolling.
                {
                    "With": f"{c.recipient_name} ({c.recipient_username})",
                    "Status": c.status.capitalize(),
                    "Ended": local_today(actor.timezone, c.revoked_at) if c.revoked_at
                    else last_local_day(c.expires_at, actor.timezone),
                    "Purpose": PURPOSE_LABELS[c.purpose],
                    "Shared": shares(c),
                    "Signed": c.signed_on,
                }
                for c in past
            ]
        ),
        hide_index=True, column_config=day_columns("Signed", "Ended"),
    )
