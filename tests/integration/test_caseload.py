"""The counselor's caseload and alert queue on a real database (SQLite, and PostgreSQL
when TEST_DATABASE_URL is set): values against hand-computed ones, consent, the audit
trail, the export, and a number of statements that does not grow with the caseload."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, select, update

from dashboard.alert_queue import alert_queue
from dashboard.caseload import CaseloadFilter, caseload_for, caseload_view
from dashboard.errors import PermissionDenied
from models import AuditEvent, CheckIn, Consent, Flag, MemberProfile, User, UserRole
from tests.factories import grant, make_user
from tests.integration.caseload_world import ALL, NOW, TODAY, day


@pytest.fixture(autouse=True)
def stopped_at_now(time_machine):
    """This module's values are worked out by hand for NOW: the clock is stopped there, so
    that what the test builds is "now" for it too."""
    time_machine.move_to(NOW, tick=False)


def build(session_factory, actor, **kwargs):
    with session_factory.begin() as s:
        return caseload_for(session=s, actor=actor, now=NOW, **kwargs)


def test_each_column_against_hand_computed_values(session_factory, caseload):
    carla, _ = caseload
    rows = {r.display_name: r for r in build(session_factory, carla)}
    assert set(rows) == {"Ana Alvarez", "Ben Brown", "Dee Diaz", "Eve Evans", "Fay Fox"}

    ana = rows["Ana Alvarez"]
    assert ana.today == TODAY
    # Checked in today: the window is 20 to 26 November (the 19th is out).
    assert (ana.last_checkin, ana.days_silent, ana.checkins_7d) == (TODAY, 0, 3)
    assert ana.adherence_7d == pytest.approx(3 / 7)
    assert ana.mean_mood_7d == pytest.approx(3.0)
    assert (ana.max_craving_7d, ana.days_sober, ana.current_step) == (8, 90, 4)
    assert (ana.risk, ana.open_flags, ana.open_high_flags) == ("high", 2, 1)
    # Carla's own acknowledgement; sam's review of the week since is his, not hers.
    assert ana.last_contact == (NOW - timedelta(days=2)).date()

    dee = rows["Dee Diaz"]
    # Her today is the 27th; no check-in yet, so her window is the 20th to the 26th.
    assert (dee.today, dee.last_checkin, dee.days_silent) == (date(2026, 11, 27), TODAY, 1)
    assert (dee.checkins_7d, dee.max_craving_7d, dee.days_sober) == (3, 6, 11)
    assert dee.mean_mood_7d == pytest.approx(4.0)
    assert (dee.risk, dee.open_flags, dee.last_contact) == ("none", 0, None)

    eve = rows["Eve Evans"]
    assert (eve.days_silent, eve.checkins_7d, eve.mean_mood_7d, eve.max_craving_7d) == (
        5, 1, 2.0, 5)
    assert (eve.risk, eve.open_flags, eve.open_high_flags) == ("medium", 1, 0)

    fay = rows["Fay Fox"]
    assert (fay.last_checkin, fay.days_silent, fay.checkins_7d, fay.mean_mood_7d) == (
        None, None, 0, None)
    assert fay.never_checked_in and fay.days_sober == 3


def test_categories_not_shared_are_none_never_zero(session_factory, caseload):
    carla, _ = caseload
    rows = {r.display_name: r for r in build(session_factory, carla)}
    ben = rows["Ben Brown"]
    assert ben.categories == {"steps"} and ben.current_step == 1
    for value in (ben.last_checkin, ben.days_silent, ben.checkins_7d, ben.mean_mood_7d,
                  ben.max_craving_7d, ben.days_sober, ben.risk, ben.open_flags,
                  ben.open_high_flags, ben.last_contact):
        assert value is None
    assert not ben.never_checked_in
    for name in ("Dee Diaz", "Eve Evans", "Fay Fox"):
        assert rows[name].current_step is None
    assert (rows["Fay Fox"].risk, rows["Fay Fox"].open_flags) == (None, None)


def test_default_order_puts_the_client_who_needs_a_call_first(session_factory, caseload):
    carla, _ = caseload
    assert [r.display_name for r in build(session_factory, carla)] == [
        "Ana Alvarez", "Eve Evans", "Dee Diaz", "Fay Fox", "Ben Brown"]


def test_a_client_who_revokes_is_gone_on_the_next_read(session_factory, session, caseload):
    carla, people = caseload
    session.execute(update(Consent).where(Consent.member_id == people["ana"].id)
                    .values(revoked_at=NOW - timedelta(seconds=1)))
    session.commit()
    names = {r.display_name for r in build(session_factory, carla)}
    assert "Ana Alvarez" not in names and "Cy Chen" not in names


def test_silence_flags_are_raised_by_the_caseload_itself(session_factory, session, caseload):
    carla, people = caseload
    first = {r.display_name: r for r in build(session_factory, carla)}
    again = {r.display_name: r for r in build(session_factory, carla)}
    # The view that raised the flag counts it as needing carla's action, and so does the
    # next one, once.
    assert first["Eve Evans"].open_flags == again["Eve Evans"].open_flags == 1
    session.commit()
    silent = session.scalars(select(Flag).where(Flag.member_id == people["eve"].id)).one()
    assert (silent.rule_id, silent.episode_key) == ("no_checkin", day(5).isoformat())
    # Fay does not share flags and never checked in: nothing to raise for her.
    assert session.scalars(select(Flag).where(Flag.member_id == people["fay"].id)).all() == []


def test_one_view_event_per_client_with_the_categories_shown(session_factory, session, caseload):
    carla, people = caseload
    build(session_factory, carla)
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.screen == "Caseload")).all()
    by_member = {e.member_id: e for e in events}
    assert len(events) == len(by_member) == 5
    assert {(e.action, e.outcome, e.actor_id, e.purpose, e.at) for e in events} == {
        ("view", "allowed", carla.id, "counseling", NOW)}
    # The caseload shows no notes, so Ana's notes are not recorded as viewed.
    assert by_member[people["ana"].id].categories == "checkins,flags,steps"
    assert by_member[people["ben"].id].categories == "steps"
    assert by_member[people["fay"].id].categories == "checkins"
    assert people["cy"].id not in by_member and people["hal"].id not in by_member


def test_only_a_counselor_has_a_caseload(session_factory, caseload):
    _, people = caseload
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        caseload_for(session=s, actor=people["ana"], now=NOW)
    with pytest.raises(PermissionDenied), session_factory.begin() as s:
        alert_queue(session=s, actor=people["ana"], now=NOW)


def test_view_filters_sorts_and_reads_the_heatmap_of_the_rows_drawn(session_factory, caseload):
    carla, people = caseload
    with session_factory.begin() as s:
        view = caseload_view(session=s, actor=carla, now=NOW,
                             criteria=CaseloadFilter(silent_for_at_least=1),
                             sort_by="days_silent", descending=True)
    assert len(view.rows) == 5
    assert [r.display_name for r in view.shown] == ["Fay Fox", "Eve Evans", "Dee Diaz"]
    assert view.checkin_days == {
        people["fay"].id: frozenset(),
        people["eve"].id: frozenset({5}),
        # Days ago from her own today, the 27th.
        people["dee"].id: frozenset({1, 3, 7, 8}),
    }


def test_a_view_without_the_heatmap_reads_no_days_of_it(engine, session_factory, caseload):
    carla, _ = caseload
    read: list[str] = []

    def record(conn, cursor, statement, *args):
        read.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_factory.begin() as s:
            view = caseload_view(session=s, actor=carla, now=NOW, heatmap=False)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(view.shown) == 5 and view.checkin_days == {}
    heatmap_days = "SELECT checkins.member_id, checkins.local_date \nFROM checkins"
    assert not [sql for sql in read if sql.startswith(heatmap_days)]
    read.clear()
    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_factory.begin() as s:
            assert caseload_view(session=s, actor=carla, now=NOW).checkin_days
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([sql for sql in read if sql.startswith(heatmap_days)]) == 1


def test_the_statements_do_not_grow_with_the_caseload(engine, session_factory, session):
    def arrange(prefix: str, size: int):
        """A counselor and `size` clients with mixed consents, check-ins and flags, some
        silent; written in bulk (the accounts' details do not matter here)."""
        counselor = make_user(session, f"{prefix}-counselor", "counselor")
        mixes = [ALL, ("checkins",), ("steps",), ("flags",), ("checkins", "flags")]
        ids = session.scalars(insert(User).returning(User.id), [
            {"username": f"{prefix}-{n}", "display_name": f"{prefix.title()} {n}",
             "password_hash": "x", "timezone": ("UTC", "Pacific/Auckland")[n % 2],
             "created_at": NOW} for n in range(size)]).all()
        session.execute(insert(UserRole), [{"user_id": i, "role": "member"} for i in ids])
        session.execute(insert(MemberProfile), [{"user_id": i, "sobriety_date": day(30)}
                                                for i in ids])
        session.execute(insert(Consent), [
            {"member_id": i, "recipient_id": counselor.id, "purpose": "counseling",
             **{f"share_{c}": c in mixes[n % 5] for c in ALL}, "signature_name": "M",
             "signed_on": day(30), "revocation_acknowledged": True,
             "starts_at": NOW - timedelta(days=30), "expires_at": NOW + timedelta(days=300),
             "created_at": NOW - timedelta(days=30)} for n, i in enumerate(ids)])
        session.execute(insert(CheckIn), [
            {"member_id": i, "local_date": day(n % 6), "mood": 1 + n % 5, "craving": n % 11,
             "used_substances": False, "meetings": 0, "prayer_meditation": False,
             "called_support": False, "read_literature": False, "step_work": False,
             "hard_day": False, "is_late": False, "created_at": NOW, "updated_at": NOW}
            for n, i in enumerate(ids)])
        session.execute(insert(Flag), [
            {"member_id": i, "rule_id": "hard_day", "severity": "medium", "raised_on": day(1),
             "episode_key": "e", "reason": "Hard day", "status": "open", "created_at": NOW}
            for i in ids])
        session.commit()
        return counselor

    def statements_to_build(counselor) -> tuple[int, int]:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with session_factory.begin() as s:
                view = caseload_view(session=s, actor=counselor, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements), len(view.rows)

    small = statements_to_build(arrange("small", 5))
    large = statements_to_build(arrange("large", 200))
    assert (small[1], large[1]) == (5, 200)
    assert small[0] == large[0]


def test_reruns_within_a_visit_are_one_view_per_client(session_factory, session):
    """Six runs of the caseload in nine minutes (filters changed, a sort) are one view of
    each client, seen six times; a run after the visit, other categories, or another
    counselor are events of their own."""
    carla = make_user(session, "carla", "counselor")
    otto = make_user(session, "otto", "counselor")
    ana = make_user(session, "ana", "member")
    ben = make_user(session, "ben", "member")
    grant(session, ana, carla, *ALL, purpose="counseling")
    bens = grant(session, ben, carla, "steps", purpose="counseling")
    grant(session, ana, otto, "checkins", purpose="counseling")
    session.commit()

    def view(actor, minutes: int, **criteria) -> None:
        with session_factory.begin() as s:
            caseload_view(session=s, actor=actor, criteria=CaseloadFilter(**criteria),
                          now=NOW + timedelta(minutes=minutes))

    def events() -> list[tuple]:
        session.commit()
        found = session.execute(
            select(AuditEvent.actor_id, AuditEvent.member_id, AuditEvent.categories,
                   AuditEvent.at, AuditEvent.seen_count, AuditEvent.last_seen_at)
            .where(AuditEvent.screen == "Caseload").order_by(AuditEvent.id)).all()
        session.commit()
        return [tuple(e) for e in found]

    for minutes, criteria in zip((0, 1, 2, 4, 7, 9), (
            {}, {"name": "an"}, {"name": ""}, {"steps": frozenset({1})},
            {"silent_for_at_least": 3}, {}), strict=True):
        view(carla, minutes, **criteria)
    at, last = NOW, NOW + timedelta(minutes=9)
    assert events() == [(carla.id, ana.id, "checkins,flags,steps", at, 6, last),
                        (carla.id, ben.id, "steps", at, 6, last)]

    # Ben shares check-ins too from minute 10: what the caseload discloses of him changed.
    session.execute(update(Consent).where(Consent.id == bens.id).values(share_checkins=True))
    session.commit()
    view(carla, 10)
    view(otto, 10)
    view(carla, 31)  # past the visit begun at 0, within Ben's new one
    later = NOW + timedelta(minutes=31)
    assert events() == [
        (carla.id, ana.id, "checkins,flags,steps", at, 7, NOW + timedelta(minutes=10)),
        (carla.id, ben.id, "steps", at, 6, last),
        (carla.id, ben.id, "checkins,steps", NOW + timedelta(minutes=10), 2, later),
        (otto.id, ana.id, "checkins", NOW + timedelta(minutes=10), 1, None),
        (carla.id, ana.id, "checkins,flags,steps", later, 1, None),
    ]
