"""The staff screens (Caseload, Alerts, Client detail, Weekly review, Sponsee detail) read in
order by a screen reader: headings without skipped levels or extra tab stops, card sections
as headings, controls that name their person, a refusal under its field, and a keyboard
path from the caseload table to a client."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dashboard import clock
from dashboard.auth import actor_from_user
from dashboard.caseload import HEATMAP_DAYS
from dashboard.member_record import shared_member_choices
from dashboard.web.member_record import detail_query
from dashboard.web.widgets import plain
from dashboard.weekly_review import weekly_review_for
from models import AuditEvent, Flag, User
from tests.app.conftest import by_label, no_exception, shown, titles
from tests.factories import NOW

HEADING_LEVEL = {"title": 1, "header": 2, "subheader": 3}
BOLD_LINE = re.compile(r"\*\*[^*]+\*\*")  # a line of bold text standing in for a heading
TRIAGE = "Choose a sponsee to open their week"


@pytest.fixture
def sqlite_url(demo_sqlite_url):
    """The demo caseload (tests/app/conftest.py), a copy for each test."""
    return demo_sqlite_url




@pytest.fixture
def sponsor(app_db):
    with app_db() as session:
        return actor_from_user(session.scalar(select(User).where(User.username == "sponsor1")))


def open_page(new_app, actor, page, **query):
    at = no_exception(new_app(actor).run(timeout=60))
    at.query_params.update(query)
    return no_exception(at.switch_page(f"../pages/{page}").run(timeout=60))


def walk(node, path=()):
    """Every element of the main area in screen order, with the blocks it sits in."""
    children = getattr(node, "children", None)
    if children is None:
        yield path, node
        return
    for index in sorted(children):
        yield from walk(children[index], path + (index,))


def headings(at) -> list[tuple[int, str, bool]]:
    """(level, words, anchor hidden) of each heading of the main area, in order."""
    return [(HEADING_LEVEL[node.type], node.value, node.proto.hide_anchor)
            for _, node in walk(at.main) if node.type in HEADING_LEVEL]


def assert_headings_in_order(at) -> list[tuple[int, str, bool]]:
    found = headings(at)
    assert found and found[0][0] == 1, found
    for (before, _, _), (level, words, _) in zip(found, found[1:]):
        assert level <= before + 1, f"{words!r} (h{level}) follows an h{before}: {found}"
    # No heading is a tab stop of its own (Streamlit's anchor link).
    assert all(hidden for _, _, hidden in found), found
    # No line of bold text stands in for a section's heading.
    assert not [m.value for m in at.markdown if BOLD_LINE.fullmatch(m.value.strip())]
    return found


def demo_member(app_db, actor, purpose) -> int:
    with app_db() as session:
        return next(iter(shared_member_choices(session=session, actor=actor, purpose=purpose,
                                               now=NOW)))


# --- headings ---------------------------------------------------------------------------


def test_caseload_headings_with_the_charts_shown(new_app, counselor):
    at = open_page(new_app, counselor, "caseload.py")
    by_label(at.toggle, "Show charts of risk levels and recent check-ins").set_value(True)
    found = assert_headings_in_order(no_exception(at.run(timeout=60)))
    assert [words for _, words, _ in found] == ["Caseload", "Risk levels",
                                                f"Check-ins, last {HEATMAP_DAYS} days"]


def test_alerts_headings(new_app, counselor):
    assert_headings_in_order(open_page(new_app, counselor, "alerts.py"))


@pytest.mark.parametrize("page, noun, role, purpose", [
    ("client_detail.py", "client", "counselor", "counseling"),
    ("sponsee_detail.py", "sponsee", "sponsor", "sponsorship"),
])
def test_detail_headings_before_and_after_a_pick(new_app, app_db, counselor, sponsor, page,
                                                 noun, role, purpose):
    viewer = counselor if role == "counselor" else sponsor
    assert_headings_in_order(open_page(new_app, viewer, page))
    member_id = demo_member(app_db, viewer, purpose)
    at = open_page(new_app, viewer, page, **detail_query(noun, member_id))
    found = assert_headings_in_order(at)
    assert (2, "Your contact log", True) in found


def test_weekly_review_sections_are_headings_under_the_sponsees_name(new_app, app_db,
                                                                      sponsor):
    at = no_exception(new_app(sponsor).run(timeout=60))
    assert titles(at) == ["Weekly review"]
    with app_db.begin() as session:
        cards = weekly_review_for(session=session, actor=sponsor,
                                  iso_week=by_label(at.selectbox, "Week").value,
                                  now=clock.now())
    flagged = next(card for card in cards if card.open_flags and card.hard_days is not None)
    by_label(at.radio, TRIAGE).set_value(flagged.member_id).run(timeout=60)
    found = assert_headings_in_order(no_exception(at))
    assert [(level, shown(words)) for level, words, _ in found[:3]] == [
        (1, "Weekly review"), (2, "Sponsees"), (2, flagged.display_name)]
    sections = [words for level, words, _ in found[3:] if level == 3]
    assert {"Talking points", "Hard days", "Steps and milestones",
            "Flags that need your action"} <= set(sections)

    # Its form's controls name the sponsee, in the markdown-safe form of the name.
    who = plain(flagged.display_name)
    for widgets, label in ((at.multiselect, f"{who}'s flags to acknowledge"),
                           (at.radio, f"How did you reach out to {who}?"),
                           (at.text_input, f"Outreach note for {who}"),
                           (at.button, f"Acknowledge {who}'s flags"),
                           (at.text_area, f"Private note on {who}"),
                           (at.radio, f"How did you go over {who}'s week?")):
        by_label(widgets, label)


# --- Alerts: each card's controls name the client ------------------------------------------


def test_each_alert_card_names_its_client(new_app, app_db, counselor):
    at = open_page(new_app, counselor, "alerts.py")
    starts = {int(b.key.removeprefix("start_")): b for b in at.button
              if b.key and b.key.startswith("start_")}
    assert len(starts) >= 2, "the demo gives counselor1 several open flags"
    with app_db() as session:
        names = dict(session.execute(select(Flag.id, User.display_name)
                                     .join(User, User.id == Flag.member_id)
                                     .where(Flag.id.in_(starts))).all())
    links = {e.proto.label for e in at.get("page_link")}
    for flag_id, start in starts.items():
        who = plain(names[flag_id])
        assert start.label == f"Acknowledge {who}'s flag\u2026"
        assert f"Open {who}" in links
    flag_id, start = next(iter(starts.items()))
    start.click().run(timeout=60)
    who = plain(names[flag_id])
    assert no_exception(at).radio(key=f"method_{flag_id}").label == (
        f"How did you reach out to {who}?")
    assert at.button(key=f"acknowledge_{flag_id}").label == f"Acknowledge {who}'s flag"


def test_a_refusal_shows_under_the_field_it_is_about(new_app, counselor):
    at = open_page(new_app, counselor, "alerts.py")
    start = next(b for b in at.button if b.key and b.key.startswith("start_"))
    flag_id = int(start.key.removeprefix("start_"))
    start.click().run(timeout=60)
    at.button(key=f"acknowledge_{flag_id}").click().run(timeout=60)
    where = {id(node): path for path, node in walk(no_exception(at).main)}
    [error] = at.error
    assert error.value.startswith("Choose how you reached out")
    radio = at.radio(key=f"method_{flag_id}")
    # In the radio's own column, right under it.
    assert where[id(error)][:-1] == where[id(radio)][:-1]
    assert where[id(error)][-1] == where[id(radio)][-1] + 1


# --- Caseload: a client opened from the keyboard --------------------------------------------


def test_the_caseload_says_and_offers_a_keyboard_path_to_a_client(new_app, app_db,
                                                                   counselor):
    at = open_page(new_app, counselor, "caseload.py")
    assert any("From the keyboard: choose the client in \"Open a client\"" in c.value
               for c in at.caption)
    chooser = by_label(at.selectbox, "Open a client")
    # The clients of the table as shown, in its order; nobody chosen, no link yet.
    assert chooser.value is None
    assert chooser.options == list(at.dataframe[0].value["Client"])
    assert not [e for e in at.get("page_link") if e.proto.label == "Open client detail"]

    # The table narrowed: so is the choice.
    by_label(at.multiselect, "Risk level").set_value(["high"]).run(timeout=60)
    chooser = by_label(no_exception(at).selectbox, "Open a client")
    high = list(at.dataframe[0].value["Client"])
    assert chooser.options == high and len(high) >= 2
    member_id = at.session_state["caseload_shown_ids"][1]  # the second row's client
    chooser.set_value(member_id).run(timeout=60)
    [link] = [e.proto for e in no_exception(at).get("page_link")
              if e.proto.label == "Open client detail"]
    assert link.page.endswith("client_detail")
    assert link.query_string == f"client={member_id}"

    # Followed, as the browser follows it: the client is picked, and their record seen.
    at.query_params.update(detail_query("client", member_id))
    no_exception(at.switch_page("../pages/client_detail.py").run(timeout=60))
    assert titles(at) == ["Client detail"]
    assert by_label(at.selectbox, "Client").value == member_id
    with app_db() as session:
        assert session.scalars(select(AuditEvent.member_id).where(
            AuditEvent.actor_id == counselor.id, AuditEvent.action == "view",
            AuditEvent.screen == "Client detail")).all() == [member_id]
