"""The administrator's audit log and its CSV (dashboard/audit_log.py)."""

import csv
import io
from datetime import timedelta

from dashboard.audit import record_event
from dashboard.audit_log import audit_csv, audit_log
from dashboard.policy import audit_disclosures
from dashboard.sharing import accounting_of_disclosures, views_of_my_data
from tests.factories import NOW, make_user


def test_the_csv_holds_the_rows_shown_and_defuses_formulas(session_factory, session):
    admin = make_user(session, "root", "admin")
    member = make_user(session, "mallory", "member")
    record_event(session, actor_id=member.id, action="login_failed", outcome="denied", at=NOW,
                 detail="@SUM(1+1)")
    session.commit()
    with session_factory.begin() as s:
        rows = audit_log(session=s, actor=admin, now=NOW)
    exported = list(csv.DictReader(io.StringIO(audit_csv(rows))))
    assert len(exported) == len(rows) == 3  # two accounts created, one failed login
    assert (exported[0]["actor"], exported[0]["action"], exported[0]["detail"],
            exported[0]["at"]) == ("mallory", "login_failed", "'@SUM(1+1)", NOW.isoformat())


def test_what_the_administrator_saw_of_a_member_is_in_their_accounting(session_factory,
                                                                       session):
    """An admin's search of the log showed events about a member and left nothing in the
    member's own record of who looked."""
    admin = make_user(session, "root", "admin")
    maria = make_user(session, "maria", "member", name="Maria G.")
    record_event(session, actor_id=maria.id, actor_role="member", action="checkin_saved",
                 member_id=maria.id, categories=("checkins",), at=NOW)
    session.commit()
    with session_factory.begin() as s:
        audit_log(session=s, actor=admin, now=NOW, member_username="maria")
    with session_factory.begin() as s:
        seen = views_of_my_data(session=s, actor=maria)
        accounting = accounting_of_disclosures(session=s, actor=maria, now=NOW)
    assert [(v.viewer_id, v.action, v.screen) for v in seen] == [
        (admin.id, "audit_log_viewed", "Audit log")]
    assert "audit_log_viewed" in [r["action"] for r in csv.DictReader(io.StringIO(accounting))]


def test_every_event_is_listed_with_its_times_seen_and_last_time(session_factory, session):
    """A caseload rerun within its visit extends the event: the log and its CSV say how
    many runs it stands for and when the last was."""
    admin = make_user(session, "root", "admin")
    carla = make_user(session, "carla", "counselor")
    maria = make_user(session, "maria", "member")
    session.commit()
    for minutes in (0, 3, 7):
        with session_factory.begin() as s:
            audit_disclosures(s, actor=carla, granted_by_member={maria.id: {"checkins"}},
                              purpose="counseling", screen="Caseload",
                              at=NOW + timedelta(minutes=minutes))
    with session_factory.begin() as s:
        rows = audit_log(session=s, actor=admin, now=NOW, action="view")
    assert [(r.actor, r.member, r.at, r.seen_count, r.last_seen_at) for r in rows] == [
        ("carla", "maria", NOW, 3, NOW + timedelta(minutes=7))]
    [exported] = csv.DictReader(io.StringIO(audit_csv(rows)))
    assert (exported["at"], exported["seen_count"], exported["last_seen_at"]) == (
        NOW.isoformat(), "3", (NOW + timedelta(minutes=7)).isoformat())
