"""What a screen reader or a keyboard meets on the member's screens and on the account,
login, set-up and administrator screens: headings in order and without extra tab stops,
labels that say which step they are about, one named group of consent choices, hints in
the field's help, password fields a password manager fills rightly, the day of a check-in
picked from a list, and My progress's days as a table as well as a chart."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from dashboard import clock
from dashboard.labels import CATEGORY_EXPLANATIONS, CATEGORY_LABELS
from dashboard.member_record import member_record
from dashboard.timeutil import day_label, local_today
from models import CheckIn
from tests.app.conftest import by_label, no_exception, titles
from tests.factories import add_checkin, grant, make_user

MARKDOWN_HEADING = re.compile(r"^(#{1,6}) ", re.MULTILINE)
HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


@pytest.fixture
def maria(app_db):
    with app_db.begin() as session:
        return make_user(session, "maria", "member", name="Maria G.",
                         timezone_name="America/Los_Angeles", sobriety_date=date(2025, 6, 1))


def in_order(node):
    """The elements under `node` in the order they are drawn (a slot filled later keeps
    its place)."""
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for index in sorted(children):
        yield from in_order(children[index])


def headings(at) -> list[tuple[int, str, bool]]:
    """(level, text, whether its anchor link is hidden) of every heading of the main area."""
    found = []
    for element in in_order(at.main):
        kind = getattr(element, "type", "")
        if kind in ("title", "header", "subheader"):
            found.append((HEADING_LEVELS[element.proto.tag], element.value,
                          element.proto.hide_anchor))
        elif kind == "markdown":
            for hashes in MARKDOWN_HEADING.findall(element.value):
                found.append((len(hashes), element.value, element.proto.hide_anchors))
    return found


def assert_headings_in_order(at, screen: str) -> None:
    found = headings(at)
    assert found and found[0][0] == 1, (screen, found)
    assert all(hidden for _, _, hidden in found), (screen, found)  # no anchor tab stops
    for (before, _, _), (level, text, _) in zip(found, found[1:], strict=False):
        assert level <= before + 1, f"{screen}: {text!r} skips from h{before} to h{level}"


def test_the_members_screens_have_headings_in_order_without_anchor_links(new_app, app_db,
                                                                          maria):
    today = local_today(maria.timezone, clock.now())
    with app_db.begin() as session:
        sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
        add_checkin(session, maria, today, hard_day=True, hard_day_reason="A long day")
        grant(session, maria, sam, "checkins", starts_at=clock.now() - timedelta(days=1),
              expires_at=clock.now() + timedelta(days=30))
    with app_db.begin() as session:  # a visit, so that Who viewed my data has a day
        member_record(session=session, actor=sam, member_id=maria.id, purpose="sponsorship",
                      screen="Sponsee detail", now=clock.now())
    at = no_exception(new_app(maria).run())
    for page in ("today.py", "my_progress.py", "steps.py", "sharing.py", "who_viewed.py",
                 "my_data.py", "account.py"):
        at = no_exception(at.switch_page(f"../pages/{page}").run())
        assert_headings_in_order(at, page)
    assert any(level == 3 for level, _, _ in headings(at.switch_page(
        "../pages/who_viewed.py").run())), "each day of the diary is a heading"


def test_the_administrators_and_logged_out_screens_have_headings_in_order(new_app, app_db):
    at = no_exception(new_app().run())
    assert titles(at) == ["Welcome to the recovery dashboard"]
    assert_headings_in_order(at, "setup.py")
    with app_db.begin() as session:
        admin = make_user(session, "ada", "admin")
    at = no_exception(new_app().run())
    assert titles(at) == ["Log in"]
    assert_headings_in_order(at, "login.py")
    at = no_exception(new_app(admin).run())
    for page in ("users.py", "audit_log.py", "two_factor.py"):
        at = no_exception(at.switch_page(f"../pages/{page}").run())
        assert_headings_in_order(at, page)


def test_each_steps_fields_and_button_name_the_step_and_hints_are_in_their_help(new_app,
                                                                                 maria):
    at = no_exception(new_app(maria).switch_page("../pages/steps.py").run())
    statuses = [w.label for w in at.segmented_control]
    notes = [w.label for w in at.text_area]
    saves = [b.label for b in at.button if b.form_id.startswith("step_")]
    assert statuses == [f"Step {n} status" for n in range(1, 13)]
    assert notes == [f"Step {n} notes" for n in range(1, 13)]
    assert saves == [f"Save step {n}" for n in range(1, 13)]
    assert all(w.help for w in [*at.segmented_control, *at.text_area])
    # Who reads the notes stays in view, once for the screen, not twelve times.
    assert [c.value for c in at.caption if "share notes with" in c.value] == [
        next(c.value for c in at.caption if "share notes with" in c.value)]


def test_the_consent_choices_are_one_named_group_with_what_each_reveals_in_its_help(
        new_app, maria):
    at = no_exception(new_app(maria).switch_page("../pages/sharing.py").run())
    assert not [c for c in at.checkbox if c.label in CATEGORY_LABELS.values()]
    group = by_label(at.pills, "What they may see")
    assert list(group.options) == list(CATEGORY_LABELS.values())
    for category, explanation in CATEGORY_EXPLANATIONS.items():
        assert f"{CATEGORY_LABELS[category]}: {explanation}" in group.help
    assert group.value == []  # nothing shared unless the member picks it


def autocomplete(at, label: str) -> str:
    return by_label(at.text_input, label).proto.autocomplete


def test_password_fields_tell_the_browser_which_password_they_want(new_app, app_db, maria):
    at = no_exception(new_app().run())
    assert (autocomplete(at, "Username"), autocomplete(at, "Password")) == (
        "username", "current-password")
    assert (autocomplete(at, "New password"), autocomplete(at, "Confirm new password")) == (
        "new-password", "new-password")
    at = no_exception(new_app(maria).switch_page("../pages/account.py").run())
    assert [autocomplete(at, label) for label in (
        "Current password", "New password", "Confirm new password")] == [
        "current-password", "new-password", "new-password"]
    at = no_exception(at.switch_page("../pages/my_data.py").run())
    assert autocomplete(at, "Password") == "current-password"
    confirmation = next(t for t in at.text_input if t.label.startswith("Type "))
    assert confirmation.help and "three words" in confirmation.help


def test_a_refused_password_change_says_so_beside_the_field(new_app, maria):
    at = no_exception(new_app(maria).switch_page("../pages/account.py").run())
    by_label(at.text_input, "Current password").input("not my password at all")
    by_label(at.text_input, "New password").input("my brand new passphrase")
    by_label(at.text_input, "Confirm new password").input("my brand new passphrase!")
    by_label(at.button, "Change password").click().run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert "That is not your current password." in errors
    assert "The two new passwords are not the same." in errors


def test_the_day_of_a_check_in_is_picked_from_the_eight_days_it_may_be_for(new_app, app_db,
                                                                            maria):
    today = local_today(maria.timezone, clock.now())
    at = no_exception(new_app(maria).run())
    picker = by_label(at.selectbox, "Day")
    assert not at.date_input  # no calendar's small boxes
    assert picker.options[:2] == [
        "Today, " + day_label(today, today=today, weekday=True, short=True, relative=False),
        "Yesterday, " + day_label(today - timedelta(days=1), today=today, weekday=True,
                                  short=True, relative=False)]
    assert picker.options[2:] == [
        day_label(today - timedelta(days=back), today=today, weekday=True, short=True)
        for back in range(2, 8)]
    assert picker.help
    picker.set_value(today - timedelta(days=2)).run()
    no_exception(at)
    assert any("marked as filled in late" in i.value for i in at.info)
    by_label(at.segmented_control, "Mood").set_value(3)
    next(b for b in at.button if b.label == "Save check-in").click().run()
    no_exception(at)
    with app_db() as session:
        [row] = session.query(CheckIn).all()
        assert (row.local_date, row.is_late) == (today - timedelta(days=2), True)


@pytest.mark.parametrize("back, named_then", [(1, "Yesterday"), (1, "Today")],
                         ids=["same-day", "restart-crossed-midnight"])
def test_a_day_picked_before_a_restart_comes_back_by_its_words(new_app, maria, back,
                                                               named_then):
    """The browser sends the words of the day picked; a restart over midnight named
    yesterday "Today"."""
    today = local_today(maria.timezone, clock.now())
    picked = today - timedelta(days=back)
    words = f"{named_then}, " + day_label(picked, today=today, weekday=True, short=True,
                                          relative=False)
    at = new_app(maria)
    at.session_state["typed_drafts"] = {
        "owner": maria.id, "restarted": True,
        "values": {f"typed:{maria.id}:checkin_day": words}}
    no_exception(at.run())
    assert by_label(at.selectbox, "Day").value == picked
    assert any("You are filling in" in i.value for i in at.info)


def test_my_progress_gives_the_charts_days_as_a_table_when_asked(new_app, app_db, maria):
    today = local_today(maria.timezone, clock.now())
    with app_db.begin() as session:
        add_checkin(session, maria, today - timedelta(days=1), mood=2, craving=7,
                    hard_day=True, hard_day_reason="private words")
        add_checkin(session, maria, today - timedelta(days=3), mood=4, craving=0,
                    used_substances=True)
        add_checkin(session, maria, today - timedelta(days=40), mood=5)
    at = no_exception(new_app(maria).switch_page("../pages/my_progress.py").run())
    [days] = [e for e in at.expander if e.label == "Day by day"]
    assert not at.dataframe  # drawn only when opened
    at.session_state["progress_days_table"] = True  # what opening it sends
    no_exception(at.run())
    [table] = at.dataframe
    frame = table.value
    assert list(frame.columns) == ["Date", "Mood", "Craving", "Hard day", "Used"]
    assert frame.to_dict("records") == [
        {"Date": today - timedelta(days=1), "Mood": "2 Low", "Craving": 7, "Hard day": "Yes",
         "Used": "No"},
        {"Date": today - timedelta(days=3), "Mood": "4 Good", "Craving": 0, "Hard day": "No",
         "Used": "Yes"},
    ]  # the chart's 30 days, newest first, and never the words written
    by_label(at.segmented_control, "Range").set_value(90).run()
    assert len(at.dataframe[0].value) == 3
