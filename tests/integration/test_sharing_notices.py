"""Sharing changes reach the viewer (dashboard/sharing_notices.py): a start, a change, a
stop and an ending, each for 14 days, until dismissed, telling no more than the consent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.errors import NotFound, ValidationError
from dashboard.sharing import grant_consent, revoke_consent
from dashboard.sharing_notices import dismiss_notice, sharing_notices_for
from dashboard.timeutil import local_today
from tests.factories import NOW, grant, make_user


@pytest.fixture
def people(session):
    kevin = make_user(session, "kevin", "member", name="Kevin T.")
    sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
    carla = make_user(session, "carla", "counselor", name="Carla C.")
    return kevin, sam, carla


def share(session, member, viewer, *categories, purpose="sponsorship", now=NOW, days=365):
    return grant_consent(session=session, actor=member, recipient_username=viewer.username,
                         purpose=purpose, categories=categories,
                         expires_on=local_today(member.timezone, now) + timedelta(days=days),
                         signature_name=member.display_name, revocation_acknowledged=True,
                         now=now)


def notices(session, viewer, now=NOW, purpose=None):
    return [(n.kind, n.text) for n in sharing_notices_for(session=session, actor=viewer,
                                                           now=now, purpose=purpose)]


def test_a_new_consent_is_told_with_what_it_shares_and_until_when(session, people):
    kevin, sam, _ = people
    share(session, kevin, sam, "checkins", "flags")
    [(kind, text)] = notices(session, sam, now=NOW + timedelta(days=2))
    assert kind == "started"
    assert text.startswith("Kevin T. started sharing check-ins and hard days and flags with "
                           "you, until ")
    share(session, kevin, sam, "checkins", "steps", "flags", now=NOW + timedelta(days=1))
    [(kind, text)] = notices(session, sam, now=NOW + timedelta(days=2))
    assert kind == "changed"
    assert "now shares check-ins, steps, and hard days and flags with you" in text


def test_a_notice_lasts_fourteen_days(session, people):
    kevin, sam, _ = people
    share(session, kevin, sam, "checkins")
    assert notices(session, sam, now=NOW + timedelta(days=13, hours=23))
    assert notices(session, sam, now=NOW + timedelta(days=14, seconds=1)) == []


def test_a_replaced_consent_is_one_change_not_a_stop_and_a_start(session, people):
    kevin, sam, _ = people
    share(session, kevin, sam, "checkins", now=NOW - timedelta(days=30))
    share(session, kevin, sam, "checkins", "notes")
    [(kind, text)] = notices(session, sam)
    assert kind == "changed"
    assert text.startswith("Kevin T. now shares check-ins and notes with you, until")


def test_after_a_revocation_only_the_name_and_the_date(session, people):
    kevin, sam, _ = people
    consent_id = share(session, kevin, sam, "checkins", "notes", now=NOW - timedelta(days=40))
    revoke_consent(session=session, actor=kevin, consent_id=consent_id,
                   now=NOW - timedelta(days=1))
    assert notices(session, sam) == [("stopped", "Kevin T. stopped sharing with you yesterday.")]


def test_a_consent_about_to_end_is_told(session, people):
    kevin, _, carla = people
    grant(session, kevin, carla, "checkins", purpose="counseling",
          starts_at=NOW - timedelta(days=300), expires_at=NOW + timedelta(days=10))
    session.flush()
    [(kind, text)] = notices(session, carla)
    assert kind == "ending"
    assert text.startswith("Kevin T.'s sharing with you ends in 10 days, on ")


def test_each_screen_tells_its_own_purpose(session, people):
    kevin, sam, _ = people
    share(session, kevin, sam, "checkins")
    assert notices(session, sam, purpose="counseling") == []
    assert len(notices(session, sam, purpose="sponsorship")) == 1


def test_a_dismissed_notice_stays_away_and_only_its_viewer_can_dismiss_it(session, people):
    kevin, sam, carla = people
    consent_id = share(session, kevin, sam, "checkins")
    with pytest.raises(NotFound):
        dismiss_notice(session=session, actor=carla, consent_id=consent_id, kind="started",
                       now=NOW)
    with pytest.raises(ValidationError):
        dismiss_notice(session=session, actor=sam, consent_id=consent_id, kind="other",
                       now=NOW)
    dismiss_notice(session=session, actor=sam, consent_id=consent_id, kind="started", now=NOW)
    dismiss_notice(session=session, actor=sam, consent_id=consent_id, kind="started", now=NOW)
    assert notices(session, sam) == []


def test_members_and_others_get_no_notices(session, people):
    kevin, sam, carla = people
    share(session, kevin, sam, "checkins")
    assert notices(session, kevin) == [] and notices(session, carla) == []
