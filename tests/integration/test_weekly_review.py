"""The sponsor's weekly review on a real database."""

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from dashboard.errors import NotFound, ValidationError
from dashboard.week_pdf import week_pdf, week_pdf_file_name
from dashboard.weekly_review import (
    iso_week_of,
    mark_week_reviewed,
    sponsee_week_for,
    talking_points,
    week_monday,
    weekly_review_for,
)
from models import AuditEvent, Flag, StepProgress, WeeklyReview
from tests.factories import add_checkin, grant, make_user

# Thursday 26 November 2026, 15:00 UTC: week 2026-W48 runs Monday 23 to Sunday 29.
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
WEEK = "2026-W48"
MONDAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def stopped_at_now(time_machine):
    """This module's values are worked out by hand for NOW: the clock is stopped there, so
    that what the test builds is "now" for it too."""
    time_machine.move_to(NOW, tick=False)


def test_iso_weeks():
    assert iso_week_of(date(2026, 11, 26)) == WEEK
    assert week_monday(WEEK) == MONDAY
    assert iso_week_of(date(2027, 1, 1)) == "2026-W53"
    with pytest.raises(ValueError):
        week_monday("2026-48")


@pytest.fixture
def sponsees(session):
    sam = make_user(session, "sam", "member", "sponsor", name="Sam S.")
    ana = make_user(session, "anabel", "member", name="Ana A.",
                    sobriety_date=date(2026, 8, 30))  # 90 days on Saturday 28 November
    ben = make_user(session, "benny", "member", name="Ben B.")
    cyd = make_user(session, "cyd", "member", name="Cyd C.")
    grant(session, ana, sam, "checkins", "steps", "flags", "notes")
    grant(session, ben, sam, "checkins", "flags")  # no notes, no steps
    grant(session, cyd, sam, "steps")
    for day, mood, craving, meetings, used, hard, reason in [
        (MONDAY, 4, 2, 1, False, False, None),
        (MONDAY + timedelta(days=1), 2, 8, 0, False, True, "Fight with my landlord"),
        (MONDAY + timedelta(days=3), 3, 5, 2, False, False, None),
        (MONDAY - timedelta(days=1), 1, 9, 0, True, True, "Last week"),  # the week before
    ]:
        for member in (ana, ben):
            add_checkin(session, member, day, mood=mood, craving=craving, meetings=meetings,
                        used_substances=used, hard_day=hard, hard_day_reason=reason)
    session.add(Flag(member_id=ben.id, rule_id="high_craving", severity="high",
                     raised_on=MONDAY + timedelta(days=1), episode_key="x",
                     reason="Craving 8/10 on Tue 24 Nov 2026", created_at=NOW))
    session.execute(StepProgress.__table__.update()
                    .where(StepProgress.member_id == ana.id, StepProgress.step == 1)
                    .values(status="completed", started_on=date(2026, 10, 1),
                            completed_on=MONDAY + timedelta(days=2)))
    session.execute(StepProgress.__table__.update()
                    .where(StepProgress.member_id == ana.id, StepProgress.step == 2)
                    .values(status="in_progress", started_on=MONDAY + timedelta(days=2)))
    session.commit()
    return sam, ana, ben, cyd


def cards_for(session_factory, sam, week=WEEK, now=NOW):
    with session_factory.begin() as s:
        return {c.display_name: c for c in weekly_review_for(session=s, actor=sam, iso_week=week,
                                                             now=now)}


def test_each_card_holds_exactly_the_shared_categories(session_factory, sponsees):
    sam = sponsees[0]
    cards = cards_for(session_factory, sam)
    assert set(cards) == {"Ana A.", "Ben B.", "Cyd C."}
    ana, ben, cyd = cards["Ana A."], cards["Ben B."], cards["Cyd C."]
    assert (ana.checkins_made, ana.days_in_week, ana.highest_craving, ana.meetings) == (3, 4, 8, 3)
    assert ana.mean_mood == pytest.approx(3.0) and ana.use_days == []
    assert ana.hard_days == [(MONDAY + timedelta(days=1), "Fight with my landlord")]
    assert ana.step_changes == ["Completed step 1 (Admit the problem)",
                                "Started step 2 (Find hope)"]
    assert ana.milestones == ["reaches 90 days on Saturday 28 November"]
    assert [p.local_date for p in ana.chart][0] == MONDAY - timedelta(days=1)
    # Ben shares no notes and no steps: the reason is withheld, steps are None.
    assert ben.hard_days == [(MONDAY + timedelta(days=1), None)]
    assert ben.step_changes is None and ben.risk == "high"
    assert [f.reason for f in ben.open_flags] == ["Craving 8/10 on Tue 24 Nov 2026"]
    # Cyd shares steps only.
    assert (cyd.checkins_made, cyd.mean_mood, cyd.chart, cyd.hard_days, cyd.open_flags,
            cyd.milestones) == (None,) * 6
    assert cyd.step_changes == []
    assert not any("landlord" in p for p in ben.talking_points)
    assert any("landlord" in p for p in ana.talking_points)
    assert any("90 days" in p for p in ana.talking_points)


def test_cards_are_ordered_by_need(session_factory, session, sponsees):
    sam, ana, ben, cyd = sponsees
    with session_factory.begin() as s:
        mark_week_reviewed(session=s, actor=sam, member_id=cyd.id, iso_week=WEEK, note="", now=NOW)
    order = list(cards_for(session_factory, sam))
    assert order == ["Ben B.", "Ana A.", "Cyd C."]  # high flag, not reviewed, reviewed


def test_each_sponsee_shown_is_audited_once(session_factory, session, sponsees):
    sam = sponsees[0]
    cards_for(session_factory, sam)
    events = session.scalars(select(AuditEvent).where(AuditEvent.screen == "Weekly review")).all()
    assert sorted((e.member_id, e.categories) for e in events) == sorted([
        (sponsees[1].id, "checkins,flags,notes,steps"), (sponsees[2].id, "checkins,flags"),
        (sponsees[3].id, "steps")])


def test_week_boundaries_follow_each_members_calendar(session_factory, session):
    sam = make_user(session, "sam", "member", "sponsor")
    kiri = make_user(session, "kiri", "member", name="Kiri K.", timezone_name="Pacific/Auckland")
    lee = make_user(session, "lee", "member", name="Lee L.", timezone_name="America/Los_Angeles")
    for member in (kiri, lee):
        grant(session, member, sam, "checkins")
    session.commit()
    # Monday 30 November 05:00 UTC: Monday evening in Auckland, still Sunday in Los Angeles.
    now = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
    next_week = cards_for(session_factory, sam, week="2026-W49", now=now)
    assert next_week["Kiri K."].days_in_week == 1
    assert next_week["Lee L."].days_in_week == 0
    this_week = cards_for(session_factory, sam, week=WEEK, now=now)
    assert this_week["Lee L."].days_in_week == 7


def test_marking_reviewed_keeps_a_private_note_per_week(session_factory, session, sponsees):
    sam, ana = sponsees[0], sponsees[1]
    with session_factory.begin() as s:
        mark_week_reviewed(session=s, actor=sam, member_id=ana.id, iso_week=WEEK,
                           note="Talked about the landlord", now=NOW)
    with session_factory.begin() as s:
        mark_week_reviewed(session=s, actor=sam, member_id=ana.id, iso_week=WEEK,
                           note="Talked about the landlord; call Friday", now=NOW)
    card = cards_for(session_factory, sam)["Ana A."]
    assert card.reviewed and card.review_note == "Talked about the landlord; call Friday"
    assert not cards_for(session_factory, sam, week="2026-W47")["Ana A."].reviewed
    assert len(session.scalars(select(WeeklyReview)).all()) == 1


def test_reviewing_without_a_consent_is_refused_and_audited(session_factory, session, sponsees):
    sam = sponsees[0]
    stranger = make_user(session, "stranger", "member")
    session.commit()
    with pytest.raises(NotFound), session_factory.begin() as s:
        mark_week_reviewed(session=s, actor=sam, member_id=stranger.id, iso_week=WEEK, note="", now=NOW)
    event = session.scalars(select(AuditEvent).where(AuditEvent.member_id == stranger.id,
                                                     AuditEvent.action == "week_reviewed")).one()
    assert event.outcome == "denied"
    with pytest.raises(ValidationError), session_factory.begin() as s:
        mark_week_reviewed(session=s, actor=sam, member_id=sponsees[1].id, iso_week=WEEK,
                           note="x" * 2001, now=NOW)
    with pytest.raises(ValidationError), session_factory.begin() as s:
        weekly_review_for(session=s, actor=sam, iso_week="last week", now=NOW)


def test_talking_points_are_quiet_for_a_quiet_week():
    from dashboard.weekly_review import SponseeWeek

    card = SponseeWeek(member_id=1, display_name="A", categories=frozenset({"checkins"}),
                       week_start=MONDAY, checkins_made=6, days_in_week=7, mean_mood=3.8,
                       highest_craving=3, meetings=3, use_days=[])
    assert talking_points(card) == []


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def export(session_factory, sam, member):
    with session_factory.begin() as s:
        week = sponsee_week_for(session=s, actor=sam, member_id=member.id, iso_week=WEEK,
                                now=NOW, action="export")
    return week, pdf_text(week_pdf(week, week_words="23 to 29 Nov", today=NOW.date()))


def test_the_pdf_of_a_week_holds_only_what_the_sponsee_shares(session_factory, sponsees):
    sam, ana, ben, cyd = sponsees
    ana_week, ana_text = export(session_factory, sam, ana)
    assert ana_week.current_step == 2
    assert "Fight with my landlord" in ana_text and "Find hope" in ana_text
    # Ben shares no notes and no steps: no reason of his hard day, no step.
    ben_week, ben_text = export(session_factory, sam, ben)
    assert "landlord" not in ben_text and "Find hope" not in ben_text
    assert "Craving 8/10" in ben_text
    # Cyd shares steps only: no check-in figure, hard day or flag.
    _, cyd_text = export(session_factory, sam, cyd)
    for words in ("landlord", "Craving 8/10", "of 4", "/ 10", "/ 5"):
        assert words not in cyd_text
    assert "not shared" in cyd_text.lower()
    for text in (ana_text, ben_text, cyd_text):
        assert "Confidential" in text


def test_each_pdf_download_is_one_audited_export(session_factory, session, sponsees):
    sam, ana, ben, _ = sponsees
    export(session_factory, sam, ana)
    export(session_factory, sam, ana)
    export(session_factory, sam, ben)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                             .order_by(AuditEvent.id)).all()
    assert [(e.member_id, e.screen, e.outcome, e.seen_count) for e in events] == [
        (ana.id, "Weekly review", "allowed", 1), (ana.id, "Weekly review", "allowed", 1),
        (ben.id, "Weekly review", "allowed", 1)]
    assert events[0].categories == "checkins,flags,notes,steps"
    assert events[2].categories == "checkins,flags"
    assert week_pdf_file_name(ana_week_of(session_factory, sam, ana), iso_week=WEEK) == (
        "weekly-review-2026-W48-AA.pdf")


def ana_week_of(session_factory, sam, ana):
    with session_factory.begin() as s:
        return sponsee_week_for(session=s, actor=sam, member_id=ana.id, iso_week=WEEK, now=NOW)


def test_a_pdf_of_someone_who_does_not_share_is_refused_and_the_attempt_kept(
        session_factory, session, sponsees):
    sam = sponsees[0]
    stranger = make_user(session, "zed", "member", name="Zed Z.")
    session.commit()
    with pytest.raises(NotFound), session_factory.begin() as s:
        sponsee_week_for(session=s, actor=sam, member_id=stranger.id, iso_week=WEEK, now=NOW,
                         action="export")
    denied = session.scalars(select(AuditEvent).where(AuditEvent.member_id == stranger.id)).one()
    assert (denied.action, denied.outcome) == ("export", "denied")
