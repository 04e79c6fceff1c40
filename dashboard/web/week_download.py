"""A sponsee's week as a one-page PDF, made when the sponsor downloads it."""

from __future__ import annotations

import streamlit as st

from dashboard import clock
from dashboard.auth import Actor
from dashboard.errors import NotFound
from dashboard.timeutil import local_today
from dashboard.web.database import run_transaction
from dashboard.week_pdf import notice_pdf, week_pdf, week_pdf_file_name
from dashboard.weekly_review import SponseeWeek, sponsee_week_for

NO_LONGER_SHARED = ("This sponsee no longer shares this week with you, so this file holds "
                    "nothing about them.")


def week_pdf_button(*, actor: Actor, card: SponseeWeek, iso_week: str, week_words: str) -> None:
    """A download button of the week as a PDF. The file is made on the click, read again
    through the consent policy and recorded as a disclosure then: one audit event per
    download, none for a button only shown."""

    def pdf() -> bytes:
        now = clock.now()
        try:
            week = run_transaction(lambda session: sponsee_week_for(
                session=session, actor=actor, member_id=card.member_id, iso_week=iso_week,
                now=now, action="export"))
        except NotFound:
            return notice_pdf(NO_LONGER_SHARED)
        return week_pdf(week, week_words=week_words, today=local_today(actor.timezone, now))

    st.download_button("Download as PDF", data=pdf, mime="application/pdf",
                       file_name=week_pdf_file_name(card, iso_week=iso_week),
                       on_click="ignore", icon=":material/picture_as_pdf:",
                       key=f"week_pdf_{card.member_id}_{iso_week}",
                       help="One page of what they share this week, for a meeting in person. "
                            "Recorded in their Who viewed my data.")
