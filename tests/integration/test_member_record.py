"""Reads of member data: only consented categories, 'not shared' as None, one audit event."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.errors import NotFound
from dashboard.member_record import member_record
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
