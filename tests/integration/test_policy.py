"""The consent policy on a real database: deny by default, only what is consented."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.errors import NotFound
from dashboard.policy import allowed_categories, disclose, visible_members
from models import CATEGORIES, AuditEvent, UserRole
from tests.factories import NOW, grant, make_user


@pytest.fixture
def people(session):
    member = make_user(session, "maria", "member")
    sponsor = make_user(session, "sam", "member", "sponsor")
    counselor = make_user(session, "carla", "counselor")
    other = make_user(session, "otto", "member")
    session.commit()
    return member, sponsor, counselor, other


def allowed(session, viewer, member, at=NOW, purpose=None):
    return allowed_categories(session, viewer_id=viewer.id, member_id=member.id, at=at,
                              purpose=purpose)


def test_no_consent_means_nothing(session, people):
    member, sponsor, counselor, _ = people
    assert allowed(session, sponsor, member) == frozenset()
    assert allowed(session, counselor, member) == frozenset()


def test_active_consent_grants_exactly_its_categories(session, people):
    member, sponsor, _, _ = people
    grant(session, member, sponsor, "checkins", "flags")
    assert allowed(session, sponsor, member) == {"checkins", "flags"}
    assert allowed(session, sponsor, member, purpose="counseling") == frozenset()


def test_union_over_active_consents(session, people):
    member, _, counselor, _ = people
    grant(session, member, counselor, "checkins", purpose="counseling")
    grant(session, member, counselor, "steps", purpose="counseling",
          starts_at=NOW - timedelta(days=1))
    assert allowed(session, counselor, member) == {"checkins", "steps"}


def test_expiry_ends_access_at_that_instant(session, people):
    member, sponsor, _, _ = people
    grant(session, member, sponsor, "checkins", expires_at=NOW)
    assert allowed(session, sponsor, member, at=NOW - timedelta(seconds=1)) == {"checkins"}
    assert allowed(session, sponsor, member, at=NOW) == frozenset()


def test_a_revoked_consent_never_grants_again_whatever_the_clock_says(session, people):
    """A host clock an hour behind read the revocation of five minutes ago as still in the
    future and handed the sponsor 22 check-ins, notes included."""
    member, sponsor, counselor, _ = people
    grant(session, member, sponsor, *CATEGORIES, revoked_at=NOW - timedelta(minutes=5))
    grant(session, member, counselor, "checkins", purpose="counseling",
          revoked_at=NOW + timedelta(seconds=1))
    for behind in (timedelta(0), timedelta(hours=1), timedelta(days=30)):
        assert allowed(session, sponsor, member, at=NOW - behind) == frozenset()
        assert allowed(session, counselor, member, at=NOW - behind) == frozenset()


def test_consent_is_not_valid_before_it_starts(session, people):
    member, sponsor, _, _ = people
    grant(session, member, sponsor, "checkins", starts_at=NOW + timedelta(hours=1))
    assert allowed(session, sponsor, member) == frozenset()


def test_a_viewer_who_lost_the_role_sees_nothing(session, people):
    member, sponsor, _, _ = people
    grant(session, member, sponsor, "checkins")
    session.commit()
    session.execute(UserRole.__table__.delete().where(UserRole.user_id == sponsor.id,
                                                      UserRole.role == "sponsor"))
    assert allowed(session, sponsor, member) == frozenset()


def test_consent_to_someone_else_gives_nothing(session, people):
    member, sponsor, _, other = people
    other_sponsor = make_user(session, "sue", "member", "sponsor")
    grant(session, member, other_sponsor, "checkins", "steps", "flags", "notes")
    assert allowed(session, sponsor, member) == frozenset()
    assert allowed(session, sponsor, other) == frozenset()


def test_visible_members_is_exactly_the_consenting_members(session, people):
    member, sponsor, _, other = people
    grant(session, member, sponsor, "steps")
    grant(session, other, sponsor, "checkins", revoked_at=NOW - timedelta(days=1))
    ids = set(session.scalars(visible_members(viewer_id=sponsor.id, at=NOW)))
    assert ids == {member.id}
    assert set(session.scalars(visible_members(viewer_id=sponsor.id, at=NOW,
                                               category="checkins"))) == set()


def test_disclose_audits_allowed_and_denied_alike(session_factory, session, people):
    member, sponsor, _, other = people
    grant(session, member, sponsor, "checkins", "notes")
    session.commit()
    with session_factory.begin() as s:
        granted = disclose(s, actor=sponsor, member_id=member.id,
                           wanted={"checkins", "flags", "notes"}, purpose="sponsorship",
                           screen="Sponsee detail", at=NOW)
    assert granted == {"checkins", "notes"}
    with pytest.raises(NotFound) as denied, session_factory.begin() as s:
        disclose(s, actor=sponsor, member_id=other.id, wanted={"checkins"},
                 purpose="sponsorship", screen="Sponsee detail", at=NOW)
    with pytest.raises(NotFound) as missing, session_factory.begin() as s:
        disclose(s, actor=sponsor, member_id=99999, wanted={"checkins"},
                 purpose="sponsorship", screen="Sponsee detail", at=NOW)
    assert str(denied.value) == str(missing.value)
    events = session.execute(
        select(AuditEvent.member_id, AuditEvent.categories, AuditEvent.outcome,
               AuditEvent.purpose, AuditEvent.screen, AuditEvent.actor_role)
        .order_by(AuditEvent.id).where(AuditEvent.action == "view")
    ).all()
    assert [tuple(e) for e in events] == [
        (member.id, "checkins,notes", "allowed", "sponsorship", "Sponsee detail", "sponsor"),
        (other.id, "checkins", "denied", "sponsorship", "Sponsee detail", "sponsor"),
        (99999, "checkins", "denied", "sponsorship", "Sponsee detail", "sponsor"),
    ]


def test_a_role_the_actor_lacks_is_denied_even_with_consent(session_factory, session, people):
    member, sponsor, _, _ = people
    grant(session, member, sponsor, "checkins")
    session.commit()
    with pytest.raises(NotFound), session_factory.begin() as s:
        disclose(s, actor=sponsor, member_id=member.id, wanted={"checkins"},
                 purpose="counseling", screen="Client detail", at=NOW)
