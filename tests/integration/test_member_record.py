"""Reads of member data: only consented categories, 'not shared' as None, one audit event."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.errors import NotFound
from dashboard.member_record import member_record
from models import AuditEvent, Flag
from tests.factories import NOW, add_checkin, follow_up, grant, make_user

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
    for member, severity in [(ana, "high"), (ana, "medium"), (ben, "high")]:
        session.add(Flag(member_id=member.id, rule_id="high_craving", severity=severity,
                         raised_on=TODAY, episode_key=f"{severity}-{member.id}",
                         reason="Craving 8/10", quoted_text="Rough call with my ex",
                         created_at=NOW))
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
    assert record.risk is None  # the member's risk is told by their flags
    assert record.steps is not None and all(s.notes is None for s in record.steps)
    with session_factory.begin() as s:
        full = member_record(session=s, actor=counselor, member_id=ana.id,
                             purpose="counseling", screen="Client detail", now=NOW, days=7)
    assert [c.local_date for c in full.checkins] == [TODAY - timedelta(days=n) for n in (0, 1, 2)]
    assert full.checkins[1].hard_day_reason == "Rough call with my ex"
    assert full.flags[0].quoted_text == "Rough call with my ex"
    assert full.risk == "high"
    assert audit_count(session) == 2


def test_each_viewer_reads_their_own_follow_up_and_the_member_none(session_factory, session,
                                                                   caseload):
    counselor, ana, _, _ = caseload
    sponsor = make_user(session, "sal", "member", "sponsor", name="Sal S.")
    grant(session, ana, sponsor, "flags")
    high, medium = session.scalars(select(Flag).where(Flag.member_id == ana.id)
                                   .order_by(Flag.severity)).all()
    follow_up(session, high, counselor, acknowledged=NOW - timedelta(hours=2), method="texted")
    follow_up(session, medium, sponsor, acknowledged=NOW - timedelta(hours=3),
              resolved=NOW - timedelta(hours=1), method="met")
    session.commit()

    def states(actor, purpose):
        with session_factory.begin() as s:
            record = member_record(session=s, actor=actor, member_id=ana.id, purpose=purpose,
                                   screen="Client detail" if purpose else "Today", now=NOW)
        return record.risk, {f.severity: (f.status, f.acknowledged_at, f.outreach_method,
                                          f.resolved_at) for f in record.flags}

    # Each viewer sees what they did, never what another did.
    assert states(counselor, "counseling") == ("high", {
        "high": ("acknowledged", NOW - timedelta(hours=2), "texted", None),
        "medium": ("open", None, None, None)})
    assert states(sponsor, "sponsorship") == ("high", {
        "high": ("open", None, None, None),
        "medium": ("resolved", NOW - timedelta(hours=3), "met", NOW - timedelta(hours=1))})
    # The member sees their flags, not who followed them up; their risk is the same for all,
    # whatever anyone did.
    assert states(ana, None) == ("high", {"high": ("open", None, None, None),
                                          "medium": ("open", None, None, None)})


def test_revoked_member_is_not_found_and_the_attempt_is_audited(session_factory, session,
                                                                 caseload):
    counselor, _, _, cy = caseload
    with pytest.raises(NotFound), session_factory.begin() as s:
        member_record(session=s, actor=counselor, member_id=cy.id, purpose="counseling",
                      screen="Client detail", now=NOW)
    event = session.scalars(select(AuditEvent).where(AuditEvent.member_id == cy.id)).one()
    assert (event.outcome, event.actor_id) == ("denied", counselor.id)


@pytest.fixture
def journal_keeper(session):
    """A member with a shared and a private journal entry, a hard day with a reason and
    a gratitude, and one viewer per sharing of interest."""
    member = make_user(session, "jules", "member", name="Jules J.")
    add_checkin(session, member, TODAY, journal="SHARED ENTRY", journal_shared=True,
                gratitude="THANKS", hard_day=True, hard_day_reason="WHY HARD")
    add_checkin(session, member, TODAY - timedelta(days=1), journal="PRIVATE ENTRY")
    viewers = {}
    for name, categories in {"notes": ("checkins", "notes"), "plain": ("checkins",),
                             "flags": ("checkins", "flags"),
                             "all": ("checkins", "steps", "flags", "notes")}.items():
        viewers[name] = make_user(session, f"viewer-{name}", "counselor")
        grant(session, member, viewers[name], *categories, purpose="counseling")
    session.commit()
    return member, viewers


def read(session_factory, actor, member, purpose="counseling"):
    with session_factory.begin() as s:
        return member_record(session=s, actor=actor, member_id=member.id, purpose=purpose,
                             screen="Client detail", now=NOW)


def test_a_viewer_reads_only_the_journal_entries_the_member_shared(session_factory,
                                                                    journal_keeper):
    member, viewers = journal_keeper
    # Notes shared: the entry marked shared, never the private one.
    assert [c.journal for c in read(session_factory, viewers["notes"], member).checkins] == [
        "SHARED ENTRY", None]
    assert [c.journal for c in read(session_factory, viewers["all"], member).checkins] == [
        "SHARED ENTRY", None]
    # Notes not shared: not even the entry marked shared.
    for name in ("plain", "flags"):
        record = read(session_factory, viewers[name], member)
        assert [c.journal for c in record.checkins] == [None, None]
        assert [c.journal_shared for c in record.checkins] == [None, None]
    # The member reads every entry of theirs, and which ones they shared.
    own = read(session_factory, member, member, purpose=None)
    assert [(c.journal, c.journal_shared) for c in own.checkins] == [
        ("SHARED ENTRY", True), ("PRIVATE ENTRY", False)]


def test_hard_days_go_with_flags_and_their_reasons_with_flags_and_notes(session_factory,
                                                                        journal_keeper):
    member, viewers = journal_keeper
    seen = {name: read(session_factory, viewer, member).checkins[0]
            for name, viewer in viewers.items()}
    # Check-ins alone: no hard day, not even as a yes/no.
    assert (seen["plain"].hard_day, seen["plain"].hard_day_reason) == (None, None)
    # Notes without flags: the member's words, but not the one that says the day was hard.
    assert (seen["notes"].hard_day, seen["notes"].hard_day_reason,
            seen["notes"].gratitude) == (None, None, "THANKS")
    # Flags without notes: the hard day, not its reason.
    assert (seen["flags"].hard_day, seen["flags"].hard_day_reason,
            seen["flags"].gratitude) == (True, None, None)
    assert (seen["all"].hard_day, seen["all"].hard_day_reason) == (True, "WHY HARD")
