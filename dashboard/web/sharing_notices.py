"""The notices of sharing changes on a viewer's screens, each with a way to put it away."""

from __future__ import annotations

import streamlit as st

from dashboard import clock
from dashboard.auth import Actor
from dashboard.sharing_notices import dismiss_notice, sharing_notices_for
from dashboard.web.database import transaction
from dashboard.web.forms import submit

ICONS = {"started": ":material/person_add:", "changed": ":material/sync:",
         "stopped": ":material/person_remove:", "ending": ":material/event_busy:"}


def show_sharing_notices(actor: Actor, *, purpose: str) -> None:
    """Who started, changed or stopped sharing with this viewer lately, and which consents
    end soon; each until the viewer dismisses it."""
    now = clock.now()
    with transaction() as session:
        notices = sharing_notices_for(session=session, actor=actor, now=now, purpose=purpose)
    for notice in notices:
        words, action = st.columns([6, 1], vertical_alignment="center")
        words.info(notice.text, icon=ICONS[notice.kind])
        if action.button("Dismiss", key=f"dismiss_{notice.kind}_{notice.consent_id}",
                         help="Put this notice away for good"):
            submit(lambda session, notice=notice: dismiss_notice(
                session=session, actor=actor, consent_id=notice.consent_id, kind=notice.kind,
                now=now))
