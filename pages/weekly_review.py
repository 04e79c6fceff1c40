"""Weekly review: the sponsees most in need first, then one sponsee's week at a time."""

from datetime import timedelta
from pathlib import Path

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
    told_apart,
)
from dashboard.member_charts import mood_craving_figure, mood_craving_summary, shade_days
from dashboard.timeutil import day_label, local_today
from dashboard.web.charts import chart
from dashboard.web.database import transaction
from dashboard.web.device import on_a_phone
from dashboard.web.drafts import typed_key, typed_or
from dashboard.web.flags_form import open_flags_form
from dashboard.web.forms import show_flash, submit
from dashboard.web.member_record import detail_query
from dashboard.web.session import require_role
from dashboard.web.sharing_notices import show_sharing_notices
from dashboard.web.week_download import week_pdf_button
from dashboard.web.widgets import (
    confidentiality_notice,
    crisis_resources,
    not_shared,
    plain,
    risk_badge,
)
from dashboard.weekly_review import (
    CONTEXT_WEEKS,
    last_complete_week,
    mark_week_reviewed,
    recent_weeks,
    triage_facts,
    week_label,
    weekly_review_for,
)

# The sponsee whose week is open, and the order of the list for the visit: acting on a
# sponsee never moves the sponsor elsewhere, and Previous and Next keep their place.
CHOSEN = "review_sponsee"
ORDER = "review_order"
SPONSEE_DETAIL = Path(__file__).resolve().parent / "sponsee_detail.py"

actor = require_role("sponsor")
now = clock.now()
st.title("Weekly review", anchor=False)
confidentiality_notice()
show_sharing_notices(actor, purpose="sponsorship")
show_flash()

today = local_today(actor.timezone, now)
weeks = recent_weeks(today)
iso_week = st.selectbox("Week", weeks, index=weeks.index(last_complete_week(today)),
                        format_func=lambda week: week_label(week, today=today))
with transaction() as session:
    cards = weekly_review_for(session=session, actor=actor, iso_week=iso_week, now=now)

if not cards:
    st.info("No sponsee shares their data with you yet. A sponsee shares from their Sharing page.")
    st.stop()

# Most in need first, in the order of the visit's first run of this week: a sponsee just
# reviewed keeps their place, newcomers go last, and those who stopped sharing go.
by_id = {card.member_id: card for card in cards}
kept = st.session_state.get(ORDER)
if kept is None or kept[0] != iso_week:
    kept = (iso_week, [card.member_id for card in cards])
order = ([m for m in kept[1] if m in by_id]
         + [card.member_id for card in cards if card.member_id not in kept[1]])
st.session_state[ORDER] = (iso_week, order)
if st.session_state.get(CHOSEN) not in by_id:
    st.session_state[CHOSEN] = order[0]

reviewed = sum(card.reviewed for card in cards)
st.header("Sponsees", anchor=False)
st.caption(f"{plural(len(cards), 'sponsee')} {'shares' if len(cards) == 1 else 'share'} with "
           f"you; {reviewed} reviewed for this week. Most in need first.",
           help="High flags first, then hard days, days with use and silence, then the other "
                "flags that need your action, then those not yet reviewed. The list keeps its "
                "order while you go through it.")


# Each sponsee is known by their name alone (Streamlit keeps a radio's choice as its
# words): the facts under it change as the sponsor acts, and must not lose their place.
names = told_apart({m: by_id[m].display_name for m in order})
member_id = st.radio("Choose a sponsee to open their week", order, key=CHOSEN,
                     format_func=lambda m: plain(names[m]),
                     captions=[" \u00b7 ".join(triage_facts(by_id[m])) for m in order])
card = by_id[member_id]
position = order.index(member_id)


def go_to(other: int) -> None:
    st.session_state[CHOSEN] = other


# ---------------------------------------------------------------------------------------
# One sponsee's week.

st.divider()
head, badges = st.columns([3, 2], vertical_alignment="center")
# The week is a section of its own, beside the list (h2), with its parts under it (h3).
who = plain(card.display_name)
head.header(who, anchor=False)
with badges.container(horizontal=True):
    if card.risk not in (None, "none"):
        st.markdown(risk_badge(card.risk, f"{SEVERITY_LABELS[card.risk]} risk"), help=RISK_HELP)
    st.markdown(":green-badge[:material/check: Reviewed]" if card.reviewed
                else ":gray-badge[Not reviewed]")
with st.container(horizontal=True):
    if position > 0:
        previous = order[position - 1]
        st.button(f"Previous: {plain(by_id[previous].display_name)}", icon=":material/arrow_back:",
                  on_click=go_to, args=(previous,), key="previous_sponsee")
    if position < len(order) - 1:
        following = order[position + 1]
        st.button(f"Next: {plain(by_id[following].display_name)}", icon=":material/arrow_forward:",
                  icon_position="right", on_click=go_to, args=(following,),
                  key="next_sponsee")
st.caption(f"{week_label(iso_week, today=today)} \u00b7 Shares: "
           + ", ".join(CATEGORY_LABELS[c] for c in sorted(card.categories)))
if card.open_flags is not None:
    st.markdown(f"Risk: **{SEVERITY_LABELS[card.risk or 'none']}** \u00b7 Needs my action: "
                f"**{plural(len(card.open_flags), 'flag')}**",
                help=f"{RISK_HELP} {NEEDS_ACTION_HELP}")

st.subheader("Talking points", anchor=False)
if card.talking_points:
    st.markdown("\n".join(f"- {plain(point)}" for point in card.talking_points))
else:
    st.write("Nothing stands out in what they share this week.")

with st.container(horizontal=True):
    for label, value, fmt in (
        ("Check-ins", card.checkins_made, f"{{}} of {card.days_in_week}"),
        # A week without a check-in has no mood to speak of; one not shared says so.
        ("Mean mood", "\u2014" if card.checkins_made == 0 else card.mean_mood, "{:.1f} / 5"),
        ("Highest craving", "\u2014" if card.checkins_made == 0 else card.highest_craving,
         "{} / 10"),
        ("Meetings", card.meetings, "{}"),
        ("Days with use", None if card.use_days is None else len(card.use_days), "{}"),
    ):
        st.metric(label, value if value == "\u2014" else not_shared(value, fmt), width=150)

st.subheader("Hard days", anchor=False)
if card.hard_days is None:
    st.write("Hard days and flags: not shared.")
elif not card.hard_days:
    st.write("None this week.")
else:
    st.markdown("\n".join(
        "- " + plain(day_label(day, today=today, weekday=True, relative=False)
                     + (f": {reason}" if reason else ""))
        for day, reason in card.hard_days))

st.subheader("Steps and milestones", anchor=False)
if card.step_changes is None:
    st.write("Steps: not shared.")
else:
    st.write("; ".join(card.step_changes) if card.step_changes
             else f"No step started or completed this week; working on step {card.current_step}.")
for milestone in card.milestones or []:
    st.markdown(f":material/celebration: {who} {plain(milestone)}")

# The confirmation of an acknowledgement stays where the flags were, once they are done.
flags_place = f"flags_{card.member_id}"
show_flash(flags_place)
if card.open_flags:
    st.subheader("Flags that need your action", anchor=False)
    if any(f.severity == "high" for f in card.open_flags):
        crisis_resources()
    open_flags_form(actor=actor, flags=card.open_flags, whose=card.display_name,
                    purpose="sponsorship", screen="Weekly review", key=f"{card.member_id}",
                    place=flags_place)

if card.chart is None:
    st.write("Check-ins: not shared.")
else:
    # Folded on a phone, where the sponsor reads the week over coffee; open on a desk.
    with st.expander("Mood and craving, five weeks", expanded=not on_a_phone()):
        start = card.week_start - timedelta(weeks=CONTEXT_WEEKS)
        end = card.week_start + timedelta(days=6)
        figure = mood_craving_figure(card.chart, start=start, end=end,
                                     categories=card.categories)
        shade_days(figure, card.week_start, end)
        figure.update_layout(height=260)
        chart(figure, key=f"chart_{card.member_id}",
              summary=mood_craving_summary(card.chart, start=start, end=end,
                                           whose="their", categories=card.categories)
              + " The shaded part is the week under review; \"Day by day\" on Sponsee "
                "detail lists each day.")

review_place = f"review_{card.member_id}"
with st.form(f"review_{card.member_id}_{iso_week}"):
    note_key = typed_key(f"review_note_{card.member_id}_{iso_week}")
    # The labels name the sponsee, so that each reads alone to a screen reader.
    note = st.text_area(f"Private note on {who}",
                        value=typed_or(note_key, card.review_note or ""),
                        max_chars=2000, help="Only you see this note.", height=80,
                        key=note_key)
    fields = {"note": st.empty()}  # a refusal shows under the field it is about
    method = st.radio(f"How did you go over {who}'s week?", OUTREACH_METHODS,
                      index=OUTREACH_METHODS.index("met"), horizontal=True,
                      format_func=OUTREACH_LABELS.get,
                      key=f"review_method_{card.member_id}_{iso_week}",
                      help="Goes into your contact log with the note.")
    fields["method"] = st.empty()
    label = "Update the note" if card.reviewed else "Mark this week reviewed"
    if st.form_submit_button(label):
        submit(lambda session: mark_week_reviewed(
            session=session, actor=actor, member_id=card.member_id, iso_week=iso_week,
            note=note, method=method, now=now),
            done=f"{who}: week reviewed.", place=review_place, errors=fields,
            idempotent=True)  # one review per sponsee and week: an upsert
show_flash(review_place)

with st.container(horizontal=True):
    week_pdf_button(actor=actor, card=card, iso_week=iso_week, week_words=week_label(
        iso_week, today=today))
    st.page_link(SPONSEE_DETAIL, label="Open Sponsee detail", icon=":material/person:",
                 query_params=detail_query("sponsee", card.member_id))
