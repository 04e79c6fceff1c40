"""Steps: the twelve steps, where the member is, and their own notes on each."""

import streamlit as st

from dashboard import clock
from dashboard.labels import STEP_LABELS, STEP_STATUS_LABELS
from dashboard.member_record import member_record
from dashboard.steps import STEP_NOTES_LIMIT, update_step
from dashboard.timeutil import day_label, on_day
from dashboard.web.database import transaction
from dashboard.web.drafts import typed_key, typed_or, waiting
from dashboard.web.forms import flash_waiting, show_flash, submit
from dashboard.web.session import require_role

STATUS_ICONS = {"not_started": ":material/radio_button_unchecked:",
                "in_progress": ":material/pending:", "completed": ":material/check_circle:"}

actor = require_role("member")
now = clock.now()
with transaction() as session:
    record = member_record(session=session, actor=actor, member_id=actor.id, purpose=None,
                           screen="Steps", days=1, now=now)
steps = record.steps
current = record.current_step
completed = sum(1 for s in steps if s.status == "completed")

STATUS_BY_LABEL = {label: status for status, label in STEP_STATUS_LABELS.items()}
STATUS_HELP = ("Set a step in progress when you begin it and completed when you finish; the "
               "dates are set for you.")
NOTES_HELP = "Your own notes on this step. Only people you share notes with can read them."

st.title("Steps", anchor=False)
if completed == 12:
    st.success("You have completed all twelve steps. The work goes on, one day at a time.",
               icon=":material/celebration:")
else:
    st.info(f"You are on **step {current}: {STEP_LABELS[current]}**. "
            f"{completed} of 12 steps completed.", icon=":material/stairs:")
st.caption("The names here are short reminders in our own words, not the steps' official "
           "text. Open a step to change its status or write notes; dates are set for you. "
           "Only the people you share notes with on your Sharing page can read your notes.")



def dates_line(step) -> str:
    parts = []
    if step.started_on:
        parts.append(f"started {day_label(step.started_on, today=record.today)}")
    if step.completed_on:
        parts.append(f"completed {day_label(step.completed_on, today=record.today)}")
    return ", ".join(parts)


for step in steps:
    n = step.step
    is_current = n == current and completed < 12
    status = STEP_STATUS_LABELS[step.status]
    when = dates_line(step)
    title = f"Step {n}: {STEP_LABELS[n]} · {status}" + (f" ({when})" if when else "")
    if is_current:
        title = f"**{title} · current step**"
    status_key, notes_key = typed_key(f"status_{n}"), typed_key(f"notes_{n}")
    typed_before = waiting(status_key) or waiting(notes_key)
    with st.expander(title, expanded=is_current or flash_waiting(("step", n)) or typed_before,
                     icon=STATUS_ICONS[step.status]):
        show_flash(("step", n))
        if typed_before:
            st.info("What you typed before is back in the form, and not saved yet: check it, "
                    "then save.", icon=":material/edit_note:")
        with st.form(f"step_{n}", border=False):
            # Twelve forms on one screen: each label names its step, so that a screen
            # reader's list of fields and buttons tells them apart.
            new_status = st.segmented_control(
                f"Step {n} status", options=list(STEP_STATUS_LABELS),
                format_func=STEP_STATUS_LABELS.get,
                default=typed_or(status_key, step.status, labels=STATUS_BY_LABEL), key=status_key,
                help=STATUS_HELP)
            status_slot = st.empty()
            notes = st.text_area(f"Step {n} notes", value=typed_or(notes_key, step.notes or ""),
                                 max_chars=STEP_NOTES_LIMIT, height=110, key=notes_key,
                                 help=NOTES_HELP)
            notes_slot = st.empty()
            save = st.form_submit_button(f"Save step {n}",
                                         type="primary" if is_current else "secondary")
        if save:
            def saved(row, was=step.status, n=n) -> str:
                if row.status == "completed" and was != "completed":
                    return (f"Step {n} completed {on_day(row.completed_on, today=record.today)}. "
                            "Well done: take a moment to notice it.")
                return f"Step {n} saved: {STEP_STATUS_LABELS[row.status].lower()}."

            submit(lambda session: update_step(session=session, actor=actor, step=n,
                                               status=new_status or step.status, notes=notes,
                                               now=now),
                   errors={"notes": notes_slot}, message_slot=status_slot, done=saved,
                   place=("step", n), idempotent=True)
