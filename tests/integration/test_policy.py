"""The consent policy on a real database: deny by default, only what is consented."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, select

import dashboard.audit
from dashboard.audit import VISIT_WINDOW, record_events
from dashboard.errors import NotFound
from dashboard.policy import (
    allowed_categories,
    audit_disclosures,
    disclose,
    shared_categories_by_member,
    visible_members,
)
from models import CATEGORIES, AuditEvent, User, UserRole
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


@pytest.mark.parametrize("loss", ["role", "account"])
def test_a_viewer_who_lost_the_role_or_account_sees_nobody_for_the_purpose(session, people,
                                                                           loss):
    member, _, counselor, other = people
    grant(session, member, counselor, "checkins", "flags", purpose="counseling")
    grant(session, other, counselor, "steps", purpose="counseling")
    session.commit()

    def shared():
        return shared_categories_by_member(session, viewer_id=counselor.id, at=NOW,
                                           purpose="counseling")

    assert shared() == {member.id: {"checkins", "flags"}, other.id: {"steps"}}
    if loss == "role":
        session.execute(UserRole.__table__.delete().where(UserRole.user_id == counselor.id))
    else:
        session.execute(User.__table__.update().where(User.id == counselor.id)
                        .values(is_active=False))
    assert shared() == {}
    assert list(session.scalars(visible_members(viewer_id=counselor.id, at=NOW,
                                                purpose="counseling"))) == []
    assert allowed(session, counselor, member, purpose="counseling") == frozenset()


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


# ---------------------------------------------------------------------------------------
# A list screen's disclosures, once per visit (audit_disclosures).

def show(session_factory, viewer, granted, *, at, screen="Caseload", action="view"):
    """One run of a list screen that shows these members with these categories."""
    with session_factory.begin() as s:
        audit_disclosures(s, actor=viewer, granted_by_member=granted, purpose="counseling",
                          screen=screen, action=action, at=at)


def disclosures(session):
    """(viewer, member, screen, action, categories, first time, times seen, last time)."""
    session.commit()
    rows = session.execute(
        select(AuditEvent.actor_id, AuditEvent.member_id, AuditEvent.screen, AuditEvent.action,
               AuditEvent.categories, AuditEvent.at, AuditEvent.seen_count,
               AuditEvent.last_seen_at)
        .where(AuditEvent.action.in_(("view", "export"))).order_by(AuditEvent.id)).all()
    session.commit()
    return [tuple(row) for row in rows]


@pytest.fixture
def caseload_of_two(session, people):
    member, _, counselor, other = people
    granted = {member.id: frozenset({"checkins", "flags"}), other.id: frozenset({"steps"})}
    return counselor, member, other, granted


def test_six_reruns_are_one_event_per_member_seen_six_times(session_factory, session,
                                                            caseload_of_two):
    counselor, member, other, granted = caseload_of_two
    for minute in range(6):
        show(session_factory, counselor, granted, at=NOW + timedelta(minutes=minute))
    last = NOW + timedelta(minutes=5)
    assert disclosures(session) == [
        (counselor.id, member.id, "Caseload", "view", "checkins,flags", NOW, 6, last),
        (counselor.id, other.id, "Caseload", "view", "steps", NOW, 6, last),
    ]


def test_a_visit_lasts_thirty_minutes_from_its_first_run(session_factory, session,
                                                         caseload_of_two):
    counselor, member, _, _ = caseload_of_two
    only = {member.id: frozenset({"checkins"})}
    show(session_factory, counselor, only, at=NOW)
    show(session_factory, counselor, only, at=NOW + VISIT_WINDOW)  # still the visit
    later = NOW + VISIT_WINDOW + timedelta(seconds=1)
    show(session_factory, counselor, only, at=later)  # a new visit
    show(session_factory, counselor, only, at=later + timedelta(minutes=1))
    assert disclosures(session) == [
        (counselor.id, member.id, "Caseload", "view", "checkins", NOW, 2, NOW + VISIT_WINDOW),
        (counselor.id, member.id, "Caseload", "view", "checkins", later, 2,
         later + timedelta(minutes=1)),
    ]


def test_other_categories_are_a_new_event(session_factory, session, caseload_of_two):
    """A consent changed between two runs: what was disclosed differs, so it is recorded
    anew; the member whose consent did not change is the same visit."""
    counselor, member, other, granted = caseload_of_two
    show(session_factory, counselor, granted, at=NOW)
    narrowed = {**granted, member.id: frozenset({"checkins"})}
    show(session_factory, counselor, narrowed, at=NOW + timedelta(minutes=1))
    show(session_factory, counselor, narrowed, at=NOW + timedelta(minutes=2))
    assert disclosures(session) == [
        (counselor.id, member.id, "Caseload", "view", "checkins,flags", NOW, 1, None),
        (counselor.id, other.id, "Caseload", "view", "steps", NOW, 3,
         NOW + timedelta(minutes=2)),
        (counselor.id, member.id, "Caseload", "view", "checkins", NOW + timedelta(minutes=1),
         2, NOW + timedelta(minutes=2)),
    ]


def test_another_screen_another_viewer_and_exports_are_events_of_their_own(
        session_factory, session, people, caseload_of_two):
    counselor, member, _, _ = caseload_of_two
    colleague = make_user(session, "cora", "counselor")
    session.commit()
    only = {member.id: frozenset({"flags"})}
    for minute in (0, 1):
        at = NOW + timedelta(minutes=minute)
        show(session_factory, counselor, only, at=at)
        show(session_factory, counselor, only, at=at, screen="Alerts")
        show(session_factory, colleague, only, at=at)
        show(session_factory, counselor, only, at=at, action="export")
    one_minute = NOW + timedelta(minutes=1)
    assert sorted(disclosures(session), key=lambda e: (e[0], e[2], e[3], e[5])) == sorted([
        (counselor.id, member.id, "Caseload", "view", "flags", NOW, 2, one_minute),
        (counselor.id, member.id, "Alerts", "view", "flags", NOW, 2, one_minute),
        (colleague.id, member.id, "Caseload", "view", "flags", NOW, 2, one_minute),
        (counselor.id, member.id, "Caseload", "export", "flags", NOW, 1, None),
        (counselor.id, member.id, "Caseload", "export", "flags", one_minute, 1, None),
    ], key=lambda e: (e[0], e[2], e[3], e[5]))


def test_a_session_begun_with_a_reset_code_is_a_visit_of_its_own(session_factory, session,
                                                                 caseload_of_two):
    counselor, member, _, _ = caseload_of_two
    only = {member.id: frozenset({"flags"})}
    show(session_factory, counselor, only, at=NOW)
    show(session_factory, replace(counselor, via_reset_code=True), only, at=NOW)
    assert [e[6] for e in disclosures(session)] == [1, 1]


def test_the_newest_of_a_members_events_is_extended(session_factory, session, caseload_of_two):
    """Two events of one visit (two tabs on PostgreSQL, each finding none): the newer one
    goes on."""
    counselor, member, _, _ = caseload_of_two
    only = {member.id: frozenset({"flags"})}
    with session_factory.begin() as s:
        for minute in (0, 1):
            record_events(s, [{"at": NOW + timedelta(minutes=minute), "actor_id": counselor.id,
                               "actor_role": "counselor", "action": "view",
                               "member_id": member.id, "categories": {"flags"},
                               "purpose": "counseling", "screen": "Caseload"}])
    show(session_factory, counselor, only, at=NOW + timedelta(minutes=2))
    assert [(e[5], e[6]) for e in disclosures(session)] == [
        (NOW, 1), (NOW + timedelta(minutes=1), 2)]


def test_statements_stay_three_whatever_the_number_of_members(engine, session_factory,
                                                               session, monkeypatch):
    counselor = make_user(session, "carla", "counselor")
    members = [make_user(session, f"member{n}", "member") for n in range(12)]
    session.commit()
    sent = []
    insert_rows = dashboard.audit.insert_rows

    def copy_counted(connection, table, rows):
        # PostgreSQL appends with a COPY, which passes by the statement listener.
        if connection.dialect.name == "postgresql":
            sent.append("INSERT")
        insert_rows(connection, table, rows)

    monkeypatch.setattr(dashboard.audit, "insert_rows", copy_counted)

    def statements(granted, at) -> list[str]:
        sent.clear()
        listener = lambda *args: sent.append(args[2].split()[0].upper())  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            show(session_factory, counselor, granted, at=at)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return [s for s in list(sent) if s not in ("BEGIN", "COMMIT")]

    few = {m.id: frozenset({"checkins"}) for m in members[:2]}
    many = {m.id: frozenset({"steps"}) for m in members}
    first_few, first_many = statements(few, NOW), statements(many, NOW)
    assert first_few == first_many and first_few[0] == "SELECT" and first_few[-1] == "INSERT"
    assert statements(few, NOW + timedelta(minutes=1)) == ["SELECT", "UPDATE"]
    # Some members seen before, some new: one update and one insert.
    mixed = {**few, **{m.id: frozenset({"checkins"}) for m in members[2:5]}}
    rerun = statements(mixed, NOW + timedelta(minutes=2))
    assert rerun[:2] == ["SELECT", "UPDATE"] and rerun[-1] == "INSERT"
    assert rerun.count("UPDATE") == rerun.count("INSERT") == 1


def test_a_detail_screen_rerun_is_the_same_visit_and_a_denial_always_a_row(
        session_factory, session, people):
    """A detail screen discloses one member: reruns of it (another range) extend the
    event as a list screen's do; what is refused is recorded every time."""
    member, _, counselor, other = people
    grant(session, member, counselor, "checkins", "flags", purpose="counseling")
    session.commit()

    def open_detail(whom, at):
        with session_factory.begin() as s:
            return disclose(s, actor=counselor, member_id=whom.id,
                            wanted={"checkins", "flags", "notes"}, purpose="counseling",
                            screen="Client detail", at=at)

    for minute in range(3):
        assert open_detail(member, NOW + timedelta(minutes=minute)) == {"checkins", "flags"}
    for minute in range(2):
        with pytest.raises(NotFound):
            open_detail(other, NOW + timedelta(minutes=minute))
    assert disclosures(session) == [
        (counselor.id, member.id, "Client detail", "view", "checkins,flags", NOW, 3,
         NOW + timedelta(minutes=2)),
        (counselor.id, other.id, "Client detail", "view", "checkins,flags,notes", NOW, 1, None),
        (counselor.id, other.id, "Client detail", "view", "checkins,flags,notes",
         NOW + timedelta(minutes=1), 1, None),
    ]
