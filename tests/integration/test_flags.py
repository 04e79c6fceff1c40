"""The flags engine on a real database: episodes, the sweep, who may work a flag, each
viewer's own follow-up, and risk."""

from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from dashboard.alert_queue import alert_queue
from dashboard.caseload import caseload_for
from dashboard.errors import NotFound, ValidationError
from dashboard.flags import evaluate_checkin, member_risks, sweep
from dashboard.follow_up import acknowledge_flag, resolve_flag
from dashboard.timeutil import day_label
from models import AuditEvent, CheckIn, ContactEntry, Flag, FlagFollowUp
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


def follow_ups(session):
    session.commit()
    rows = session.scalars(select(FlagFollowUp).order_by(FlagFollowUp.id)).all()
    session.commit()
    return rows


def contacts(session):
    session.commit()
    rows = session.scalars(select(ContactEntry).order_by(ContactEntry.id)).all()
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
    assert hard.quoted_text == "Payday" and hard.severity == "medium"
    assert follow_ups(session) == []  # open for everyone who sees it


def test_a_pattern_is_one_episode_for_seven_days_then_a_new_one(session_factory, session,
                                                                maria):
    for offset in range(12, -1, -1):
        add_checkin(session, maria, TODAY - timedelta(days=offset), mood=1)
    session.commit()
    for offset in range(10, 2, -1):  # raised on day -10, the same episode through day -3
        evaluate(session_factory, maria, TODAY - timedelta(days=offset))
    assert [f.raised_on for f in flags(session, "low_mood")] == [TODAY - timedelta(days=10)]
    # Acknowledging or resolving it ends nobody's episode: the pattern is the member's.
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
    evaluate(session_factory, maria, TODAY - timedelta(days=3))
    assert len(flags(session, "low_mood")) == 1
    evaluate(session_factory, maria, TODAY - timedelta(days=2))  # 8 days on: a new episode
    assert [f.raised_on for f in flags(session, "low_mood")] == [
        TODAY - timedelta(days=10), TODAY - timedelta(days=2)]


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


def test_sweep_finds_the_silent_at_both_ends_of_the_earths_days(session_factory, session):
    # 11:00 UTC is 01:00 the next day on Kiritimati (UTC+14), midnight just gone in
    # Pago Pago (UTC-11). The sweep looks up the last check-in only of those without one
    # on the last days of the latest time zone: those at the edge must not be left out.
    eleven = datetime.combine(TODAY, time(11), tzinfo=timezone.utc)
    kiritimati = make_user(session, "kiri", "member", timezone_name="Pacific/Kiritimati")
    pago = make_user(session, "pago", "member", timezone_name="Pacific/Pago_Pago")
    recent = make_user(session, "rey", "member", timezone_name="Pacific/Pago_Pago")
    # Kiritimati's today is TODAY + 1: three days silent there. Pago Pago's is TODAY: two.
    add_checkin(session, kiritimati, TODAY - timedelta(days=2))
    add_checkin(session, pago, TODAY - timedelta(days=3))
    add_checkin(session, recent, TODAY - timedelta(days=1))
    session.commit()
    with session_factory.begin() as s:
        assert sweep(s, now=eleven) == 2
    assert sorted(f.member_id for f in flags(session)) == sorted([kiritimati.id, pago.id])


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
    assert follow_ups(session) == [] and contacts(session) == []
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
    [mine] = follow_ups(session)
    assert (mine.viewer_id, mine.status, mine.acknowledged_at, mine.resolved_at) == (
        carla.id, "resolved", NOW, NOW + timedelta(hours=1))
    [entry] = contacts(session)
    assert (entry.id, entry.viewer_id, entry.member_id, entry.method, entry.note, entry.kind,
            entry.flag_id, entry.contacted_on) == (
        mine.contact_id, carla.id, maria.id, "met", "Coffee after group", "flag", flagged, TODAY)
    with pytest.raises(ValidationError, match="already resolved"), session_factory.begin() as s:
        resolve_flag(session=s, actor=carla, flag_id=flagged, purpose="counseling",
                     screen="Alerts", now=NOW + timedelta(hours=2))
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == carla.id)
                              .order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["flag_acknowledged", "flag_resolved"]


# ---------------------------------------------------------------------------------------
# One care loop per viewer (SPEC section 6).


@pytest.fixture
def care_team(session, maria):
    """Maria shares flags with her sponsor sam and her counselor carla; she marked
    yesterday a hard day ("wanted a drink after")."""
    sam = make_user(session, "sam", "member", "sponsor", name="Sam Sponsor")
    carla = make_user(session, "carla", "counselor", name="Carla Counselor")
    grant(session, maria, sam, "checkins", "flags", "notes")
    grant(session, maria, carla, "checkins", "flags", purpose="counseling")
    add_checkin(session, maria, TODAY - timedelta(days=1), hard_day=True,
                hard_day_reason="wanted a drink after")
    session.commit()
    return sam, carla


def test_a_sponsors_acknowledgement_changes_neither_the_counselors_queue_nor_the_risk(
        session_factory, session, maria, care_team):
    sam, carla = care_team
    evaluate(session_factory, maria, TODAY - timedelta(days=1))
    [hard] = flags(session, "hard_day")
    with session_factory.begin() as s:
        acknowledge_flag(session=s, actor=sam, flag_id=hard.id, outreach_method="called",
                         outreach_note="Talked it through", purpose="sponsorship",
                         screen="Weekly review", now=NOW)
    with session_factory.begin() as s:
        resolve_flag(session=s, actor=sam, flag_id=hard.id, purpose="sponsorship",
                     screen="Weekly review", now=NOW)
    with session_factory.begin() as s:
        queue = alert_queue(session=s, actor=carla, now=NOW)
        [row] = caseload_for(session=s, actor=carla, now=NOW)
    # Carla's queue still holds the flag, open, and nothing tells her what sam did.
    assert [(a.rule_id, a.status, a.acknowledged_at, a.outreach_method)
            for a in queue.alerts] == [("hard_day", "open", None, None)]
    assert (row.risk, row.open_flags, row.last_contact) == ("medium", 1, None)
    # Carla answers it her own way; sam's follow-up stays his.
    with session_factory.begin() as s:
        acknowledge_flag(session=s, actor=carla, flag_id=hard.id, outreach_method="met",
                         outreach_note="", purpose="counseling", screen="Alerts", now=NOW)
    assert sorted((f.viewer_id, f.status) for f in follow_ups(session)) == sorted(
        [(sam.id, "resolved"), (carla.id, "acknowledged")])
    with session_factory.begin() as s:
        [row] = caseload_for(session=s, actor=carla, now=NOW)
        # Risk describes maria: a hard day yesterday is still going on, whoever acted.
        assert (row.risk, row.open_flags) == ("medium", 0)
        assert member_risks(s, member_ids=[maria.id], now=NOW) == {maria.id: "medium"}
    # Seven days after the day that raised it, the episode is over.
    with session_factory.begin() as s:
        assert member_risks(s, member_ids=[maria.id], now=NOW + timedelta(days=6)) == {
            maria.id: "medium"}
        assert member_risks(s, member_ids=[maria.id], now=NOW + timedelta(days=7)) == {
            maria.id: "none"}


def test_a_silence_flag_keeps_the_risk_until_the_next_check_in(session_factory, session,
                                                               maria, care_team):
    sam, carla = care_team
    ten_days_on = NOW + timedelta(days=9)  # silent since yesterday: 10 days
    with session_factory.begin() as s:
        assert sweep(s, now=ten_days_on) == 1
    [silence] = flags(session, "no_checkin")
    with session_factory.begin() as s:
        acknowledge_flag(session=s, actor=carla, flag_id=silence.id, outreach_method="called",
                         outreach_note="No answer; left a message", purpose="counseling",
                         screen="Alerts", now=ten_days_on)
    with session_factory.begin() as s:
        [row] = caseload_for(session=s, actor=carla, now=ten_days_on)
    # Acknowledged (and the hard day long over), yet she is still silent: medium.
    assert (row.risk, row.open_flags, row.days_silent) == ("medium", 0, 10)
    with session_factory.begin() as s:
        assert member_risks(s, member_ids=[maria.id], now=ten_days_on + timedelta(days=5)) == {
            maria.id: "medium"}
    add_checkin(session, maria, (ten_days_on + timedelta(days=1)).date())
    session.commit()
    with session_factory.begin() as s:
        assert member_risks(s, member_ids=[maria.id], now=ten_days_on + timedelta(days=1)) == {
            maria.id: "none"}


def test_last_contact_is_each_viewers_own(session_factory, session, maria, care_team):
    from dashboard.contact_log import add_contact, contact_history
    from dashboard.weekly_review import iso_week_of, mark_week_reviewed

    sam, carla = care_team
    with session_factory.begin() as s:
        mark_week_reviewed(session=s, actor=sam, member_id=maria.id,
                           iso_week=iso_week_of(TODAY), note="Good talk", method="met",
                           now=NOW)
    with session_factory.begin() as s:
        [row] = caseload_for(session=s, actor=carla, now=NOW)
    assert row.last_contact is None  # sam's review is his
    with session_factory.begin() as s:
        add_contact(session=s, actor=carla, member_id=maria.id, purpose="counseling",
                    screen="Client detail", contacted_on=TODAY - timedelta(days=3),
                    method="meeting", note="Saw her at the Tuesday group", now=NOW)
    with session_factory.begin() as s:
        [row] = caseload_for(session=s, actor=carla, now=NOW)
        mine = contact_history(session=s, actor=carla, member_id=maria.id,
                               categories=frozenset({"flags"}))
        his = contact_history(session=s, actor=sam, member_id=maria.id,
                              categories=frozenset({"flags"}))
    assert row.last_contact == TODAY - timedelta(days=3)
    assert [(c.method, c.note, c.kind) for c in mine] == [
        ("meeting", "Saw her at the Tuesday group", "contact")]
    assert [(c.method, c.note, c.kind, c.about) for c in his] == [
        ("met", "Good talk", "review", iso_week_of(TODAY))]
    # Marking the week again edits that entry: one entry per week reviewed.
    with session_factory.begin() as s:
        mark_week_reviewed(session=s, actor=sam, member_id=maria.id,
                           iso_week=iso_week_of(TODAY), note="Better", method="called",
                           now=NOW)
    assert [(c.method, c.note) for c in contacts(session) if c.viewer_id == sam.id] == [
        ("called", "Better")]
