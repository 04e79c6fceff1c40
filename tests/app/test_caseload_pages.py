"""Caseload and Alerts, driven as a counselor would, on demo data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dashboard import clock
from dashboard.alert_queue import PAGE_SIZE
from dashboard.member_record import shared_member_choices
from dashboard.web.member_record import CONTACT_FORM, FLAGS_TABLE, detail_query
from models import AuditEvent, Consent, ContactEntry, Flag, FlagFollowUp, User
from tests.app.conftest import by_label, no_exception, shown, titles
from tests.factories import NOW

FIGURE_SPACE = "\u2007"


@pytest.fixture
def sqlite_url(demo_sqlite_url):
    """The demo caseload (tests/app/conftest.py), a copy for each test."""
    return demo_sqlite_url




def open_page(new_app, actor, page):
    at = no_exception(new_app(actor).run(timeout=60))
    return no_exception(at.switch_page(f"../pages/{page}").run(timeout=60))


def table(at):
    assert len(at.dataframe) == 1
    return at.dataframe[0].value


def risks(frame) -> list[str]:
    return [cell[0] for cell in frame["Risk"]]


def number(cell: str) -> int | None:
    cell = cell.strip(FIGURE_SPACE)
    return int(cell) if cell.isdigit() else None


# --- Caseload ----------------------------------------------------------------------------


def test_caseload_lists_every_client_with_the_metrics_strip(new_app, app_db, counselor):
    at = open_page(new_app, counselor, "caseload.py")
    assert titles(at) == ["Caseload"]
    assert any("Confidential" in c.value for c in at.caption)
    with app_db() as session:
        clients = shared_member_choices(session=session, actor=counselor, purpose="counseling",
                                        now=NOW)
    frame = table(at)
    assert sorted(frame["Client"]) == sorted(clients.values())
    assert any(c.value.startswith(f"Showing all {len(clients)} clients.") for c in at.caption)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Clients"] == str(len(clients))
    assert set(metrics) == {"Clients", "High flags needing my action",
                            "No check-in for 3+ days", "7-day adherence"}
    assert metrics["7-day adherence"].endswith("%")
    # The person who needs a call first is on top: high risk first, then medium.
    # Each Risk cell is a word, which is what a screen reader reads out.
    order = {"High": 0, "Medium": 1, "Low": 2, "None": 3, "Not shared": 4}
    assert [order[r] for r in risks(frame)] == sorted(order[r] for r in risks(frame))
    assert "High" in risks(frame)
    # The charts wait to be asked for; then both come, each with its sentence.
    assert not at.get("plotly_chart")
    assert not any(c.value.startswith("Over the last 28 days") for c in at.caption)
    by_label(at.toggle, "Show charts of risk levels and recent check-ins").set_value(True)
    no_exception(at.run(timeout=60))
    assert len(at.get("plotly_chart")) == 2
    assert any(c.value.startswith("Of the ") for c in at.caption)
    assert any(c.value.startswith("Over the last 28 days") for c in at.caption)
    assert sorted(table(at)["Client"]) == sorted(clients.values())


def test_caseload_heatmap_gives_its_days_in_words_when_asked(new_app, counselor):
    at = open_page(new_app, counselor, "caseload.py")
    by_label(at.toggle, "Show charts of risk levels and recent check-ins").set_value(True)
    no_exception(at.run(timeout=60))
    assert "Day by day" in {e.label for e in at.expander}
    assert not at.table  # drawn only when opened
    at.session_state["caseload_heatmap_table"] = True  # what opening it sends
    no_exception(at.run(timeout=60))
    [words] = at.table
    frame = words.value
    assert list(frame.columns) == ["Client", "Check-ins", "Days without a check-in"]
    # The heatmap's rows: the first clients of the table who share check-ins, in its order.
    shown = list(table(at)["Client"])
    assert 0 < len(frame) <= 40
    assert list(frame["Client"]) == [name for name in shown if name in set(frame["Client"])]
    for checked_in, missed in zip(frame["Check-ins"], frame["Days without a check-in"]):
        count = int(re.fullmatch(r"(\d+) of 28", checked_in).group(1))
        assert (missed == "none") == (count == 28)
        assert (missed == "all 28 days") == (count == 0)


def test_filtering_to_high_risk_and_searching(new_app, counselor):
    at = open_page(new_app, counselor, "caseload.py")
    everyone = len(table(at))
    by_label(at.multiselect, "Risk level").set_value(["high"]).run(timeout=60)
    no_exception(at)
    high = table(at)
    assert 0 < len(high) < everyone and set(risks(high)) == {"High"}
    assert any(c.value.startswith(f"Showing {len(high)} of {everyone} clients.")
               for c in at.caption)

    name = high["Client"][0]
    by_label(at.text_input, "Search by name").input(name.lower()).run(timeout=60)
    assert list(table(no_exception(at))["Client"]) == [name]
    by_label(at.text_input, "Search by name").input("nobody by this name").run(timeout=60)
    assert not at.dataframe and any("No client matches" in i.value for i in at.info)


def test_six_runs_of_the_caseload_are_one_view_per_client(new_app, app_db, counselor,
                                                          time_machine):
    """The home screen opened, then five filters and sorts in five minutes: each client's
    view is one event, seen six times, from the first run to the last."""
    at = no_exception(new_app(counselor).run(timeout=60))
    assert titles(at) == ["Caseload"]
    clients = len(table(at))
    changes = [
        lambda: by_label(at.multiselect, "Risk level").set_value(["high"]),
        lambda: by_label(at.text_input, "Search by name").input("a"),
        lambda: by_label(at.text_input, "Search by name").input(""),
        lambda: by_label(at.multiselect, "Risk level").set_value([]),
        lambda: by_label(at.selectbox, "Sort by").set_value("days_silent:desc"),
    ]
    for minutes, change in enumerate(changes, start=1):
        time_machine.move_to(NOW + timedelta(minutes=minutes), tick=False)
        change().run(timeout=60)
        no_exception(at)
    with app_db() as session:
        views = session.execute(
            select(AuditEvent.member_id, AuditEvent.at, AuditEvent.seen_count,
                   AuditEvent.last_seen_at)
            .where(AuditEvent.actor_id == counselor.id, AuditEvent.action == "view",
                   AuditEvent.screen == "Caseload")).all()
    assert len(views) == len({v.member_id for v in views}) == clients
    assert {tuple(v[1:]) for v in views} == {(NOW, 6, NOW + timedelta(minutes=5))}


def test_sorting_by_days_silent(new_app, counselor):
    at = open_page(new_app, counselor, "caseload.py")
    by_label(at.selectbox, "Sort by").set_value("days_silent:desc").run(timeout=60)
    silent = [number(c) for c in table(no_exception(at))["Days silent"]]
    known = [n for n in silent if n is not None]
    assert known == sorted(known, reverse=True) and known[0] > known[-1]


def test_export_writes_the_rows_shown_and_one_export_event_per_client(
        new_app, app_db, counselor):
    at = open_page(new_app, counselor, "caseload.py")
    by_label(at.multiselect, "Risk level").set_value(["high", "medium"]).run(timeout=60)
    shown_clients = list(table(no_exception(at))["Client"])
    assert not at.get("download_button")  # nothing leaves before the counselor asks

    [b for b in at.button if b.label == "Export these rows as CSV"][0].click().run(timeout=60)
    no_exception(at)
    assert [d.label for d in at.get("download_button")] == ["Download caseload.csv"]
    with app_db() as session:
        exported = session.execute(
            select(User.display_name, func.count()).join(AuditEvent,
                                                         AuditEvent.member_id == User.id)
            .where(AuditEvent.action == "export", AuditEvent.actor_id == counselor.id,
                   AuditEvent.screen == "Caseload")
            .group_by(User.display_name)).all()
    assert sorted(exported) == sorted((name, 1) for name in shown_clients)


# --- Alerts ------------------------------------------------------------------------------


def alert_headers(at) -> list[str]:
    return [shown(m.value) for m in at.markdown if "-badge[" in m.value and "raised" in m.value]


def test_alerts_list_open_flags_most_severe_first_with_the_crisis_lines(new_app, counselor):
    at = open_page(new_app, counselor, "alerts.py")
    assert titles(at) == ["Alerts"]
    assert any("Confidential" in c.value for c in at.caption)
    headers = alert_headers(at)
    assert headers and headers[0].startswith(":red-badge[High]")
    severities = [h.split("[")[1].split("]")[0] for h in headers]
    rank = {"High": 0, "Medium": 1, "Low": 2}
    assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)
    crisis = [m for m in at.markdown if "988" in m.value and "1-800-662-4357" in m.value]
    assert len(crisis) == severities.count("High")
    # Each card opens its client's detail with a link that names them, in its words and
    # in its query.
    links = [e.proto for e in at.get("page_link") if e.proto.page.endswith("client_detail")]
    assert len(links) == len(headers)
    assert all(re.fullmatch(r"client=\d+", link.query_string) for link in links)
    assert all(link.label.startswith("Open ") and link.label[5:] in header
               for link, header in zip(links, [m.value for m in at.markdown
                                               if "-badge[" in m.value and "raised" in m.value]))

    by_label(at.multiselect, "Severity").set_value(["medium"]).run(timeout=60)
    severities = [h.split("[")[1].split("]")[0] for h in alert_headers(no_exception(at))]
    assert severities and set(severities) == {"Medium"}
    assert not [m for m in at.markdown if "988" in m.value]


def open_form(at) -> int:
    """Open the acknowledgement form of the first open alert (one form at a time); its flag."""
    starts = [b for b in at.button if b.key and b.key.startswith("start_")]
    assert starts, "the demo gives counselor1 open flags"
    assert not [r for r in at.radio if r.label.startswith("How did you reach out to ")]
    flag_id = int(starts[0].key.removeprefix("start_"))
    starts[0].click().run(timeout=60)
    no_exception(at)
    assert len([r for r in at.radio if r.label.startswith("How did you reach out to ")]) == 1
    return flag_id


def outreach(at, flag_id: int):
    """The open form's "How did you reach out to <client>?"."""
    return at.radio(key=f"method_{flag_id}")


def test_acknowledging_and_resolving_in_place(new_app, app_db, counselor):
    at = open_page(new_app, counselor, "alerts.py")
    flag_id = open_form(at)
    outreach(at, flag_id).set_value("called")
    at.text_input(key=f"typed:{counselor.id}:note_{flag_id}").input(
        "Called; going to a meeting tonight")
    at.button(key=f"acknowledge_{flag_id}").click().run(timeout=60)
    no_exception(at)
    assert any("acknowledged" in s.value for s in at.success)
    with app_db() as session:
        mine = session.scalars(select(FlagFollowUp).where(FlagFollowUp.flag_id == flag_id)
                               .where(FlagFollowUp.viewer_id == counselor.id)).one()
        entry = session.get(ContactEntry, mine.contact_id)
        assert (mine.status, entry.method, entry.note) == (
            "acknowledged", "called", "Called; going to a meeting tonight")

    at.button(key=f"resolve_{flag_id}").click().run(timeout=60)
    no_exception(at)
    assert any("resolved" in s.value for s in at.success)
    with app_db() as session:
        assert my_follow_up(session, flag_id, counselor) == "resolved"


def my_follow_up(session, flag_id, viewer) -> str:
    """The viewer's own follow-up of a flag: "open" until they acknowledge it."""
    status = session.scalar(select(FlagFollowUp.status).where(
        FlagFollowUp.flag_id == flag_id, FlagFollowUp.viewer_id == viewer.id))
    return status or "open"


def test_acknowledging_without_saying_how_is_refused_beside_the_form(new_app, app_db,
                                                                     counselor):
    at = open_page(new_app, counselor, "alerts.py")
    flag_id = open_form(at)
    at.button(key=f"acknowledge_{flag_id}").click().run(timeout=60)
    no_exception(at)
    assert [e.value for e in at.error] == [
        "Choose how you reached out: called, texted, in person, at a meeting or other."]
    with app_db() as session:
        assert my_follow_up(session, flag_id, counselor) == "open"


def test_acknowledging_after_the_client_stopped_sharing_records_nothing(new_app, app_db,
                                                                         counselor):
    at = open_page(new_app, counselor, "alerts.py")
    flag_id = open_form(at)
    radio = outreach(at, flag_id)
    with app_db.begin() as session:
        # The client revokes while the counselor has the page open.
        member_id = session.get(Flag, flag_id).member_id
        session.execute(update(Consent).where(Consent.member_id == member_id,
                                              Consent.recipient_id == counselor.id)
                        .values(revoked_at=clock.now() - timedelta(seconds=1)))
    radio.set_value("texted")
    at.button(key=f"acknowledge_{flag_id}").click().run(timeout=60)
    no_exception(at)
    # The page reads the queue again first: the flag is gone, and so is its form.
    assert not [r for r in at.radio if r.key == f"method_{flag_id}"]
    assert not at.success
    with app_db() as session:
        assert my_follow_up(session, flag_id, counselor) == "open"


def test_alerts_page_through_a_long_queue(new_app, counselor):
    at = open_page(new_app, counselor, "alerts.py")
    pagers = at.get("pagination")
    assert len(pagers) == 1, "the demo gives counselor1 more than one page of flags"
    first_page = alert_headers(at)
    assert len(first_page) == PAGE_SIZE == 10
    pagers[0].select(2).run(timeout=60)
    second_page = alert_headers(no_exception(at))
    assert second_page and not set(second_page) & set(first_page)
    # A filter starts again from the first page.
    by_label(at.multiselect, "Severity").set_value(["high", "medium"]).run(timeout=60)
    assert alert_headers(no_exception(at)) == first_page


def detail_views(app_db, viewer) -> list[tuple[int, str]]:
    """The detail screen's view events of `viewer`: (member, outcome), in order."""
    with app_db() as session:
        return [tuple(e) for e in session.execute(
            select(AuditEvent.member_id, AuditEvent.outcome)
            .where(AuditEvent.actor_id == viewer.id, AuditEvent.action == "view",
                   AuditEvent.screen == "Client detail").order_by(AuditEvent.id))]


def test_client_detail_discloses_nobody_until_a_client_is_picked(new_app, app_db, counselor):
    """Opened from the menu, the screen lists the names of the clients who share and shows,
    reads and records nobody's data (it once showed the alphabetically first client)."""
    at = open_page(new_app, counselor, "client_detail.py")
    assert titles(at) == ["Client detail"]
    picker = by_label(at.selectbox, "Client")
    assert picker.value is None and len(picker.options) > 1
    assert any("Choose a client" in i.value for i in at.info)
    assert not at.header and not at.dataframe and not at.metric
    no_exception(at.run(timeout=60))  # a rerun picks nobody either
    assert detail_views(app_db, counselor) == []

    with app_db() as session:
        first, *_, last = shared_member_choices(session=session, actor=counselor,
                                                purpose="counseling", now=NOW)
    by_label(at.selectbox, "Client").set_value(first).run(timeout=60)
    no_exception(at)
    assert any(c.value.startswith("Shares with you:") for c in at.caption)
    assert "Flag history" in [s.value for s in at.header]
    assert detail_views(app_db, counselor) == [(first, "allowed")]

    # Leaving for another screen and coming back from the menu: nobody picked again.
    no_exception(at.switch_page("../pages/account.py").run(timeout=60))
    no_exception(at.switch_page("../pages/client_detail.py").run(timeout=60))
    assert by_label(at.selectbox, "Client").value is None
    assert detail_views(app_db, counselor) == [(first, "allowed")]

    # A client opened from a list screen (Caseload's row, Alerts' "Open <name>") is named
    # in the link's query, shown at once, once; the name leaves the address.
    at.query_params.update(detail_query("client", last))
    no_exception(at.run(timeout=60))
    assert by_label(at.selectbox, "Client").value == last
    assert "client" not in at.query_params
    assert detail_views(app_db, counselor) == [(first, "allowed"), (last, "allowed")]
    no_exception(at.run(timeout=60))
    assert by_label(at.selectbox, "Client").value == last
    assert detail_views(app_db, counselor) == [(first, "allowed"), (last, "allowed")]


@pytest.mark.parametrize("named", ["own account", "999999999", "abc", "-5", "1e3", "9" * 40])
def test_a_link_naming_nobody_who_shares_opens_nobody(new_app, app_db, counselor, named):
    at = open_page(new_app, counselor, "client_detail.py")
    at.query_params["client"] = str(counselor.id) if named == "own account" else named
    no_exception(at.run(timeout=60))
    assert by_label(at.selectbox, "Client").value is None
    assert [w.value for w in at.warning] == [
        "The link names no client who shares their data with you now. Choose a client below."]
    assert "client" not in at.query_params
    assert detail_views(app_db, counselor) == []


def test_a_records_tables_are_drawn_when_asked_for(new_app, app_db, counselor):
    at = open_page(new_app, counselor, "client_detail.py")
    with app_db() as session:
        first, *_, last = shared_member_choices(session=session, actor=counselor,
                                                purpose="counseling", now=NOW)
    by_label(at.selectbox, "Client").set_value(first).run(timeout=60)
    no_exception(at)
    # Closed, and nothing drawn in them, under their headings; the chart is there.
    assert {"Day by day", "Every flag"} <= {e.label for e in at.expander}
    assert not at.dataframe and len(at.get("plotly_chart")) == 1
    at.session_state[FLAGS_TABLE] = True  # the flags opened
    no_exception(at.run(timeout=60))
    assert [list(frame.value.columns)[:3] for frame in at.dataframe] == [
        ["Raised", "Severity", "Rule"]]
    # Still open for the next client, and closed again when asked.
    by_label(at.selectbox, "Client").set_value(last).run(timeout=60)
    assert at.session_state[FLAGS_TABLE] is True and len(no_exception(at).dataframe) <= 1
    at.session_state[FLAGS_TABLE] = False
    assert not no_exception(at.run(timeout=60)).dataframe


def test_client_detail_over_each_range_with_the_consent_summary(new_app, app_db, counselor):
    at = open_page(new_app, counselor, "client_detail.py")
    with app_db() as session:
        first, *_, last = shared_member_choices(session=session, actor=counselor,
                                                purpose="counseling", now=NOW)
    by_label(at.selectbox, "Client").set_value(first).run(timeout=60)
    no_exception(at)
    assert any("Confidential" in c.value for c in at.caption)
    assert any(c.value.startswith("Shares with you:") for c in at.caption)
    assert "Flag history" in [s.value for s in at.header]
    for days in (7, 90, 365):
        at.segmented_control[0].set_value(days).run(timeout=60)
        no_exception(at)
        assert by_label(at.selectbox, "Client").value == first  # the pick stays
    by_label(at.selectbox, "Client").set_value(last).run(timeout=60)
    no_exception(at)
    assert by_label(at.selectbox, "Client").value == last



def test_client_detail_ranges_are_one_visit_of_the_client(new_app, app_db, counselor):
    at = open_page(new_app, counselor, "client_detail.py")
    with app_db() as session:
        first = next(iter(shared_member_choices(session=session, actor=counselor,
                                                purpose="counseling", now=NOW)))
    by_label(at.selectbox, "Client").set_value(first).run(timeout=60)
    for days in (7, 90, 365):
        no_exception(at.segmented_control[0].set_value(days).run(timeout=60))
    with app_db() as session:
        seen = session.scalars(select(AuditEvent.seen_count).where(
            AuditEvent.actor_id == counselor.id, AuditEvent.screen == "Client detail",
            AuditEvent.action == "view")).all()
    assert seen == [4]


def test_a_counselor_adds_to_their_contact_log_from_client_detail(new_app, app_db, counselor):
    at = open_page(new_app, counselor, "client_detail.py")
    with app_db() as session:
        first = next(iter(shared_member_choices(session=session, actor=counselor,
                                                purpose="counseling", now=NOW)))
        before = session.scalar(select(func.count()).select_from(ContactEntry).where(
            ContactEntry.viewer_id == counselor.id, ContactEntry.member_id == first))
    by_label(at.selectbox, "Client").set_value(first).run(timeout=60)
    assert "Your contact log" in [s.value for s in at.header]
    # The form waits to be asked for.
    assert not [b for b in at.button if b.label == "Add to my contact log"]
    at.session_state[CONTACT_FORM] = True  # "Add an entry" opened
    at.run(timeout=60)
    # Without saying how: refused, nothing written.
    [b for b in at.button if b.label == "Add to my contact log"][0].click().run(timeout=60)
    no_exception(at)
    assert any("Choose how you were in touch" in e.value for e in at.error)
    by_label(at.radio, "How were you in touch?").set_value("meeting")
    by_label(at.text_area, "Note (optional)").input("Saw him at the Tuesday group")
    [b for b in at.button if b.label == "Add to my contact log"][0].click().run(timeout=60)
    no_exception(at)
    assert any("added to your log" in s.value for s in at.success)
    with app_db() as session:
        entries = session.scalars(select(ContactEntry).where(
            ContactEntry.viewer_id == counselor.id, ContactEntry.member_id == first,
            ContactEntry.kind == "contact")).all()
        count = session.scalar(select(func.count()).select_from(ContactEntry).where(
            ContactEntry.viewer_id == counselor.id, ContactEntry.member_id == first))
    assert count == before + 1
    assert [(e.method, e.note) for e in entries][-1] == ("meeting", "Saw him at the Tuesday group")
    assert any("Saw him at the Tuesday group" in m.value for m in at.markdown)


def test_a_refused_contact_entry_keeps_the_note_a_saved_one_clears_it(new_app, app_db,
                                                                       counselor):
    at = open_page(new_app, counselor, "client_detail.py")
    with app_db() as session:
        first = next(iter(shared_member_choices(session=session, actor=counselor,
                                                purpose="counseling", now=NOW)))
    by_label(at.selectbox, "Client").set_value(first).run(timeout=60)
    at.session_state[CONTACT_FORM] = True  # "Add an entry" opened
    at.run(timeout=60)
    by_label(at.text_area, "Note (optional)").input("Long talk about the weekend")
    [b for b in at.button if b.label == "Add to my contact log"][0].click().run(timeout=60)
    no_exception(at)
    assert any("Choose how you were in touch" in e.value for e in at.error)
    assert by_label(at.text_area, "Note (optional)").value == "Long talk about the weekend"
    by_label(at.radio, "How were you in touch?").set_value("called")
    [b for b in at.button if b.label == "Add to my contact log"][0].click().run(timeout=60)
    no_exception(at)
    assert any("added to your log" in s.value for s in at.success)
    assert by_label(at.text_area, "Note (optional)").value == ""  # no second entry by mistake
