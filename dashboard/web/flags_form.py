"""A member's open flags with their reasons, and the outreach that answers them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from dashboard import clock
from dashboard.auth import Actor
from dashboard.follow_up import acknowledge_flag
from dashboard.labels import (
    OUTREACH_LABELS,
    OUTREACH_METHODS,
    SEVERITY_LABELS,
    plural,
    told_apart,
)
from dashboard.timeutil import day_label
from dashboard.web.forms import PAGE, submit
from dashboard.web.widgets import plain, risk_badge

FLAG_NO_LONGER_SHARED = ("This flag is no longer shared with you: the member may have changed "
                         "what they share. Nothing was recorded.")


def flag_action(work: Callable[[Session], object], *, done: str, place: Hashable = PAGE,
                errors: Mapping[str, Any] | None = None) -> None:
    """Acknowledge or resolve flags as one transaction; a flag the member no longer
    shares records nothing and says why. A refused field's message goes to its slot in
    `errors` (by the service's field name), under the field."""
    submit(work, done=done, place=place, refused=FLAG_NO_LONGER_SHARED, errors=errors)


def open_flags_form(*, actor: Actor, flags: list, whose: str, purpose: str, screen: str,
                    key: str, place: Hashable) -> None:
    """The open flags of the member named `whose`, each with its reason, and one form to
    record the outreach that answers the ones chosen."""

    def reason(flag) -> str:
        words = f": \u201c{flag.quoted_text}\u201d" if flag.quoted_text else ""
        return f"{flag.reason}{words}"

    # A choice is known by its words (Streamlit keeps a multiselect's choices as text): two
    # flags that read alike, such as two weeks of "Low mood on 5 of the last 5 check-ins",
    # are told apart by the day each was raised, and by a number if ever that is not enough.
    words = {flag.id: f"{SEVERITY_LABELS[flag.severity]}: {reason(flag)}" for flag in flags}
    alike = {w for w in words.values() if list(words.values()).count(w) > 1}
    label_of = told_apart({
        flag.id: words[flag.id] + (
            f" ({day_label(flag.raised_on, weekday=True, short=True)})"
            if words[flag.id] in alike else "")
        for flag in flags})

    for flag in flags:
        st.markdown(risk_badge(flag.severity, SEVERITY_LABELS[flag.severity]) + " "
                    + plain(reason(flag)))
    by_id = {flag.id: flag for flag in flags}
    # Keyed by the member and their flags, so that a choice made on one member's form never
    # carries over to another's.
    flags_key = f"{key}_{'_'.join(map(str, by_id))}"
    # The labels name the member, so that each reads alone (a screen reader's list of the
    # screen's fields); a name is typed by a person and a label is drawn as markdown.
    who = plain(whose)
    with st.form(f"acknowledge_{key}"):
        chosen = st.multiselect(f"{who}'s flags to acknowledge", list(by_id),
                                default=list(by_id), format_func=label_of.get,
                                key=f"flags_to_acknowledge_{flags_key}")
        # Each refusal shows under the field it is about.
        fields = {"flags": st.empty()}
        method = st.radio(f"How did you reach out to {who}?", OUTREACH_METHODS, index=None,
                          horizontal=True, format_func=OUTREACH_LABELS.get,
                          key=f"outreach_method_{flags_key}")
        fields["outreach_method"] = st.empty()
        note = st.text_input(f"Outreach note for {who}", max_chars=1000,
                             placeholder="e.g. Talked for 20 minutes, meeting tomorrow",
                             key=f"outreach_note_{flags_key}")
        fields["outreach_note"] = st.empty()
        if not st.form_submit_button(f"Acknowledge {who}'s flags"):
            return
    if not chosen:
        fields["flags"].error("Choose at least one flag to acknowledge.", icon=":material/edit:")
        return
    now = clock.now()

    def acknowledge_chosen(session: Session) -> None:
        for flag_id in chosen:
            acknowledge_flag(session=session, actor=actor, flag_id=flag_id,
                             outreach_method=method, outreach_note=note, purpose=purpose,
                             screen=screen, now=now)

    flag_action(acknowledge_chosen, done=f"{plural(len(chosen), 'flag')} acknowledged.",
                place=place, errors=fields)
