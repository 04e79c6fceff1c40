"""Every read of member data leaves exactly one audit event per member, with the right fields
(a list screen's reruns within a visit extend it: its count and last time), and the audit
trail has no way to be changed but that."""

import inspect
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import dashboard.member_record
from dashboard import alert_queue, audit, caseload, caseload_table
from dashboard.member_record import member_record
from models import AuditEvent, Flag
from tests.factories import NOW, add_checkin, grant, make_user

WORDS = "my private words about a hard day"

# Every service that returns member data, with how to call it for one member.
DISCLOSING = {
    "member_record": lambda s, viewer, member: member_record(
        session=s, actor=viewer, member_id=member.id, purpose="counseling",
        screen="Client detail", now=NOW),
}
EXPECTED_CATEGORIES = {
    "member_record": "checkins,flags,notes,steps",
}
NOT_DISCLOSING = {"shared_member_choices"}  # names only


def test_every_public_reader_of_member_data_is_covered_here():
    public = {name for name, fn in inspect.getmembers(dashboard.member_record, inspect.isfunction)
              if fn.__module__ == "dashboard.member_record" and not name.startswith("_")}
    assert public == set(DISCLOSING) | NOT_DISCLOSING


@pytest.mark.parametrize("service", sorted(DISCLOSING))
def test_one_call_one_event_with_the_right_fields(session_factory, session, service):
    counselor = make_user(session, "carla", "counselor")
    member = make_user(session, "maria", "member")
    grant(session, member, counselor, "checkins", "steps", "flags", "notes", purpose="counseling")
    checkin = add_checkin(session, member, NOW.date(), hard_day=True, hard_day_reason=WORDS,
                          journal=WORDS, used_substances=True)
    session.add(Flag(member_id=member.id, rule_id="hard_day", severity="medium",
                     raised_on=NOW.date(), episode_key="e", reason="Marked a hard day",
                     quoted_text=WORDS, checkin_id=checkin.id, created_at=NOW))
    session.commit()
    before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    session.commit()  # end this read snapshot, so the service's events are seen below
    with session_factory.begin() as s:
        DISCLOSING[service](s, counselor, member)
    events = session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert len(events) == 1
    event = events[0]
    assert (event.actor_id, event.actor_role, event.member_id, event.action, event.outcome,
            event.purpose) == (counselor.id, "counselor", member.id, "view", "allowed",
                               "counseling")
    assert event.categories == EXPECTED_CATEGORIES[service]
    assert event.screen and event.at == NOW
    values = " ".join(str(v) for v in (event.detail, event.categories, event.screen, event.action))
    assert WORDS not in values and "used" not in values


# The counselor's screens (caseload.py, caseload_table.py, alert_queue.py), covered the same way.
CASELOAD_DISCLOSING = {
    "caseload_for": lambda s, viewer, now: caseload.caseload_for(session=s, actor=viewer,
                                                                 now=now),
    "caseload_view": lambda s, viewer, now: caseload.caseload_view(session=s, actor=viewer,
                                                                   now=now),
    "alert_queue": lambda s, viewer, now: alert_queue.alert_queue(session=s, actor=viewer,
                                                                  now=now),
}
CASELOAD_EXPECTED = {"caseload_for": ("Caseload", "checkins,flags,steps"),
                     "caseload_view": ("Caseload", "checkins,flags,steps"),
                     "alert_queue": ("Alerts", "flags,notes")}
# One "export" event per client exported: tests/integration/test_caseload.py.
CASELOAD_EXPORTING = {"export_caseload_csv"}
CASELOAD_PURE = {"filter_caseload", "sort_caseload", "screen_table", "caseload_csv",
                 "caseload_metrics", "showing_sentence", "step_choice_label", "high_risk_names",
                 "require_counselor", "restricted_to"}


def test_every_public_function_of_the_caseload_is_covered_here():
    public = {name for module in (caseload, caseload_table, alert_queue)
              for name, fn in inspect.getmembers(module, inspect.isfunction)
              if fn.__module__ == module.__name__ and not name.startswith("_")}
    assert public == set(CASELOAD_DISCLOSING) | CASELOAD_EXPORTING | CASELOAD_PURE


@pytest.mark.parametrize("service", sorted(CASELOAD_DISCLOSING))
def test_caseload_services_write_one_event_per_client_per_visit(session_factory, session,
                                                                 service):
    counselor = make_user(session, "carla", "counselor")
    member = make_user(session, "maria", "member")
    grant(session, member, counselor, "checkins", "steps", "flags", "notes", purpose="counseling")
    checkin = add_checkin(session, member, NOW.date(), hard_day=True, hard_day_reason=WORDS)
    session.add(Flag(member_id=member.id, rule_id="hard_day", severity="medium",
                     raised_on=NOW.date(), episode_key="e", reason="Marked a hard day",
                     quoted_text=WORDS, checkin_id=checkin.id, created_at=NOW))
    session.commit()
    before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    session.commit()
    # The screen run three times (a filter changed, a page turned) within the visit.
    for minutes in (0, 4, 9):
        with session_factory.begin() as s:
            CASELOAD_DISCLOSING[service](s, counselor, NOW + timedelta(minutes=minutes))
    events = session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.actor_id, e.actor_role, e.member_id, e.action, e.outcome, e.purpose,
             e.screen, e.categories, e.at, e.seen_count, e.last_seen_at) for e in events] == [
        (counselor.id, "counselor", member.id, "view", "allowed", "counseling",
         *CASELOAD_EXPECTED[service], NOW, 3, NOW + timedelta(minutes=9))]
    assert WORDS not in f"{events[0].detail} {events[0].categories}"


DASHBOARD = Path(dashboard.member_record.__file__).resolve().parent


def test_no_code_path_deletes_audit_events_or_changes_what_they_say():
    """The one update is a visit's count and last time (dashboard/audit.py, extend_visits),
    outside the HMAC; nothing deletes an event."""
    pattern = re.compile(
        r"(update|delete)\(\s*AuditEvent|AuditEvent\.__table__\.(update|delete)"
        r"|(UPDATE|DELETE FROM)\s+audit_events", re.IGNORECASE)
    offenders = {str(path.relative_to(DASHBOARD.parent)): len(pattern.findall(path.read_text()))
                 for path in DASHBOARD.rglob("*.py") if pattern.search(path.read_text())}
    assert offenders == {"dashboard/audit.py": 1}
    source = inspect.getsource(audit.extend_visits)
    assert "update(AuditEvent)" in source
    assert re.findall(r"\.values\(([^)]*)\)", source) == [
        "seen_count=AuditEvent.seen_count + 1, last_seen_at=at"]
    assert {"seen_count", "last_seen_at"}.isdisjoint(audit._HASHED_FIELDS)
