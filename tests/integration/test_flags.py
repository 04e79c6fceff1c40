"""The flags engine on a real database: episodes, the sweep, and who may work a flag."""

from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from dashboard.errors import NotFound, ValidationError
from dashboard.flags import acknowledge_flag, evaluate_checkin, resolve_flag, sweep
from dashboard.timeutil import day_label
from models import AuditEvent, CheckIn, Flag
from tests.factories import NOW, add_checkin, grant, make_user

TODAY = NOW.date()


@pytest.fixture
def maria(session):
    member = make_user(session, "maria", "member", name="Maria G.")
    session.commit()
    return member


def flags(session, rule_id=None):
    """Current flags; the read's snapshot is ended so later writes from this session work."""
    session.commit()
    query = select(Flag).order_by(Flag.id)
    if rule_id:
        query = query.where(Flag.rule_id == rule_id)
    rows = session.scalars(query).all()
    session.commit()
    return rows


def evaluate(session_factory, member, day):
    with session_factory.begin() as s:
        return evaluate_checkin(s, member_id=member.id, local_date=day, now=NOW)


def test_a_saved_check_in_raises_its_day_flags_once(session_factory, session, maria):
    add_checkin(session, maria, TODAY, craving=9, used_substances=True, hard_day=True,
                hard_day_reason="Payday")
    session.commit()
    assert sorted(evaluate(session_factory, maria, TODAY)) == ["hard_day", "high_craving",
                                                                "used_substances"]
    # Editing the same check-in and evaluating again raises no duplicate.
    session.execute(CheckIn.__table__.update().values(craving=10))
    session.commit()
    evaluate(session_factory, maria, TODAY)
    assert sorted(f.rule_id for f in flags(session)) == ["hard_day", "high_craving",
                                                         "used_substances"]
    hard = flags(session, "hard_day")[0]
    assert hard.quoted_text == "Payday" and hard.severity == "medium" and hard.status == "open"


def test_a_pattern_is_one_episode_until_resolved_then_a_new_one(session_factory, session, maria):
    for offset in range(5, 0, -1):
        add_checkin(session, maria, TODAY - timedelta(days=offset), mood=1)
    session.commit()
    evaluate(session_factory, maria, TODAY - timedelta(days=3))
    evaluate(session_factory, maria, TODAY - timedelta(days=2))
    evaluate(session_factory, maria, TODAY - timedelta(days=1))
    assert len(flags(session, "low_mood")) == 1
    sam = make_user(session, "sam", "member", "sponsor")
    grant(session, maria, sam, "flags")
    session.commit()
    flag_id = flags(session, "low_mood")[0].id
    with session_factory.begin() as s:
        acknowledge_flag(session=s, actor=sam, flag_id=flag_id, outreach_method="called",
                         outreach_note="Talked for an hour", purpose="sponsorship",
                         screen="Weekly review", now=NOW)
    with session_factory.begin() as s:
        resolve_flag(session=s, actor=sam, flag_id=flag_id, purpose="sponsorship",
                     screen="Weekly review", now=NOW)
    add_checkin(session, maria, TODAY, mood=2)
    session.commit()
    evaluate(session_factory, maria, TODAY)
    low = flags(session, "low_mood")
    assert [f.status for f in low] == ["resolved", "open"]


def test_sweep_raises_silence_once_and_a_new_silence_again(session_factory, session, maria):
    add_checkin(session, maria, TODAY - timedelta(days=2))
    session.commit()
    with session_factory.begin() as s:
        assert sweep(s, now=NOW) == 0  # two silent days: not yet
    with session_factory.begin() as s:
        assert sweep(s, now=NOW + timedelta(days=1)) == 1
    with session_factory.begin() as s:
        assert sweep(s, now=NOW + timedelta(days=2)) == 0  # the same episode
    flag = flags(session, "no_checkin")[0]
    since = day_label(TODAY - timedelta(days=2), weekday=True, short=True)
    assert flag.reason == f"No check-in since {since} (3 days)"
    add_checkin(session, maria, TODAY + timedelta(days=3))
    session.commit()
    with session_factory.begin() as s:
        assert sweep(s, now=NOW + timedelta(days=6)) == 1
    assert len(flags(session, "no_checkin")) == 2


def test_sweep_uses_each_members_own_today(session_factory, session):
    # 15:00 UTC is already the next day in Auckland (UTC+12 or +13), still the same day in
    # Los Angeles (UTC-8 or -7).
    afternoon = datetime.combine(TODAY, time(15), tzinfo=timezone.utc)
    kiwi = make_user(session, "kiri", "member", timezone_name="Pacific/Auckland")
    la = make_user(session, "lee", "member", timezone_name="America/Los_Angeles")
    add_checkin(session, kiwi, TODAY - timedelta(days=2))
    add_checkin(session, la, TODAY - timedelta(days=2))
    session.commit()
    with session_factory.begin() as s:
        assert sweep(s, now=afternoon) == 1
    assert [f.member_id for f in flags(session)] == [kiwi.id]


def test_member_without_any_check_in_is_not_flagged_as_silent(session_factory, session, maria):
    with session_factory.begin() as s:
        assert sweep(s, now=NOW + timedelta(days=30)) == 0


@pytest.fixture
def flagged(session, maria):
    add_checkin(session, maria, TODAY, craving=9)
    session.add(Flag(member_id=maria.id, rule_id="high_craving", severity="high", raised_on=TODAY,
                     episode_key=TODAY.isoformat(), reason="Craving 9/10", created_at=NOW))
    session.commit()
    return flags(session)[0].id


def test_acknowledging_without_flags_consent_is_refused_and_audited(session_factory, session,
                                                                    maria, flagged):
    sam = make_user(session, "sam", "member", "sponsor")
    grant(session, maria, sam, "checkins", "notes")  # no flags
    session.commit()
    with pytest.raises(NotFound), session_factory.begin() as s:
        acknowledge_flag(session=s, actor=sam, flag_id=flagged, outreach_method="texted",
                         outreach_note="", purpose="sponsorship", screen="Weekly review", now=NOW)
    assert flags(session)[0].status == "open"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "flag_acknowledged")).one()
    assert (event.outcome, event.actor_id, event.member_id) == ("denied", sam.id, maria.id)


def test_lifecycle_records_who_and_when(session_factory, session, maria, flagged):
    carla = make_user(session, "carla", "counselor")
    grant(session, maria, carla, "flags", purpose="counseling")
    session.commit()
    with pytest.raises(ValidationError, match="Acknowledge"), session_factory.begin() as s:
        resolve_flag(session=s, actor=carla, flag_id=flagged, purpose="counseling",
                     screen="Alerts", now=NOW)
    with pytest.raises(ValidationError, match="how you reached out"), session_factory.begin() as s:
        acknowledge_flag(session=s, actor=carla, flag_id=flagged, outreach_method="emailed",
                         outreach_note="", purpose="counseling", screen="Alerts", now=NOW)
    with session_factory.begin() as s:
        acknowledge_flag(session=s, actor=carla, flag_id=flagged, outreach_method="met",
                         outreach_note="Coffee after group", purpose="counseling",
                         screen="Alerts", now=NOW)
    with session_factory.begin() as s:
        resolve_flag(session=s, actor=carla, flag_id=flagged, purpose="counseling",
                     screen="Alerts", now=NOW + timedelta(hours=1))
    flag = flags(session)[0]
    assert (flag.status, flag.acknowledged_by_id, flag.outreach_method, flag.outreach_note,
            flag.resolved_by_id, flag.resolved_at) == (
        "resolved", carla.id, "met", "Coffee after group", carla.id, NOW + timedelta(hours=1))
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == carla.id)
                              .order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["flag_acknowledged", "flag_resolved"]
