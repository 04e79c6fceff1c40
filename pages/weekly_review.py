"""Weekly review: a card per sponsee for the chosen week, most in need first."""

from datetime import timedelta

import streamlit as st

from dashboard import clock
from dashboard.labels import (
    CATEGORY_LABELS,
    NEEDS_ACTION_HELP,
    OUTREACH_LABELS,
    OUTREACH_METHODS,
    RISK_HELP,
    SEVERITY_LABELS,
    plural,
)
from dashboard.member_charts import mood_craving_figure, mood_craving_summary
from dashboard.timeutil import day_label, local_today
from dashboard.web.charts import chart
from dashboard.web.database import transaction
from dashboard.web.drafts import typed_key, typed_or
from dashboard.web.flags_form import open_flags_form
from dashboard.web.forms import PAGE, show_flash, submit
from dashboard.web.session import require_role
from dashboard.web.sharing_notices import show_sharing_notices
from dashboard.web.widgets import (
    confidentiality_notice,
    crisis_resources,
    not_shared,
    plain,
    risk_badge,
)
from dashboard.weekly_review import (
    CONTEXT_WEEKS,
    mark_week_reviewed,
    recent_weeks,
    week_label,
    weekly_review_for,
)

actor = require_role("sponsor")
now = clock.now()
st.title("Weekly review")
confidentiality_notice()
show_sharing_notices(actor, purpose="sponsorship")

show_flash()

today = local_today(actor.timezone, now)
weeks = recent_weeks(today)
iso_week = st.selectbox("Week", weeks, format_func=lambda week: week_label(week, today=today))
with transaction() as session:
    cards = weekly_review_for(session=session, actor=actor, iso_week=iso_week, now=now)

if not cards:
    st.info("No sponsee shares their data with you yet. A sponsee shares from their Sharing page.")
    st.stop()

reviewed = sum(card.reviewed for card in cards)
st.write(f"{plural(len(cards), 'sponsee')} {'shares' if len(cards) == 1 else 'share'} with you; "
         f"{reviewed} reviewed for this week.")


def metric(column, label, value, fmt="{}"):
    column.metric(label, not_shared(value, fmt))


for card in cards:
    with st.container(border=True):
        head, badge = st.columns([4, 1], vertical_alignment="center")
        head.subheader(plain(card.display_name))
        if card.risk not in (None, "none"):
            badge.markdown(risk_badge(card.risk, f"{SEVERITY_LABELS[card.risk]} risk"),
                           help=RISK_HELP)
        if card.reviewed:
            badge.markdown(":green-badge[:material/check: Reviewed]")
        st.caption("Shares: " + ", ".join(CATEGORY_LABELS[c] for c in sorted(card.categories)))
        if card.open_flags is not None:
            st.markdown(
                f"Risk: **{SEVERITY_LABELS[card.risk or 'none']}** \u00b7 Needs my action: "
                f"**{plural(len(card.open_flags), 'flag')}**",
                help=f"{RISK_HELP} {NEEDS_ACTION_HELP}")

        made, mood, craving, meetings, use = st.columns(5)
        metric(made, "Check-ins", card.checkins_made, f"{{}} of {card.days_in_week}")
        if card.checkins_made == 0:
            mood.metric("Mean mood", "\u2014", help="No check-ins this week")
            craving.metric("Highest craving", "\u2014", help="No check-ins this week")
        else:
            metric(mood, "Mean mood", card.mean_mood, "{:.1f} / 5")
            metric(craving, "Highest craving", card.highest_craving, "{} / 10")
        metric(meetings, "Meetings", card.meetings)
        metric(use, "Days with use", None if card.use_days is None else len(card.use_days))

        if card.talking_points:
            st.markdown("**Talking points**")
            st.markdown("\n".join(f"- {plain(point)}" for point in card.talking_points))

        details, chart_column = st.columns([1, 1], gap="medium")
        with details:
            st.markdown("**Hard days**")
            if card.hard_days is None:
                st.write("Hard days and flags: not shared.")
            elif not card.hard_days:
                st.write("None this week.")
            else:
                for day, reason in card.hard_days:
                    st.markdown(plain(
                        day_label(day, today=today, weekday=True, relative=False)
                        + (f": {reason}" if reason else "")))
            st.markdown("**Steps**")
            if card.step_changes is None:
                st.write("Steps: not shared.")
            else:
                st.write("; ".join(card.step_changes) if card.step_changes
                         else "No step started or completed this week.")
            if card.milestones:
                st.markdown("**Milestones**")
                for milestone in card.milestones:
                    st.markdown(f":material/celebration: {plain(card.display_name)} "
                                f"{plain(milestone)}")
        with chart_column:
            if card.chart is None:
                st.write("Check-ins: not shared.")
            else:
                start = card.week_start - timedelta(weeks=CONTEXT_WEEKS)
                end = card.week_start + timedelta(days=6)
                figure = mood_craving_figure(card.chart, start=start, end=end,
                                             categories=card.categories)
                figure.add_vrect(x0=card.week_start - timedelta(hours=12),
                                 x1=end + timedelta(hours=12), fillcolor="#999999",
                                 opacity=0.15, line_width=0)
                figure.update_layout(height=260)
                chart(figure, key=f"chart_{card.member_id}",
                      summary=mood_craving_summary(card.chart, start=start, end=end,
                                                   whose="their", categories=card.categories)
                      + " The shaded part is the week under review.")

        if card.open_flags:
            st.markdown("**Flags that need your action**")
            if any(f.severity == "high" for f in card.open_flags):
                crisis_resources()
            open_flags_form(actor=actor, flags=card.open_flags, purpose="sponsorship",
                               screen="Weekly review", key=f"{card.member_id}",
                               place=PAGE)

        with st.form(f"review_{card.member_id}_{iso_week}"):
            note_key = typed_key(f"review_note_{card.member_id}_{iso_week}")
            note = st.text_area("Private note", value=typed_or(note_key, card.review_note or ""),
                                max_chars=2000, help="Only you see this note.", height=80,
                                key=note_key)
            method = st.radio("How did you go over the week?", OUTREACH_METHODS,
                              index=OUTREACH_METHODS.index("met"), horizontal=True,
                              format_func=OUTREACH_LABELS.get,
                              key=f"review_method_{card.member_id}_{iso_week}",
                              help="Goes into your contact log with the note.")
            label = "Update the note" if card.reviewed else "Mark this week reviewed"
            if st.form_submit_button(label):
                submit(lambda session, card=card: mark_week_reviewed(
                    session=session, actor=actor, member_id=card.member_id, iso_week=iso_week,
                    note=note, method=method, now=now),
                    done=f"{plain(card.display_name)}: week {iso_week} reviewed.",
                    idempotent=True)  # one review per sponsee and week: an upsert
