"""Granting and revoking consent, and the member's record of who looked."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dashboard.alert_queue import alert_queue
from dashboard.auth import actor_from_user
from dashboard.errors import NotFound, PermissionDenied, ValidationError
from dashboard.member_record import member_record
from dashboard.policy import allowed_categories
from dashboard.sharing import (
    accounting_of_disclosures,
    consents_of_member,
    grant_consent,
    revoke_consent,
    views_of_my_data,
)
from dashboard.timeutil import to_local
from dashboard.weekly_review import iso_week_of, weekly_review_for
from models import AuditEvent, Consent, User
from tests.factories import NOW, add_checkin, make_user

TODAY = NOW.date()


@pytest.fixture
def people(session):
    maria = make_user(session, "maria", "member", name="Maria Garcia")
    sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
    carla = make_user(session, "carla", "counselor", name="Carla C.")
    otto = make_user(session, "otto", "member", name="Otto O.")
    add_checkin(session, maria, TODAY, craving=4)
    session.commit()
    return maria, sam, carla, otto


def good_grant(**overrides):
    return {"recipient_username": "sam", "purpose": "sponsorship",
            "categories": ["checkins", "flags"], "expires_on": TODAY + timedelta(days=365),
            "signature_name": "Maria Garcia", "revocation_acknowledged": True} | overrides


def do_grant(session_factory, actor, now=NOW, **overrides):
    with session_factory.begin() as s:
        return grant_consent(session=s, actor=actor, now=now, **good_grant(**overrides))


def consent_count(session):
    return session.scalar(select(func.count()).select_from(Consent))


def test_grant_activates_a_consent_the_viewer_can_use(session_factory, session, people):
    maria, sam, _, _ = people
    consent_id = do_grant(session_factory, maria, signature_name="  maria   GARCIA ")
    consent = session.get(Consent, consent_id)
    assert consent.categories == {"checkins", "flags"}
    assert consent.signed_on == TODAY and consent.starts_at == NOW
    assert consent.expires_at.date() == TODAY + timedelta(days=366)  # end of the chosen day, UTC
    assert allowed_categories(session, viewer_id=sam.id, member_id=maria.id,
                              at=NOW) == {"checkins", "flags"}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "consent_granted")).one()
    assert (event.actor_id, event.member_id, event.categories, event.purpose) == (
        maria.id, maria.id, "checkins,flags", "sponsorship")


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"recipient_username": ""}, "recipient", "username"),
        ({"recipient_username": "nobody"}, "recipient", "No sponsor has the username"),
        ({"recipient_username": "carla"}, "recipient", "No sponsor"),  # a counselor, not a sponsor
        ({"recipient_username": "otto"}, "recipient", "No sponsor"),  # a member only
        ({"recipient_username": "sam", "purpose": "counseling"}, "recipient", "No counselor"),
        ({"purpose": None}, "purpose", "purpose"),
        ({"categories": []}, "categories", "at least one"),
        ({"categories": ["checkins", "medications"]}, "categories", "Choose among"),
        ({"expires_on": None}, "expires_on", "date"),
        ({"expires_on": TODAY - timedelta(days=1)}, "expires_on", "past"),
        ({"expires_on": TODAY + timedelta(days=732)}, "expires_on", "two years"),
        ({"signature_name": " "}, "signature", "Type your full name"),
        ({"signature_name": "Maria G."}, "signature", "Maria Garcia"),
        ({"revocation_acknowledged": False}, "acknowledgement", "stop sharing at any time"),
    ],
)
def test_each_missing_or_wrong_element_is_refused_with_its_own_message(
        session_factory, session, people, overrides, field, words):
    maria = people[0]
    with pytest.raises(ValidationError) as error:
        do_grant(session_factory, maria, **overrides)
    assert words in error.value.for_field(field)
    assert consent_count(session) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action.like("consent%"))) == 0


def test_the_longest_and_shortest_expiry_are_accepted(session_factory, session, people):
    maria = people[0]
    do_grant(session_factory, maria, expires_on=TODAY + timedelta(days=731))
    do_grant(session_factory, maria, expires_on=TODAY)
    assert consent_count(session) == 2


def test_granting_again_replaces_instead_of_duplicating(session_factory, session, people):
    maria, sam, _, _ = people
    first = do_grant(session_factory, maria)
    second = do_grant(session_factory, maria, now=NOW + timedelta(minutes=5),
                      categories=["steps"])
    active = [c for c in session.scalars(select(Consent)) if c.status_at(NOW + timedelta(minutes=5)) == "active"]
    assert [c.id for c in active] == [second]
    assert session.get(Consent, first).revoked_at == NOW + timedelta(minutes=5)
    assert allowed_categories(session, viewer_id=sam.id, member_id=maria.id,
                              at=NOW + timedelta(minutes=5)) == {"steps"}


def test_revocation_is_immediate_and_final(session_factory, session, people):
    maria, sam, _, _ = people
    consent_id = do_grant(session_factory, maria)
    with session_factory.begin() as s:
        revoke_consent(session=s, actor=maria, consent_id=consent_id, now=NOW + timedelta(hours=1))
    after = NOW + timedelta(hours=1)
    assert allowed_categories(session, viewer_id=sam.id, member_id=maria.id, at=after) == frozenset()
    with pytest.raises(NotFound), session_factory.begin() as s:
        member_record(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                      screen="Sponsee detail", now=after)
    with pytest.raises(ValidationError, match="already ended"), session_factory.begin() as s:
        revoke_consent(session=s, actor=maria, consent_id=consent_id, now=after)
    with session_factory.begin() as s:
        rows = consents_of_member(session=s, actor=maria, now=after)
    assert [(r.status, r.recipient_username) for r in rows] == [("revoked", "sam")]


def test_a_member_cannot_revoke_someone_elses_consent(session_factory, session, people):
    maria, _, _, otto = people
    consent_id = do_grant(session_factory, maria)
    with pytest.raises(NotFound), session_factory.begin() as s:
        revoke_consent(session=s, actor=otto, consent_id=consent_id, now=NOW)
    assert session.get(Consent, consent_id).revoked_at is None


def test_only_members_grant(session_factory, people):
    _, _, carla, _ = people
    with pytest.raises(PermissionDenied):
        do_grant(session_factory, carla)


def test_idor_another_members_id_gets_not_found_and_is_audited(session_factory, session, people):
    maria, sam, _, otto = people
    do_grant(session_factory, maria)
    with pytest.raises(NotFound) as error, session_factory.begin() as s:
        member_record(session=s, actor=sam, member_id=otto.id, purpose="sponsorship",
                      screen="Sponsee detail", now=NOW)
    assert str(error.value) == "No such member is shared with you."
    event = session.scalars(select(AuditEvent).where(AuditEvent.member_id == otto.id)).one()
    assert (event.actor_id, event.outcome, event.action) == (sam.id, "denied", "view")


def test_who_viewed_my_data_lists_views_and_refusals(session_factory, session, people):
    maria, sam, carla, _ = people
    do_grant(session_factory, maria)
    with session_factory.begin() as s:
        member_record(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                      screen="Sponsee detail", now=NOW + timedelta(minutes=1))
    with pytest.raises(NotFound), session_factory.begin() as s:
        member_record(session=s, actor=carla, member_id=maria.id, purpose="counseling",
                      screen="Client detail", now=NOW + timedelta(minutes=2))
    with session_factory.begin() as s:
        member_record(session=s, actor=maria, member_id=maria.id, purpose=None, screen="Today", now=NOW)
        views = views_of_my_data(session=s, actor=maria)
    assert [(v.viewer_name, v.viewer_role, v.categories, v.screen, v.outcome) for v in views] == [
        ("Carla C.", "counselor", "checkins,flags,notes,steps", "Client detail", "denied"),
        ("Sam S.", "sponsor", "checkins,flags", "Sponsee detail", "allowed"),
    ]
    with session_factory.begin() as s:
        only_sam = views_of_my_data(session=s, actor=maria, viewer_id=sam.id)
        none_yet = views_of_my_data(session=s, actor=maria, until=NOW)
    assert [v.viewer_name for v in only_sam] == ["Sam S."] and none_yet == []


def test_accounting_export_equals_the_audited_disclosures(session_factory, session, people):
    maria, sam, carla, _ = people
    do_grant(session_factory, maria)
    do_grant(session_factory, maria, recipient_username="carla", purpose="counseling",
             categories=["checkins", "steps", "flags"])
    with session_factory.begin() as s:
        weekly_review_for(session=s, actor=sam, iso_week=iso_week_of(NOW.date()), now=NOW)
        member_record(session=s, actor=carla, member_id=maria.id, purpose="counseling",
                      screen="Client detail", now=NOW)
        alert_queue(session=s, actor=carla, now=NOW)
    with session_factory.begin() as s:
        exported = accounting_of_disclosures(session=s, actor=maria, now=NOW)
    rows = list(csv.DictReader(io.StringIO(exported)))
    audited = session.execute(
        select(AuditEvent).where(AuditEvent.member_id == maria.id,
                                 AuditEvent.actor_id != maria.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).scalars().all()
    assert len(rows) == len(audited) == 2  # the alert queue had no open flag of hers to show
    assert [(r["viewer"], r["screen"], r["outcome"]) for r in rows] == [
        ("Carla C.", "Client detail", "allowed"), ("Sam S.", "Weekly review", "allowed")]
    assert rows[0]["categories"] == "checkins flags steps"


def test_accounting_lists_every_event_with_its_runs_and_its_first_and_last_time(
        session_factory, people):
    maria, sam, _, _ = people
    with session_factory.begin() as s:
        s.get(User, maria.id).timezone = "America/Los_Angeles"
        maria = actor_from_user(s.get(User, maria.id))
    do_grant(session_factory, maria)
    # Two visits (the second one more than half an hour after the first, so never the same).
    for minutes in (1, 45):
        with session_factory.begin() as s:
            member_record(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                          screen="Sponsee detail", now=NOW + timedelta(minutes=minutes))
    with session_factory.begin() as s:
        # The first of them, as a visit extended by three more runs leaves it.
        first = s.scalars(select(AuditEvent).where(AuditEvent.actor_id == sam.id)
                          .order_by(AuditEvent.id)).first()
        first.seen_count, first.last_seen_at = 4, NOW + timedelta(minutes=9)
    with session_factory.begin() as s:
        exported = accounting_of_disclosures(session=s, actor=maria, now=NOW + timedelta(hours=1))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0])[-3:] == ["times", "last time (UTC)", "last time (America/Los_Angeles)"]
    later, extended = (NOW + timedelta(minutes=45)), (NOW + timedelta(minutes=9))
    assert [(r["time (UTC)"], r["times"], r["last time (UTC)"]) for r in rows] == [
        (later.strftime("%Y-%m-%d %H:%M:%S"), "1", later.strftime("%Y-%m-%d %H:%M:%S")),
        ((NOW + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S"), "4",
         extended.strftime("%Y-%m-%d %H:%M:%S"))]
    assert rows[1]["last time (America/Los_Angeles)"] == to_local(
        extended, "America/Los_Angeles").isoformat(timespec="seconds")


def test_accounting_for_another_member_is_for_admins_only(session_factory, session, people):
    maria, sam, _, _ = people
    admin = make_user(session, "root", "admin")
    session.commit()
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        accounting_of_disclosures(session=s, actor=sam, member_id=maria.id, now=NOW)
    with session_factory.begin() as s:
        assert accounting_of_disclosures(session=s, actor=admin, member_id=maria.id, now=NOW).startswith(
            "time (UTC)")


def test_the_accounting_defuses_a_name_a_spreadsheet_would_run(session_factory, session,
                                                               people):
    maria, sam, _, _ = people
    session.get(User, sam.id).display_name = '=HYPERLINK("http://evil.example","Sam")'
    session.commit()
    do_grant(session_factory, maria)
    with session_factory.begin() as s:
        weekly_review_for(session=s, actor=sam, iso_week=iso_week_of(NOW.date()), now=NOW)
    with session_factory.begin() as s:
        exported = accounting_of_disclosures(session=s, actor=maria, now=NOW)
    assert [r["viewer"] for r in csv.DictReader(io.StringIO(exported))] == [
        '\'=HYPERLINK("http://evil.example","Sam")']


def test_expired_consents_show_in_history(session_factory, session, people):
    maria = people[0]
    do_grant(session_factory, maria, expires_on=TODAY)
    with session_factory.begin() as s:
        rows = consents_of_member(session=s, actor=maria, now=NOW + timedelta(days=2))
    assert [r.status for r in rows] == ["expired"]
    assert isinstance(rows[0].signed_on, date)
