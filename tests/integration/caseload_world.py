"""A caseload whose every figure is worked out by hand, for the tests of the counselor's
services (caseload, its table and export, the alert queue)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import update

from models import Flag, StepProgress, WeeklyReview
from tests.factories import add_checkin, follow_up, grant, make_user

# Thursday 26 November 2026, 15:00 UTC: 10:00 in New York, already 04:00 on Friday 27
# in Auckland (UTC+13 in November).
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 26)
ALL = ("checkins", "steps", "flags", "notes")


def day(n: int) -> date:
    """`n` days before 26 November 2026."""
    return TODAY - timedelta(days=n)


def flag(member, rule_id, severity, *, raised=TODAY, quoted=None) -> Flag:
    return Flag(member_id=member.id, rule_id=rule_id, severity=severity, raised_on=raised,
                episode_key=f"{rule_id}-{raised}-{severity}", reason=f"{rule_id} on {raised}",
                quoted_text=quoted, created_at=NOW - timedelta(days=20))


def build_caseload(session):
    """Counselor carla's caseload, worked out by hand for NOW: (carla, people by name)."""
    """Seven members around one counselor; the comments hold the expected values."""
    carla = make_user(session, "carla", "counselor", name="Carla Counselor")
    otto = make_user(session, "otto", "counselor")
    sam = make_user(session, "sam", "member", "sponsor")
    people = {}

    # Ana shares everything (notes too) and checked in today in New York.
    ana = people["ana"] = make_user(session, "ana", "member", name="Ana Alvarez",
                                    timezone_name="America/New_York", sobriety_date=day(90))
    grant(session, ana, carla, *ALL, purpose="counseling")
    for n, mood, craving in [(0, 4, 1), (1, 2, 8), (2, 3, 3), (7, 5, 0), (9, 1, 9)]:
        add_checkin(session, ana, day(n), mood=mood, craving=craving)
    session.execute(update(StepProgress)
                    .where(StepProgress.member_id == ana.id, StepProgress.step <= 3)
                    .values(status="completed", started_on=day(60), completed_on=day(30)))
    low_mood = flag(ana, "low_mood", "low", raised=day(4))
    high_craving = flag(ana, "high_craving", "high", raised=day(30))
    session.add_all([
        flag(ana, "used_substances", "high", raised=day(1), quoted="Went to the party"),
        flag(ana, "hard_day", "medium", raised=day(3)), low_mood, high_craving,
        WeeklyReview(reviewer_id=sam.id, member_id=ana.id, iso_week="2026-W47",
                     created_at=NOW - timedelta(days=1, hours=3)),
    ])
    session.flush()
    # Carla's own follow-up; sam's review of the week is his, never her "last contact".
    follow_up(session, low_mood, carla, acknowledged=NOW - timedelta(days=2))
    follow_up(session, high_craving, carla, acknowledged=NOW - timedelta(days=25),
              resolved=NOW - timedelta(days=24))

    # Ben shares only his steps.
    ben = people["ben"] = make_user(session, "ben", "member", name="Ben Brown")
    grant(session, ben, carla, "steps", purpose="counseling")
    add_checkin(session, ben, TODAY, mood=1, craving=10)

    # Cy shared check-ins, and revoked an hour ago.
    cy = people["cy"] = make_user(session, "cyd", "member", name="Cy Chen")
    grant(session, cy, carla, "checkins", purpose="counseling",
          revoked_at=NOW - timedelta(hours=1))
    add_checkin(session, cy, TODAY)

    # Dee lives in Auckland, where it is already the 27th: she has not checked in "today".
    dee = people["dee"] = make_user(session, "dee", "member", name="Dee Diaz",
                                    timezone_name="Pacific/Auckland", sobriety_date=day(10))
    grant(session, dee, carla, "checkins", "flags", purpose="counseling")
    for d, mood, craving in [(TODAY, 5, 2), (day(2), 4, 6), (day(6), 3, 4), (day(7), 1, 10)]:
        add_checkin(session, dee, d, mood=mood, craving=craving)

    # Eve has been silent for five days: the caseload's own sweep raises the flag.
    eve = people["eve"] = make_user(session, "eve", "member", name="Eve Evans",
                                    sobriety_date=day(400))
    grant(session, eve, carla, "checkins", "flags", purpose="counseling")
    add_checkin(session, eve, day(5), mood=2, craving=5)

    # Fay shares check-ins but has never made one.
    fay = people["fay"] = make_user(session, "fay", "member", name="Fay Fox",
                                    sobriety_date=day(3))
    grant(session, fay, carla, "checkins", purpose="counseling")

    # Not Carla's: an expired consent, one to another counselor, one for sponsorship.
    gus = people["gus"] = make_user(session, "gus", "member")
    grant(session, gus, carla, *ALL, purpose="counseling", starts_at=NOW - timedelta(days=40),
          expires_at=NOW - timedelta(days=1))
    hal = people["hal"] = make_user(session, "hal", "member")
    grant(session, hal, otto, *ALL, purpose="counseling")
    grant(session, hal, sam, *ALL, purpose="sponsorship")
    session.commit()
    return carla, people
