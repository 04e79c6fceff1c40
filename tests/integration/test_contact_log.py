"""A viewer's own contact log: entries they add, checked, and only through a consent."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.contact_log import add_contact
from dashboard.errors import NotFound, ValidationError
from models import ContactEntry
from tests.factories import NOW, grant, make_user

TODAY = NOW.date()


@pytest.fixture
def maria(session):
    member = make_user(session, "maria", "member", name="Maria G.")
    session.commit()
    return member


@pytest.fixture
def care_team(session, maria):
    sam = make_user(session, "sam", "member", "sponsor", name="Sam Sponsor")
    carla = make_user(session, "carla", "counselor", name="Carla Counselor")
    grant(session, maria, sam, "checkins", "flags")
    grant(session, maria, carla, "checkins", "flags", purpose="counseling")
    session.commit()
    return sam, carla


def contacts(session):
    session.commit()
    rows = session.scalars(select(ContactEntry).order_by(ContactEntry.id)).all()
    session.commit()
    return rows


def test_an_entry_is_dated_and_kept_with_its_note(session_factory, session, maria, care_team):
    sam, _ = care_team
    with session_factory.begin() as s:
        add_contact(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                    screen="Sponsee detail", contacted_on=TODAY - timedelta(days=2),
                    method="texted", note="  Checked in after her shift  ", now=NOW)
    [entry] = contacts(session)
    assert (entry.viewer_id, entry.member_id, entry.contacted_on, entry.method, entry.note,
            entry.kind) == (sam.id, maria.id, TODAY - timedelta(days=2), "texted",
                            "Checked in after her shift", "contact")


@pytest.mark.parametrize("values, field", [
    ({"method": "emailed"}, "method"),
    ({"contacted_on": TODAY + timedelta(days=1)}, "contacted_on"),
    ({"contacted_on": TODAY - timedelta(days=91)}, "contacted_on"),
    ({"contacted_on": None}, "contacted_on"),
    ({"note": "x" * 1001}, "note"),
])
def test_a_contact_entry_with_bad_input_writes_nothing(session_factory, session, maria,
                                                       care_team, values, field):
    sam, _ = care_team
    entry = {"contacted_on": TODAY, "method": "texted", "note": ""} | values
    with pytest.raises(ValidationError) as refused, session_factory.begin() as s:
        add_contact(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                    screen="Sponsee detail", now=NOW, **entry)
    assert field in refused.value.errors
    assert contacts(session) == []


def test_a_contact_entry_needs_a_consent(session_factory, session, maria):
    stranger = make_user(session, "stan", "member", "sponsor")
    session.commit()
    with pytest.raises(NotFound), session_factory.begin() as s:
        add_contact(session=s, actor=stranger, member_id=maria.id, purpose="sponsorship",
                    screen="Sponsee detail", contacted_on=TODAY, method="called", note="",
                    now=NOW)
    assert contacts(session) == []
