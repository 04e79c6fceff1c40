"""Today: the daily check-in, for today or a missed day of the past week."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.checkins import (
    BACKFILL_DAYS,
    TEXT_LIMITS,
    CheckInForm,
    reset_sobriety_date,
    save_checkin,
)
from dashboard.labels import ACTION_LABELS, MOOD_LABELS
from dashboard.member_record import member_record
from dashboard.record_tables import WORD_COLUMNS, checkin_rows, checkin_words
from dashboard.timeutil import day_label
from dashboard.web.database import transaction
from dashboard.web.device import on_a_phone
from dashboard.web.drafts import given_back, typed_key, typed_or
from dashboard.web.forms import focus_on_message, show_flash, submit
from dashboard.web.session import require_role
from dashboard.web.widgets import crisis_resources, day_columns, plain

SAVED_KEY = "checkin_saved"
RESET_OFFER_KEY = "sobriety_reset_offer"
YES_NO = ("No", "Yes")

actor = require_role("member")
now = clock.now()
with transaction() as session:
    record = member_record(session=session, actor=actor, member_id=actor.id, purpose=None,
                           screen="Today", days=14, now=now)
today = record.today
by_day = {c.local_date: c for c in record.checkins}

st.title("Today", anchor=False)
st.caption(f"{day_label(today, weekday=True)} in your time zone ({record.timezone})")
if today in by_day:
    st.success("You have checked in today. You can change it below at any time today.",
               icon=":material/check_circle:")
else:
    st.write("How is today going? Checking in takes about a minute.")


# What each field is for: in its help (the "?" beside its label), so that the form fits
# a phone's screen; what a member must know to trust it (who reads what) stays in view.
HELP = {
    "date": f"Today, or a day of the past {BACKFILL_DAYS} days you missed; those are marked "
            "as late.",
    "mood": "How you feel overall, from 1 (very low) to 5 (great).",
    "craving": "0 means no craving at all, 10 the strongest you can imagine.",
    "used": "An honest answer helps you and the people who support you.",
    "meetings": "Meetings of any kind, in person or online.",
    "sleep": "Last night's sleep, if you keep track; otherwise leave it empty.",
    "actions": "Tap each one you did; tap again to undo.",
    "hard": "Say Yes on a day that felt hard, whatever the reason.",
    "reason": "Optional: what made it hard.",
    "gratitude": "Optional: something you are grateful for today.",
    "journal": "Optional: anything on your mind.",
    "journal_shared": "Unticked, only you read this entry.",
}
# A phone's screen is 390 pixels or so: the form drops its frame there, and the mood's
# choices are their words alone, so that the five fit one row ("Very low" is 1, "Great" 5).
ON_A_PHONE = on_a_phone()

# The days a check-in may be for, newest first, named in words: a list to pick from
# rather than a calendar's small boxes, which are hard to hit and to read out.
DAYS = [today - timedelta(days=back) for back in range(BACKFILL_DAYS + 1)]
RELATIVE_DAYS = {0: "Today", 1: "Yesterday"}


def day_choice(day) -> str:
    """A day as the list names it: "Today, Thu 3 Dec", "Yesterday, Wed 2 Dec", "Tue 1 Dec"."""
    named = day_label(day, today=today, weekday=True, short=True, relative=False)
    relative = RELATIVE_DAYS.get((today - day).days)
    return f"{relative}, {named}" if relative else named


def day_by_choice() -> dict:
    """Each day by every label it may have been picked by: a form sent before a restart
    that crossed midnight named the days as they were then."""
    labels = {}
    for day in DAYS:
        named = day_label(day, today=today, weekday=True, short=True, relative=False)
        labels.update({f"{word}, {named}": day for word in RELATIVE_DAYS.values()})
        labels[named] = day
    return labels


day_key = typed_key("checkin_day")
picked = typed_or(day_key, today, labels=day_by_choice())
day = st.selectbox("Day", DAYS, index=DAYS.index(picked) if picked in DAYS else 0,
                   format_func=day_choice, key=day_key, help=HELP["date"]) or today
slots = {"local_date": st.empty()}
existing = by_day.get(day)
if day != today:
    st.info(f"You are filling in {day_label(day, today=today, weekday=True, relative=False)}." + (
        " It already has a check-in: saving changes it." if existing
        else " It will be marked as filled in late, which is fine."))

given_back_notice = st.empty()
suffix = day.isoformat()  # each day's form starts from that day's own check-in


def field(name: str, default, labels=None):
    """A field's key, and the value it starts from: what was typed before a failed save,
    or that day's check-in (dashboard/web/drafts.py)."""
    key = typed_key(f"{name}_{suffix}")
    return key, typed_or(key, default, labels=labels)


def mood_label(mood: int) -> str:
    return MOOD_LABELS[mood] if ON_A_PHONE else f"{mood} {MOOD_LABELS[mood]}"


def side_by_side():
    """Two places for two short fields, next to each other on a phone too (st.columns
    would stack them there); each holds its field and the slot of its error."""
    row = st.container(horizontal=True, gap="medium")
    return row.container(), row.container()


with st.form(f"checkin_{suffix}", border=not ON_A_PHONE):
    # A choice typed before a restart comes back by its label, in either wording.
    key, start = field("mood", existing.mood if existing else None,
                       labels={**{f"{m} {word}": m for m, word in MOOD_LABELS.items()},
                               **{word: m for m, word in MOOD_LABELS.items()}})
    mood = st.segmented_control("Mood", options=list(MOOD_LABELS), format_func=mood_label,
                                default=start, key=key, help=HELP["mood"],
                                width="stretch" if ON_A_PHONE else "content")
    slots["mood"] = st.empty()

    key, start = field("craving", existing.craving if existing else 0)
    craving = st.slider("Craving", min_value=0, max_value=10, value=start, key=key,
                        help=HELP["craving"])
    slots["craving"] = st.empty()

    left, right = side_by_side()
    with left:
        key, start = field("meetings", existing.meetings if existing else 0)
        meetings = st.number_input("Meetings attended", min_value=0, max_value=10, step=1,
                                   value=start, key=key, help=HELP["meetings"])
        slots["meetings"] = st.empty()
    with right:
        key, start = field("sleep", existing.sleep_hours if existing else None)
        sleep = st.number_input("Sleep hours", min_value=0.0, max_value=24.0, step=0.5,
                                value=start, format="%.1f", placeholder="Not recorded",
                                key=key, help=HELP["sleep"])
        slots["sleep_hours"] = st.empty()

    key, start = field("actions", list(existing.actions) if existing else [],
                       labels={label: action for action, label in ACTION_LABELS.items()})
    actions = st.pills("Actions done", options=list(ACTION_LABELS),
                       format_func=ACTION_LABELS.get, selection_mode="multi",
                       default=start, key=key, help=HELP["actions"])
    slots["actions"] = st.empty()

    left, right = side_by_side()
    with left:
        key, start = field("used", YES_NO[int(existing.used_substances) if existing else 0])
        used = st.radio("Used substances today", YES_NO, horizontal=True,
                        index=YES_NO.index(start), key=key, help=HELP["used"])
        slots["used_substances"] = st.empty()
    with right:
        key, start = field("hard", YES_NO[int(existing.hard_day) if existing else 0])
        hard_day = st.radio("Hard day", YES_NO, horizontal=True, index=YES_NO.index(start),
                            key=key, help=HELP["hard"])
        slots["hard_day"] = st.empty()

    key, start = field("reason", (existing.hard_day_reason or "") if existing else "")
    reason = st.text_area("Hard day reason", max_chars=TEXT_LIMITS["hard_day_reason"],
                          value=start, height=80, key=key, help=HELP["reason"],
                          placeholder="What made it hard, if you want to say")
    slots["hard_day_reason"] = st.empty()

    key, start = field("gratitude", (existing.gratitude or "") if existing else "")
    gratitude = st.text_area("Gratitude", max_chars=TEXT_LIMITS["gratitude"], value=start,
                             height=80, key=key, help=HELP["gratitude"],
                             placeholder="Something you are grateful for today")
    slots["gratitude"] = st.empty()
    st.caption("Only the people you share notes with on your Sharing page can read why a day "
               "was hard and your gratitude.")

    key, start = field("journal", (existing.journal or "") if existing else "")
    journal = st.text_area("Journal", max_chars=TEXT_LIMITS["journal"], value=start,
                           height=140, key=key, help=HELP["journal"],
                           placeholder="Anything on your mind")
    slots["journal"] = st.empty()
    key, start = field("journal_shared", bool(existing.journal_shared) if existing else False)
    journal_shared = st.checkbox("Share this entry with the people I share notes with",
                                 value=start, key=key, help=HELP["journal_shared"])
    st.caption("Your journal is private: leave this unticked and only you read this entry. "
               "Ticked, the people you share notes with on your Sharing page can read it too.")
    slots["journal_shared"] = st.empty()

    submitted = st.form_submit_button("Save check-in" if not existing else "Save changes",
                                      type="primary", icon=":material/check:")
form_message = st.empty()
if given_back():
    given_back_notice.info("What you typed before is back in the form, and not saved yet: "
                           "check it, then save.", icon=":material/edit_note:")

if submitted:
    form = CheckInForm(
        local_date=day, mood=mood, craving=craving, used_substances=used == "Yes",
        meetings=meetings, actions=actions, sleep_hours=sleep, gratitude=gratitude,
        journal=journal, journal_shared=journal_shared, hard_day=hard_day == "Yes",
        hard_day_reason=reason,
    )

    def remember(saved) -> None:
        """What the next run shows: the thanks, and the offer to start the count again."""
        st.session_state[SAVED_KEY] = {
            "local_date": saved.local_date, "created": saved.created,
            "hard_day": saved.hard_day, "used": saved.used_substances,
        }
        if saved.sobriety_reset_to is not None:
            st.session_state[RESET_OFFER_KEY] = {
                "used_on": saved.local_date, "reset_to": saved.sobriety_reset_to,
                "current": record.sobriety_date,
            }
        else:
            st.session_state.pop(RESET_OFFER_KEY, None)

    # A check-in save is an upsert of that day's check-in: safe to try again.
    submit(lambda session: save_checkin(session=session, actor=actor, form=form, now=now),
           errors=slots, message_slot=form_message, then=remember, idempotent=True)

saved = st.session_state.pop(SAVED_KEY, None)
offer = st.session_state.get(RESET_OFFER_KEY)
if saved:
    when = day_label(saved["local_date"], today=today, weekday=True)
    st.success(("Saved your check-in for " if saved["created"] else "Updated your check-in for ")
               + when + ". Thank you for showing up for yourself.", icon=":material/check:")
    focus_on_message("success")
    if saved["used"]:
        st.markdown(
            "Thank you for being honest about using. It takes courage, and it does not erase "
            "the work you have done. The next right step is what matters now: consider "
            "calling your sponsor or someone you trust, or going to a meeting today."
        )
    elif saved["hard_day"]:
        st.markdown(
            "Hard days are part of recovery, and noticing one is a strength. Be gentle with "
            "yourself, and think about reaching out to your sponsor or someone from your group."
        )
if offer or (saved and (saved["used"] or saved["hard_day"])):
    crisis_resources()

if offer:
    with st.container(border=True):
        st.markdown(f"**Would you like to start your sobriety count again from "
                    f"{day_label(offer['reset_to'], today=today, weekday=True)}?**")
        st.write(f"Your current sobriety date, {day_label(offer['current'])}, stays in your "
                 "history on My progress either way. If you would rather talk it over with "
                 "your sponsor first, choose Not now: saving this check-in again asks again.")
        choice = st.container(horizontal=True)
        # Neither answer is pushed: both buttons look the same.
        if choice.button("Yes, start again from "
                         + day_label(offer["reset_to"], today=today, weekday=True)):
            st.session_state.pop(RESET_OFFER_KEY, None)
            submit(lambda session: reset_sobriety_date(
                session=session, actor=actor, used_on=offer["used_on"], now=now),
                done=lambda new_date: (f"Your sobriety date is now {day_label(new_date)}. "
                                       "Every day counts from here."))
        if choice.button("Not now, keep my date"):
            st.session_state.pop(RESET_OFFER_KEY, None)
            st.rerun()

show_flash()

st.header("Your last 14 days", anchor=False)
if record.checkins:
    # The member's own words are too long for a cell: they read in full under the table,
    # and a phone's table holds only the short values, its Date column kept in view.
    days = pd.DataFrame(checkin_rows(record.checkins, categories=record.categories))
    if ON_A_PHONE:
        days = days.drop(columns=list(WORD_COLUMNS), errors="ignore")
    st.dataframe(days, hide_index=True, width="stretch",
                 column_config={"Date": {**day_columns("Date")["Date"], "pinned": ON_A_PHONE},
                                "Sleep (h)": st.column_config.TextColumn(alignment="right")})
    words = checkin_words(record.checkins, categories=record.categories)
    if words:
        with st.expander("What you wrote, day by day"):
            for written_on, lines in words:
                # Typed words, shown as typed (never as markdown).
                st.markdown(f"**{day_label(written_on, today=today, weekday=True)}**  \n"
                            + "  \n".join(f"{label}: {plain(text)}" for label, text in lines))
else:
    st.write("No check-ins in the last 14 days yet. Your first one will show up here.")
