"""Reads of member data: only consented categories, 'not shared' as None, one audit event."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.errors import NotFound
from dashboard.records import member_record, open_flags_queue, shared_members_overview
from models import AuditEvent, Flag
from tests.factories import NOW, add_checkin, grant, make_user

TODAY = NOW.date()


@pytest.fixture
def caseload(session):
    counselor = make_user(session, "carla", "counselor")
    ana = make_user(session, "anabel", "member", name="Ana A.", sobriety_date=TODAY - timedelta(days=90))
    ben = make_user(session, "benny", "member", name="Ben B.")
    cy = make_user(session, "cyd", "member", name="Cy C.")
    grant(session, ana, counselor, "checkins", "steps", "flags", "notes", purpose="counseling")
    grant(session, ben, counselor, "steps", purpose="counseling")
    grant(session, cy, counselor, "checkins", purpose="counseling",
          revoked_at=NOW - timedelta(hours=1))
    for days_ago, mood, craving in [(0, 4, 1), (1, 2, 8), (2, 3, 3), (9, 1, 9)]:
        add_checkin(session, ana, TODAY - timedelta(days=days_ago), mood=mood, craving=craving,
                    hard_day=days_ago == 1, hard_day_reason="Rough call with my ex"
                    if days_ago == 1 else None, journal="private words")
    add_checkin(session, ben, TODAY, mood=5, craving=0)
    add_checkin(session, cy, TODAY, mood=1, craving=10)
    for member, severity, status in [(ana, "high", "open"), (ana, "medium", "open"),
                                     (ben, "high", "open")]:
        session.add(Flag(member_id=member.id, rule_id="high_craving", severity=severity,
                         raised_on=TODAY, episode_key=f"{severity}-{member.id}",
                         reason="Craving 8/10", quoted_text="Rough call with my ex",
                         status=status, created_at=NOW))
    session.commit()
    return counselor, ana, ben, cy


def audit_count(session):
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view"))


def test_overview_lists_only_consenting_members_with_shared_values(session_factory, session,
                                                                    caseload):
    counselor, ana, ben, cy = caseload
    with session_factory.begin() as s:
        rows = shared_members_overview(session=s, actor=counselor, purpose="counseling",
                                       screen="Caseload", now=NOW)
    by_name = {r.display_name: r for r in rows}
    assert set(by_name) == {"Ana A.", "Ben B."}  # Cy revoked an hour ago
    a = by_name["Ana A."]
    assert (a.checkins_7d, a.max_craving_7d, a.last_checkin) == (3, 8, TODAY)
    assert a.mean_mood_7d == pytest.approx(3.0)
    assert (a.days_sober, a.current_step, a.open_flags, a.risk) == (90, 1, 2, "high")
    b = by_name["Ben B."]
    assert (b.checkins_7d, b.mean_mood_7d, b.max_craving_7d, b.days_sober) == (None,) * 4
    assert (b.open_flags, b.risk, b.current_step) == (None, None, 1)
    assert rows[0].display_name == "Ana A."  # highest risk first
    assert audit_count(session) == 2


def test_record_hides_what_is_not_shared(session_factory, session, caseload):
    counselor, ana, ben, _ = caseload
    with session_factory.begin() as s:
        record = member_record(session=s, actor=counselor, member_id=ben.id,
                               purpose="counseling", screen="Client detail", now=NOW)
    assert record.checkins is None and record.flags is None and record.sobriety_date is None
    assert record.steps is not None and all(s.notes is None for s in record.steps)
    with session_factory.begin() as s:
        full = member_record(session=s, actor=counselor, member_id=ana.id,
                             purpose="counseling", screen="Client detail", now=NOW, days=7)
    assert [c.local_date for c in full.checkins] == [TODAY - timedelta(days=n) for n in (0, 1, 2)]
    assert full.checkins[1].hard_day_reason == "Rough call with my ex"
    assert full.flags[0].quoted_text == "Rough call with my ex"
    assert audit_count(session) == 2


def test_revoked_member_is_not_found_and_the_attempt_is_audited(session_factory, session,
                                                                 caseload):
    counselor, _, _, cy = caseload
    with pytest.raises(NotFound), session_factory.begin() as s:
        member_record(session=s, actor=counselor, member_id=cy.id, purpose="counseling",
                      screen="Client detail", now=NOW)
    event = session.scalars(select(AuditEvent).where(AuditEvent.member_id == cy.id)).one()
    assert (event.outcome, event.actor_id) == ("denied", counselor.id)


def test_alert_queue_holds_flags_of_members_who_share_flags(session_factory, session, caseload):
    counselor, ana, ben, _ = caseload
    with session_factory.begin() as s:
        alerts = open_flags_queue(session=s, actor=counselor, purpose="counseling",
                                  screen="Alerts", now=NOW)
    assert [(a.member_id, a.severity) for a in alerts] == [(ana.id, "high"), (ana.id, "medium")]
    assert alerts[0].quoted_text == "Rough call with my ex"
