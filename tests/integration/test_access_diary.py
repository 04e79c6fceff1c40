"""Who viewed my data as a diary: the grouping by viewer, screen and the member's day."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dashboard.access_diary import access_diary
from dashboard.audit import record_event
from dashboard.auth import RESET_CODE_SESSION
from dashboard.errors import NotFound, PermissionDenied
from dashboard.member_record import member_record
from models import CATEGORIES, AuditEvent
from tests.factories import grant, make_user

LA = "America/Los_Angeles"
# A fixed moment, so that the words ("today", the year) are the same on every run: Thursday
# 3 December 2026, 10:00 in Los Angeles (PST, UTC-8).
NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def la(day: int, hour: int, minute: int, month: int = 12, year: int = 2026) -> datetime:
    """A moment given in Los Angeles winter time (UTC-8), in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) + timedelta(hours=8)


@pytest.fixture
def people(session):
    maria = make_user(session, "maria", "member", name="Maria Garcia", timezone_name=LA)
    latoya = make_user(session, "latoya", "counselor", name="Latoya N.")
    sam = make_user(session, "sam", "member", "sponsor", name="Sam R.")
    otto = make_user(session, "otto", "member", name="Otto O.")
    session.commit()
    return maria, latoya, sam, otto


_ROLES = {"counseling": "counselor", "sponsorship": "sponsor"}


def event(session, *, viewer, member, at, screen="Caseload", categories=("checkins",),
          outcome="allowed", action="view", seen=1, last=None, role=None, detail=None):
    """An audit event as the screens write it; `seen` and `last` as a visit extended by
    reruns leaves it (seen_count, last_seen_at)."""
    purpose = ("counseling" if screen in ("Caseload", "Client detail", "Alerts")
               else "sponsorship" if screen in ("Sponsee detail", "Weekly review") else None)
    record_event(session, actor_id=viewer.id if viewer else None,
                 actor_role=role or _ROLES.get(purpose, "admin" if viewer else None),
                 action=action, member_id=member.id, categories=categories, purpose=purpose,
                 screen=screen, outcome=outcome, detail=detail, at=at)
    newest = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    session.execute(update(AuditEvent).where(AuditEvent.id == newest)
                    .values(seen_count=seen, last_seen_at=last))


def diary_of(session_factory, member, **options):
    window = {"since": la(1, 0, 0, month=11), "until": la(4, 0, 0), "now": NOW} | options
    with session_factory.begin() as s:
        return access_diary(session=s, actor=member, **window)


def lines(diary):
    return {day.label: [v.text for v in day.visits] for day in diary.days}


def test_events_of_a_viewer_on_a_screen_make_one_line_per_day_of_the_members(
        session_factory, session, people):
    maria, latoya, _, _ = people
    # Monday evening and Tuesday morning in Los Angeles: the same day in UTC (1 December),
    # two days of Maria's.
    event(session, viewer=latoya, member=maria, at=la(30, 23, 50, month=11))
    # Tuesday: an event extended by reruns (3 runs to 10:05), another of one run at 10:09
    # with one more category, as before list screens extended their visits.
    event(session, viewer=latoya, member=maria, at=la(1, 10, 2), seen=3, last=la(1, 10, 5))
    event(session, viewer=latoya, member=maria, at=la(1, 10, 9), categories=("flags", "checkins"))
    session.commit()

    diary = diary_of(session_factory, maria)

    assert lines(diary) == {
        "Tuesday 1 December": [
            "Latoya N., counselor, saw you on Caseload 4 times between 10:02 and 10:09: "
            "check-ins, hard days and flags"],
        "Monday 30 November": [
            "Latoya N., counselor, saw you on Caseload once at 23:50: check-ins"],
    }
    [tuesday] = diary.days[0].visits
    assert (tuesday.times, tuesday.events, tuesday.categories) == (4, 2, ("checkins", "flags"))
    assert (tuesday.first_at, tuesday.last_at) == (la(1, 10, 2), la(1, 10, 9))
    assert diary.summary == "3 visits by 1 person in this period."


def test_the_day_is_the_members_own_across_a_change_of_daylight_saving(
        session_factory, session, people):
    maria, latoya, _, _ = people
    # Sunday 1 November 2026 has 25 hours in Los Angeles: 23:30 that night is PST (UTC-8),
    # still Sunday, though an offset taken at the day's start (PDT, UTC-7) says Monday.
    event(session, viewer=latoya, member=maria, at=la(1, 23, 30, month=11))
    event(session, viewer=latoya, member=maria, at=la(1, 7, 15, month=11))  # PST already
    session.commit()
    diary = diary_of(session_factory, maria, since=la(31, 0, 0, month=10) - timedelta(hours=1))
    assert [(d.day.isoformat(), v.text) for d in diary.days for v in d.visits] == [
        ("2026-11-01", "Latoya N., counselor, saw you on Caseload twice between 07:15 and "
                       "23:30: check-ins")]


def test_refused_attempts_are_lines_of_their_own_that_do_not_blame_the_member(
        session_factory, session, people):
    maria, latoya, sam, _ = people
    grant(session, maria, sam, "checkins", starts_at=la(1, 0, 0, month=11),
          expires_at=la(1, 0, 0, month=12, year=2027))
    session.commit()
    with session_factory.begin() as s:
        member_record(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                      screen="Sponsee detail", now=la(30, 8, 58, month=11))
    event(session, viewer=sam, member=maria, at=la(30, 9, 0, month=11), screen="Sponsee detail",
          categories=("notes",), outcome="denied")
    event(session, viewer=sam, member=maria, at=la(30, 9, 1, month=11), screen="Sponsee detail",
          categories=("notes",), outcome="denied")
    session.commit()
    # Latoya has no consent at all: her attempt is refused, recorded and shown.
    with pytest.raises(NotFound), session_factory.begin() as s:
        member_record(session=s, actor=latoya, member_id=maria.id, purpose="counseling",
                      screen="Client detail", now=la(30, 9, 30, month=11))

    diary = diary_of(session_factory, maria)

    assert lines(diary) == {"Monday 30 November": [
        "Latoya N., counselor, tried to see your data on Client detail once at 09:30: "
        "refused, you do not share that with them",
        "Sam R., sponsor, tried to see your notes on Sponsee detail twice between 09:00 and "
        "09:01: refused, you do not share that with them",
        "Sam R., sponsor, saw you on Sponsee detail once at 08:58: check-ins",
    ]}
    assert (diary.visits, diary.people, diary.refused) == (4, 2, 3)
    assert diary.summary == "4 visits by 2 people in this period; 3 refused."


def test_acts_that_are_not_views_read_as_what_was_done(session_factory, session, people):
    maria, latoya, _, _ = people
    admin = make_user(session, "ada", "admin", name="Ada Admin")
    event(session, viewer=latoya, member=maria, at=la(2, 11, 0), action="export",
          categories=("checkins", "steps"))
    event(session, viewer=latoya, member=maria, at=la(2, 11, 5), action="flag_acknowledged",
          screen="Alerts", categories=("flags",))
    event(session, viewer=latoya, member=maria, at=la(2, 11, 7), action="flag_acknowledged",
          screen="Alerts", categories=("flags",))
    event(session, viewer=latoya, member=maria, at=la(2, 11, 30), action="contact_logged",
          screen="Client detail", categories=("checkins",))
    event(session, viewer=admin, member=maria, at=la(2, 12, 0), action="password_reset",
          screen="Users", categories=())
    event(session, viewer=None, member=maria, at=la(2, 13, 0), action="two_factor_reset",
          screen=None, categories=())
    event(session, viewer=maria, member=maria, at=la(2, 14, 0), screen="Today", role="member",
          categories=CATEGORIES, detail=RESET_CODE_SESSION)
    session.commit()
    [day] = diary_of(session_factory, maria).days
    assert [v.text for v in day.visits] == [
        "Your account, in a session begun with a reset code, saw your data on Today once at "
        "14:00: check-ins, steps, hard days and flags, notes",
        "The server's operator reset your two-factor login at 13:00",
        "Ada Admin, administrator, reset your password at 12:00",
        "Latoya N., counselor, noted a contact with you on Client detail at 11:30",
        "Latoya N., counselor, acknowledged 2 flags on Alerts between 11:05 and 11:07",
        "Latoya N., counselor, exported your check-ins and steps from Caseload at 11:00",
    ]
    assert day.label == "Yesterday, Wednesday 2 December"


def test_only_the_members_own_events_in_the_period_and_of_the_viewer_chosen(
        session_factory, session, people):
    maria, latoya, sam, otto = people
    event(session, viewer=latoya, member=otto, at=la(2, 9, 0))
    event(session, viewer=sam, member=otto, at=la(2, 9, 0), screen="Weekly review")
    event(session, viewer=latoya, member=maria, at=la(3, 9, 0))
    event(session, viewer=sam, member=maria, at=la(3, 9, 30), screen="Weekly review")
    event(session, viewer=sam, member=maria, at=la(5, 9, 30, month=11, year=2025),
          screen="Weekly review")
    # Maria's own reads are not someone else's.
    event(session, viewer=maria, member=maria, at=la(3, 9, 45), screen="Today", role="member")
    session.commit()

    assert lines(diary_of(session_factory, maria)) == {"Today, Thursday 3 December": [
        "Sam R., sponsor, saw you on Weekly review once at 09:30: check-ins",
        "Latoya N., counselor, saw you on Caseload once at 09:00: check-ins"]}
    only_latoya = diary_of(session_factory, maria, viewer_id=latoya.id)
    assert [v.viewer_name for d in only_latoya.days for v in d.visits] == ["Latoya N."]
    # A day of another year is written with its year.
    last_year = diary_of(session_factory, maria, since=la(1, 0, 0, month=11, year=2025))
    assert last_year.days[-1].label == "Wednesday 5 November 2025"
    assert diary_of(session_factory, maria, until=la(1, 0, 0, month=11)).days == ()
    # A period from long ago tells apart only the days between its events.
    assert diary_of(session_factory, maria, since=datetime(1900, 1, 1, tzinfo=UTC)).visits == 3
    assert diary_of(session_factory, otto).visits == 2


def test_the_diary_is_the_members_alone(session_factory, people):
    _, latoya, _, _ = people
    with pytest.raises(PermissionDenied):
        diary_of(session_factory, latoya)
