"""Saving check-ins: one per member per local day, backfill, time zones, concurrency,
the flag hook and the sobriety date reset."""

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from dashboard import checkins
from dashboard.checkins import (
    CheckInForm,
    reset_sobriety_date,
    save_checkin,
)
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.member_record import member_record
from models import AuditEvent, CheckIn, Flag, MemberProfile, SobrietyDateChange
from tests.factories import NOW, make_user

TODAY = NOW.date()  # NOW is 15:00 UTC: the same calendar day in UTC


def form(day: date | None = TODAY, **values) -> CheckInForm:
    fields = {"mood": 3, "craving": 2, "used_substances": False, "meetings": 1} | values
    return CheckInForm(local_date=day, **fields)


@pytest.fixture
def member(session):
    actor = make_user(session, "maria", "member", sobriety_date=date(2025, 6, 1))
    session.commit()
    return actor


def checkin_rows(session, member_id):
    session.rollback()  # a fresh snapshot: SQLite keeps a read transaction's view
    return session.scalars(select(CheckIn).where(CheckIn.member_id == member_id)
                           .order_by(CheckIn.local_date)).all()


def events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_saving_today_writes_every_field(session_factory, session, member):
    full = form(mood=4, craving=7, used_substances=False, meetings=2,
                actions=("prayer_meditation", "step_work"), sleep_hours=6.5,
                gratitude="  My dog  ", journal="Long day.", hard_day=True,
                hard_day_reason="Court date coming up")
    with session_factory.begin() as s:
        saved = save_checkin(session=s, actor=member, form=full, now=NOW)
    assert (saved.local_date, saved.created, saved.is_late, saved.hard_day) == (
        TODAY, True, False, True)
    [row] = checkin_rows(session, member.id)
    assert (row.mood, row.craving, row.used_substances, row.meetings) == (4, 7, False, 2)
    assert (row.prayer_meditation, row.called_support, row.read_literature, row.step_work) == (
        True, False, False, True)
    assert (row.sleep_hours, row.gratitude, row.journal) == (6.5, "My dog", "Long day.")
    assert (row.hard_day, row.hard_day_reason, row.is_late) == (True, "Court date coming up",
                                                                 False)
    assert row.created_at == row.updated_at == NOW


def test_a_journal_entry_is_private_unless_the_member_shares_it(session_factory, session,
                                                                 member):
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(journal="Just for me."), now=NOW)
    [row] = checkin_rows(session, member.id)
    assert (row.journal, row.journal_shared) == ("Just for me.", False)
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(journal="For Sam too.",
                                                        journal_shared=True), now=NOW)
    [row] = checkin_rows(session, member.id)
    assert (row.journal, row.journal_shared) == ("For Sam too.", True)
    # Saving the day again without the box ticked makes the entry private again.
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(journal="For Sam too."), now=NOW)
    [row] = checkin_rows(session, member.id)
    assert row.journal_shared is False


def test_sharing_a_journal_entry_takes_a_yes_or_no(session_factory, session, member):
    with pytest.raises(ValidationError) as refused, session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(journal="x", journal_shared="yes"),
                     now=NOW)
    assert set(refused.value.errors) == {"journal_shared"}
    assert checkin_rows(session, member.id) == []


def test_saving_the_same_day_again_edits_it(session_factory, session, member):
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(mood=2, journal="first"), now=NOW)
    later = NOW + timedelta(hours=3)
    with session_factory.begin() as s:
        saved = save_checkin(session=s, actor=member, form=form(mood=4), now=later)
    assert saved.created is False
    [row] = checkin_rows(session, member.id)
    assert (row.mood, row.journal) == (4, None)
    assert (row.created_at, row.updated_at) == (NOW, later)
    assert [e.detail for e in events(session, "checkin_saved")] == ["created", "edited"]


def test_backfill_up_to_seven_days_is_marked_late(session_factory, session, member):
    for days_back in (7, 1):
        with session_factory.begin() as s:
            saved = save_checkin(session=s, actor=member,
                                 form=form(TODAY - timedelta(days=days_back)), now=NOW)
        assert saved.is_late
    assert [(r.local_date, r.is_late) for r in checkin_rows(session, member.id)] == [
        (TODAY - timedelta(days=7), True), (TODAY - timedelta(days=1), True)]


def test_an_on_time_check_in_edited_days_later_stays_on_time(session_factory, session, member):
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(TODAY), now=NOW)
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(TODAY, mood=5),
                     now=NOW + timedelta(days=3))
    [row] = checkin_rows(session, member.id)
    assert (row.mood, row.is_late) == (5, False)


@pytest.mark.parametrize("day", [TODAY + timedelta(days=1), TODAY - timedelta(days=8)],
                         ids=["tomorrow", "8 days back"])
def test_dates_out_of_range_are_refused_and_nothing_is_written(session_factory, session,
                                                                member, day):
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(day), now=NOW)
    assert list(error.value.errors) == ["local_date"]
    assert checkin_rows(session, member.id) == []
    assert events(session, "checkin_saved") == []


def test_invalid_values_write_nothing_and_name_each_field(session_factory, session, member):
    bad = form(mood=6, craving=-1, sleep_hours=24.5, gratitude="x" * 1_001)
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=bad, now=NOW)
    assert set(error.value.errors) == {"mood", "craving", "sleep_hours", "gratitude"}
    assert checkin_rows(session, member.id) == []


def test_a_missing_date_means_the_members_today(session_factory, session, member):
    with session_factory.begin() as s:
        saved = save_checkin(session=s, actor=member, form=form(None), now=NOW)
    assert saved.local_date == TODAY


# Around midnight UTC on 26/27 November 2026: Los Angeles is on UTC-8, Auckland on UTC+13.
@pytest.mark.parametrize(
    ("zone", "utc_time", "local_day"),
    [
        ("America/Los_Angeles", datetime(2026, 11, 26, 23, 59, tzinfo=timezone.utc),
         date(2026, 11, 26)),
        ("America/Los_Angeles", datetime(2026, 11, 27, 0, 1, tzinfo=timezone.utc),
         date(2026, 11, 26)),
        # 23:30 in Los Angeles is still the 26th there, although the 27th in UTC.
        ("America/Los_Angeles", datetime(2026, 11, 27, 7, 30, tzinfo=timezone.utc),
         date(2026, 11, 26)),
        ("America/Los_Angeles", datetime(2026, 11, 27, 8, 1, tzinfo=timezone.utc),
         date(2026, 11, 27)),
        ("Pacific/Auckland", datetime(2026, 11, 26, 10, 59, tzinfo=timezone.utc),
         date(2026, 11, 26)),
        ("Pacific/Auckland", datetime(2026, 11, 26, 11, 1, tzinfo=timezone.utc),
         date(2026, 11, 27)),
        ("Pacific/Auckland", datetime(2026, 11, 26, 23, 59, tzinfo=timezone.utc),
         date(2026, 11, 27)),
        ("Pacific/Auckland", datetime(2026, 11, 27, 0, 1, tzinfo=timezone.utc),
         date(2026, 11, 27)),
    ],
)
def test_today_is_the_members_local_date(session_factory, session, zone, utc_time, local_day):
    member = make_user(session, "traveller", "member", timezone_name=zone,
                       sobriety_date=date(2026, 1, 1))
    session.commit()
    with session_factory.begin() as s:
        saved = save_checkin(session=s, actor=member, form=form(None), now=utc_time)
    assert (saved.local_date, saved.is_late) == (local_day, False)
    tomorrow = form(local_day + timedelta(days=1))
    with pytest.raises(ValidationError, match="not a day to come"), session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=tomorrow, now=utc_time)
    with session_factory.begin() as s:
        late = save_checkin(session=s, actor=member, form=form(local_day - timedelta(days=7)),
                            now=utc_time)
    assert late.is_late


def test_two_tabs_saving_the_same_day_at_once_leave_one_check_in(session_factory, session,
                                                                  member):
    tabs = 6
    start = threading.Barrier(tabs)
    failures: list[BaseException] = []

    def save(mood: int) -> None:
        try:
            start.wait()
            with session_factory.begin() as s:
                save_checkin(session=s, actor=member, form=form(mood=mood), now=NOW)
        except BaseException as error:  # noqa: BLE001 - any error reaching the caller fails
            failures.append(error)

    threads = [threading.Thread(target=save, args=(1 + n % 5,)) for n in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = checkin_rows(session, member.id)
    assert len(rows) == 1
    assert rows[0].mood in {1 + n % 5 for n in range(tabs)}
    assert len(events(session, "checkin_saved")) == tabs


def test_saving_raises_the_flags_the_check_in_calls_for_once(session_factory, session, member):
    risky = form(craving=9, hard_day=True, hard_day_reason="Lonely evening")
    for _ in range(2):  # an edit of the same day raises nothing twice
        with session_factory.begin() as s:
            save_checkin(session=s, actor=member, form=risky, now=NOW)
    session.rollback()
    flags = session.scalars(select(Flag).where(Flag.member_id == member.id)).all()
    assert sorted(f.rule_id for f in flags) == ["hard_day", "high_craving"]
    assert {f.raised_on for f in flags} == {TODAY}


def test_with_no_flag_evaluator_a_check_in_saves_all_the_same(session_factory, session, member,
                                                              monkeypatch):
    monkeypatch.setattr(checkins, "flag_evaluators", [])
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(craving=10), now=NOW)
    assert [r.craving for r in checkin_rows(session, member.id)] == [10]
    assert session.scalars(select(Flag)).all() == []


def test_flag_evaluators_run_in_the_same_transaction(session_factory, session, member,
                                                     monkeypatch):
    seen = []

    def evaluate(*, session, checkin, now):
        seen.append((checkin.member_id, checkin.local_date, checkin.hard_day, now))

    monkeypatch.setattr(checkins, "flag_evaluators", [evaluate])
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(hard_day=True), now=NOW)
    assert seen == [(member.id, TODAY, True, NOW)]

    def broken(**_):
        raise RuntimeError("flags engine failed")

    monkeypatch.setattr(checkins, "flag_evaluators", [broken])
    with pytest.raises(RuntimeError), session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(TODAY - timedelta(days=1)), now=NOW)
    assert [r.local_date for r in checkin_rows(session, member.id)] == [TODAY]


def test_the_audit_event_holds_no_words_and_no_clinical_fact(session_factory, session, member):
    """Its categories used to say "flags" for a hard day, which the administrator's log
    showed without any consent."""
    words = form(gratitude="gratitude words", journal="journal words", hard_day=True,
                 hard_day_reason="reason words", used_substances=True)
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=words, now=NOW)
    [event] = events(session, "checkin_saved")
    assert (event.actor_id, event.member_id, event.outcome) == (member.id, member.id, "allowed")
    assert "words" not in (event.detail or "")
    assert event.categories == "checkins"


def test_only_members_check_in(session_factory, session):
    counselor = make_user(session, "carla", "counselor")
    session.commit()
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        save_checkin(session=s, actor=counselor, form=form(), now=NOW)


def test_reported_use_offers_a_reset_kept_in_the_history(session_factory, session, member):
    used_on = TODAY - timedelta(days=2)
    with session_factory.begin() as s:
        saved = save_checkin(session=s, actor=member, form=form(used_on, used_substances=True),
                             now=NOW)
    assert saved.sobriety_reset_to == used_on + timedelta(days=1)
    with session_factory.begin() as s:
        new_date = reset_sobriety_date(session=s, actor=member, used_on=used_on, now=NOW)
    assert new_date == used_on + timedelta(days=1)
    session.rollback()  # a fresh snapshot: SQLite keeps a read transaction's view
    assert session.get(MemberProfile, member.id).sobriety_date == new_date
    [change] = session.scalars(select(SobrietyDateChange)).all()
    assert (change.previous_date, change.new_date, change.changed_at) == (
        date(2025, 6, 1), new_date, NOW)
    views_before = len(events(session, "view"))
    session.commit()  # end this read snapshot, so the event below is seen
    with session_factory.begin() as s:
        record = member_record(session=s, actor=member, member_id=member.id, purpose=None,
                               screen="My progress", now=NOW)
    assert [(h.previous_date, h.new_date) for h in record.sobriety_history] == [
        (date(2025, 6, 1), new_date)]
    assert len(events(session, "view")) == views_before + 1  # one read, one event
    [event] = events(session, "profile_updated")  # not "sobriety date reset": a relapse
    assert event.detail is None and event.categories == ""

    # Saving the same day again offers nothing more, and a second reset changes nothing.
    with session_factory.begin() as s:
        again = save_checkin(session=s, actor=member, form=form(used_on, used_substances=True),
                             now=NOW)
    assert again.sobriety_reset_to is None
    with pytest.raises(ValidationError, match="already"), session_factory.begin() as s:
        reset_sobriety_date(session=s, actor=member, used_on=used_on, now=NOW)
    assert session.scalar(select(func.count()).select_from(SobrietyDateChange)) == 1


def test_a_reset_needs_a_reported_use_that_day(session_factory, session, member):
    with session_factory.begin() as s:
        save_checkin(session=s, actor=member, form=form(), now=NOW)
    with pytest.raises(ValidationError, match="no check-in reporting use"), \
            session_factory.begin() as s:
        reset_sobriety_date(session=s, actor=member, used_on=TODAY, now=NOW)
    session.rollback()  # a fresh snapshot: SQLite keeps a read transaction's view
    assert session.get(MemberProfile, member.id).sobriety_date == date(2025, 6, 1)


def test_use_before_the_sobriety_date_offers_no_reset(session_factory, session):
    member = make_user(session, "newcomer", "member", sobriety_date=TODAY - timedelta(days=1))
    session.commit()
    with session_factory.begin() as s:
        saved = save_checkin(session=s, actor=member,
                             form=replace(form(TODAY - timedelta(days=3)), used_substances=True),
                             now=NOW)
    assert saved.sobriety_reset_to is None
