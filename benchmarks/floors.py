"""The floors: each screen's numbers computed by one hand-written SQL statement.

Beside each figure the benchmark measures its floor over the same tables; the ratio of
the two is the overhead of the service (consent checks, audit events, the flags sweep,
the ORM and Python). The tests use these statements too, to check that floor and
service agree. Days are each member's own: the floors take "today" per time zone, as
the services do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Boolean, Date, Float, Integer, String, bindparam, select
from sqlalchemy import text as sql_text

from dashboard.alert_queue import PAGE_SIZE
from dashboard.timeutil import local_today
from dashboard.weekly_review import CONTEXT_WEEKS, week_monday
from models import CheckIn, User
from models.base import UTCDateTime

_ACTIVE_CONSENT = """
    consents.recipient_id = :viewer_id AND consents.purpose = :purpose
    AND consents.starts_at <= :now AND consents.expires_at > :now
    AND (consents.revoked_at IS NULL OR consents.revoked_at > :now)"""

_SEVERITY_RANK = "CASE {0} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END"

# Per client: the week's check-ins by a join grouped once, the flags and steps by joined
# aggregates, and the latest check-in and contact by one index seek each. (Correlated
# subqueries for flags and steps cost PostgreSQL twice as much; SQLite finds no index for
# a grouped check-ins CTE joined after the fact: hence this shape.)
_TO_TODAY = "checkins.local_date BETWEEN zone_days.week_to_today AND zone_days.today"
_TO_YESTERDAY = ("checkins.local_date BETWEEN zone_days.week_to_yesterday "
                 "AND zone_days.yesterday")
# A flag in the viewer's own queue (dashboard/follow_up.py): raised since the member first
# shared flags with them, and not acknowledged by them.
_MINE_OPEN = ("(flags.created_at >= (SELECT MIN(shared.starts_at) FROM consents AS shared "
              "WHERE shared.member_id = flags.member_id AND shared.recipient_id = :viewer_id "
              "AND shared.purpose = :purpose AND shared.share_flags) "
              "AND NOT EXISTS (SELECT 1 FROM flag_follow_ups WHERE flag_follow_ups.flag_id = "
              "flags.id AND flag_follow_ups.viewer_id = :viewer_id))")
_FLOOR_CASELOAD = f"""
WITH zone_days (timezone, today, yesterday, week_to_today, week_to_yesterday) AS (
    {{zone_days}}
),
clients AS (
    SELECT DISTINCT consents.member_id FROM consents WHERE {_ACTIVE_CONSENT}
),
since AS (
    SELECT consents.member_id, MIN(consents.starts_at) AS since FROM consents
    WHERE consents.recipient_id = :viewer_id AND consents.purpose = :purpose
      AND consents.share_flags
    GROUP BY consents.member_id
),
-- The counselor's queue: the flags since sharing began that they have not acknowledged
-- (the clients are picked by the last join).
open_flags AS (
    SELECT flags.member_id, COUNT(*) AS open_flags,
           COUNT(CASE WHEN flags.severity = 'high' THEN 1 END) AS open_high_flags
    FROM since JOIN flags ON flags.member_id = since.member_id
        AND flags.created_at >= since.since
    LEFT JOIN flag_follow_ups ON flag_follow_ups.flag_id = flags.id
                             AND flag_follow_ups.viewer_id = :viewer_id
    WHERE flag_follow_ups.id IS NULL
    GROUP BY flags.member_id
),
-- Risk, but for silence: the flags raised in the 7 days before the client's today.
recent_risk AS (
    SELECT flags.member_id, MAX({_SEVERITY_RANK.format("flags.severity")}) AS risk_rank
    FROM flags JOIN users ON users.id = flags.member_id
    JOIN zone_days ON zone_days.timezone = users.timezone
    WHERE flags.raised_on BETWEEN :earliest AND :latest AND flags.rule_id <> 'no_checkin'
      AND flags.raised_on BETWEEN zone_days.week_to_yesterday AND zone_days.today
    GROUP BY flags.member_id
),
steps AS (
    SELECT step_progress.member_id, MIN(step_progress.step) AS lowest_open_step
    FROM clients JOIN step_progress ON step_progress.member_id = clients.member_id
    WHERE step_progress.status <> 'completed'
    GROUP BY step_progress.member_id
),
per_client AS (
    SELECT users.id AS member_id, users.display_name, member_profiles.sobriety_date,
           MAX(CASE WHEN checkins.local_date = zone_days.today THEN 1 ELSE 0 END)
               AS checked_in_today,
           COUNT(CASE WHEN {_TO_TODAY} THEN 1 END) AS n_to_today,
           AVG(CASE WHEN {_TO_TODAY} THEN checkins.mood END) AS mood_to_today,
           MAX(CASE WHEN {_TO_TODAY} THEN checkins.craving END) AS craving_to_today,
           COUNT(CASE WHEN {_TO_YESTERDAY} THEN 1 END) AS n_to_yesterday,
           AVG(CASE WHEN {_TO_YESTERDAY} THEN checkins.mood END) AS mood_to_yesterday,
           MAX(CASE WHEN {_TO_YESTERDAY} THEN checkins.craving END) AS craving_to_yesterday
    FROM clients
    JOIN users ON users.id = clients.member_id
    JOIN zone_days ON zone_days.timezone = users.timezone
    LEFT JOIN member_profiles ON member_profiles.user_id = users.id
    -- The days of every zone, as constants, so that the index on (member, day) serves the
    -- join; each zone's own days are picked in the aggregates.
    LEFT JOIN checkins ON checkins.member_id = users.id
        AND checkins.local_date BETWEEN :earliest AND :latest
    GROUP BY users.id, users.display_name, member_profiles.sobriety_date
)
SELECT per_client.member_id, per_client.display_name, per_client.sobriety_date,
       per_client.last_checkin,
       CASE WHEN checked_in_today = 1 THEN n_to_today ELSE n_to_yesterday END AS checkins_7d,
       CAST(CASE WHEN checked_in_today = 1 THEN mood_to_today ELSE mood_to_yesterday END
            AS FLOAT) AS mean_mood_7d,
       CASE WHEN checked_in_today = 1 THEN craving_to_today ELSE craving_to_yesterday END
           AS max_craving_7d,
       COALESCE(steps.lowest_open_step, 12) AS current_step,
       COALESCE(open_flags.open_flags, 0) AS open_flags,
       COALESCE(open_flags.open_high_flags, 0) AS open_high_flags,
       -- A silence flag goes on while its episode is the last check-in (one index seek).
       CASE WHEN EXISTS (SELECT 1 FROM flags AS silence
                         WHERE silence.member_id = per_client.member_id
                           AND silence.rule_id = 'no_checkin'
                           AND silence.episode_key = {{last_checkin_text}})
                 AND COALESCE(recent_risk.risk_rank, 0) < 2 THEN 2
            ELSE COALESCE(recent_risk.risk_rank, 0) END AS risk_rank,
       (SELECT MAX(contact_log.contacted_on) FROM contact_log
        WHERE contact_log.viewer_id = :viewer_id
          AND contact_log.member_id = per_client.member_id) AS last_contact
FROM (SELECT per_client.*,
             (SELECT MAX(latest.local_date) FROM checkins AS latest
              WHERE latest.member_id = per_client.member_id) AS last_checkin
      FROM per_client) AS per_client
LEFT JOIN open_flags ON open_flags.member_id = per_client.member_id
LEFT JOIN recent_risk ON recent_risk.member_id = per_client.member_id
LEFT JOIN steps ON steps.member_id = per_client.member_id
ORDER BY per_client.member_id
"""
_ZONE_DAY_COLUMNS = ("today", "yesterday", "week_to_today", "week_to_yesterday")

RISK_BY_RANK = {3: "high", 2: "medium", 1: "low", 0: "none"}


def zones_in_use(connection) -> list[str]:
    """The time zones of the accounts, for `floor_caseload` (read before it is timed: the
    service, too, learns its clients' zones from rows it reads anyway)."""
    return list(connection.scalars(select(User.timezone).distinct().order_by(User.timezone)))


def floor_caseload(connection, *, counselor_id: int, zones: Sequence[str], now: datetime
                   ) -> list:
    """Per client of the counselor: the caseload's figures, as one statement.

    "Today" is each client's own at `now`, given per time zone (`zones`, those of the
    clients at least) as a table of constants. The 7-day window ends today once the client
    has checked in today, else yesterday.
    """
    # PostgreSQL types the constants by the cast; SQLite stores dates as text, and its
    # CAST AS DATE would make numbers of them.
    typed = "CAST(:{} AS DATE)" if connection.dialect.name == "postgresql" else ":{}"
    rows, values, todays = [], {}, []
    for n, zone in enumerate(zones):
        today = local_today(zone, now)
        todays.append(today)
        days = (today, today - timedelta(days=1), today - timedelta(days=6),
                today - timedelta(days=7))
        values[f"zone_{n}"] = zone
        values.update({f"{name}_{n}": day for name, day in zip(_ZONE_DAY_COLUMNS, days)})
        rows.append(f"(:zone_{n}, "
                    + ", ".join(typed.format(f"{name}_{n}") for name in _ZONE_DAY_COLUMNS) + ")")
    # A silence flag's episode is the date of the check-in before it, kept as ISO text,
    # which SQLite's dates already are.
    last_checkin_text = ("CAST(per_client.last_checkin AS TEXT)"
                         if connection.dialect.name == "postgresql" else "per_client.last_checkin")
    statement = sql_text(_FLOOR_CASELOAD.replace("{zone_days}", "VALUES " + ", ".join(rows))
                         .replace("{last_checkin_text}", last_checkin_text))
    statement = statement.bindparams(
        bindparam("now", type_=UTCDateTime), bindparam("earliest", type_=Date),
        bindparam("latest", type_=Date),
        *(bindparam(f"{name}_{n}", type_=Date)
          for n in range(len(zones)) for name in _ZONE_DAY_COLUMNS),
    ).columns(
        member_id=Integer, display_name=String, last_checkin=Date, sobriety_date=Date,
        checkins_7d=Integer, mean_mood_7d=Float, max_craving_7d=Integer,
        current_step=Integer, open_flags=Integer, open_high_flags=Integer, risk_rank=Integer,
        last_contact=Date,
    )
    return connection.execute(statement, {
        "viewer_id": counselor_id, "purpose": "counseling", "now": now,
        "earliest": min(todays) - timedelta(days=7), "latest": max(todays), **values,
    }).all()


_FLOOR_WEEKLY_REVIEW = sql_text(f"""
SELECT sponsees.member_id,
       COUNT(CASE WHEN checkins.local_date >= :monday THEN 1 END) AS checkins_made,
       CAST(AVG(CASE WHEN checkins.local_date >= :monday THEN checkins.mood END) AS FLOAT)
           AS mean_mood,
       MAX(CASE WHEN checkins.local_date >= :monday THEN checkins.craving END)
           AS highest_craving,
       COALESCE(SUM(CASE WHEN checkins.local_date >= :monday THEN checkins.meetings END), 0)
           AS meetings,
       COUNT(CASE WHEN checkins.local_date >= :monday AND checkins.used_substances THEN 1 END)
           AS use_days,
       COUNT(CASE WHEN checkins.local_date >= :monday AND checkins.hard_day THEN 1 END)
           AS hard_days,
       COUNT(checkins.local_date) AS chart_points,
       (SELECT COUNT(*) FROM flags
        WHERE flags.member_id = sponsees.member_id AND {_MINE_OPEN}) AS open_flags,
       (SELECT COUNT(*) FROM step_progress
        WHERE step_progress.member_id = sponsees.member_id
          AND (step_progress.started_on BETWEEN :monday AND :sunday
               OR step_progress.completed_on BETWEEN :monday AND :sunday)) AS step_changes,
       (SELECT MAX(weekly_reviews.created_at) FROM weekly_reviews
        WHERE weekly_reviews.reviewer_id = :viewer_id
          AND weekly_reviews.member_id = sponsees.member_id
          AND weekly_reviews.iso_week = :iso_week) AS reviewed_at
FROM (SELECT DISTINCT consents.member_id FROM consents WHERE {_ACTIVE_CONSENT}) AS sponsees
LEFT JOIN checkins ON checkins.member_id = sponsees.member_id
    AND checkins.local_date BETWEEN :context_start AND :sunday
GROUP BY sponsees.member_id
ORDER BY sponsees.member_id
""").bindparams(
    bindparam("now", type_=UTCDateTime), bindparam("monday", type_=Date),
    bindparam("sunday", type_=Date), bindparam("context_start", type_=Date),
).columns(
    member_id=Integer, checkins_made=Integer, mean_mood=Float, highest_craving=Integer,
    meetings=Integer, use_days=Integer, hard_days=Integer, chart_points=Integer,
    open_flags=Integer, step_changes=Integer, reviewed_at=UTCDateTime,
)


def floor_weekly_review(connection, *, sponsor_id: int, iso_week: str, now: datetime) -> list:
    """Per sponsee of the sponsor: the week's figures and the chart's days, as one statement."""
    monday = week_monday(iso_week)
    return connection.execute(_FLOOR_WEEKLY_REVIEW, {
        "viewer_id": sponsor_id, "purpose": "sponsorship", "now": now, "monday": monday,
        "sunday": monday + timedelta(days=6), "iso_week": iso_week,
        "context_start": monday - timedelta(weeks=CONTEXT_WEEKS),
    }).all()


# Check-ins, steps and flags of one member in one statement: three parts of one shape.
_FLOOR_CLIENT_DETAIL = sql_text("""
SELECT 0 AS part, checkins.local_date AS day, checkins.mood, checkins.craving,
       checkins.used_substances, checkins.meetings, checkins.prayer_meditation,
       checkins.called_support, checkins.read_literature, checkins.step_work,
       checkins.sleep_hours, checkins.hard_day, checkins.is_late,
       CAST(NULL AS INTEGER) AS number, CAST(NULL AS VARCHAR(16)) AS status,
       CAST(NULL AS VARCHAR(8)) AS severity, CAST(NULL AS TEXT) AS reason
FROM checkins WHERE checkins.member_id = :member_id AND checkins.local_date > :start
UNION ALL
SELECT 1, step_progress.started_on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, step_progress.step, step_progress.status, NULL, NULL
FROM step_progress WHERE step_progress.member_id = :member_id
UNION ALL
SELECT 2, flags.raised_on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       flags.id, COALESCE(flag_follow_ups.status, 'open'), flags.severity, flags.reason
FROM flags LEFT JOIN flag_follow_ups ON flag_follow_ups.flag_id = flags.id
                                     AND flag_follow_ups.viewer_id = :viewer_id
WHERE flags.member_id = :member_id
ORDER BY 1, 2 DESC, 14 DESC
""").bindparams(bindparam("start", type_=Date)).columns(
    part=Integer, day=Date, mood=Integer, craving=Integer, used_substances=Boolean,
    meetings=Integer, prayer_meditation=Boolean, called_support=Boolean,
    read_literature=Boolean, step_work=Boolean, sleep_hours=Float, hard_day=Boolean,
    is_late=Boolean, number=Integer, status=String, severity=String, reason=String,
)


def floor_client_detail(connection, *, member_id: int, today: date, days: int,
                        viewer_id: int = 0) -> list:
    """The member's check-ins of the last `days` days (part 0), steps (1) and flags (2)."""
    return connection.execute(_FLOOR_CLIENT_DETAIL, {
        "member_id": member_id, "start": today - timedelta(days=days), "viewer_id": viewer_id,
    }).all()


# The window counts are taken over every unresolved flag, before the LIMIT cuts the page.
_FLOOR_ALERT_QUEUE = sql_text(f"""
SELECT flags.id, flags.member_id, users.display_name, users.timezone, flags.severity,
       flags.rule_id, flags.raised_on, flags.reason, flags.quoted_text,
       flag_follow_ups.status, flag_follow_ups.acknowledged_at,
       COUNT(*) OVER () AS total,
       COUNT(CASE WHEN flags.severity = 'high' THEN 1 END) OVER () AS high,
       COUNT(CASE WHEN flags.severity = 'medium' THEN 1 END) OVER () AS medium,
       COUNT(CASE WHEN flags.severity = 'low' THEN 1 END) OVER () AS low
FROM flags JOIN users ON users.id = flags.member_id
LEFT JOIN flag_follow_ups ON flag_follow_ups.flag_id = flags.id
                          AND flag_follow_ups.viewer_id = :viewer_id
WHERE COALESCE(flag_follow_ups.status, 'open') IN ('open', 'acknowledged')
  AND flags.member_id IN (SELECT consents.member_id FROM consents
                          WHERE {_ACTIVE_CONSENT} AND consents.share_flags)
ORDER BY {_SEVERITY_RANK.format("flags.severity")} DESC, flags.raised_on, flags.id
LIMIT :page_size
""").bindparams(bindparam("now", type_=UTCDateTime)).columns(
    id=Integer, member_id=Integer, raised_on=Date, acknowledged_at=UTCDateTime,
    total=Integer, high=Integer, medium=Integer, low=Integer,
)
ALERTS_PAGE_SIZE = PAGE_SIZE  # the first page of the Alerts screen


def floor_alert_queue(connection, *, counselor_id: int, now: datetime,
                      page_size: int = ALERTS_PAGE_SIZE) -> list:
    """The first page of the unresolved flags of the clients who share flags (most severe,
    then oldest first), each row with the counts of the whole queue, by severity."""
    return connection.execute(_FLOOR_ALERT_QUEUE, {
        "viewer_id": counselor_id, "purpose": "counseling", "now": now,
        "page_size": page_size,
    }).all()


_CHECKIN_VALUES = ("mood", "craving", "used_substances", "meetings", "prayer_meditation",
                   "called_support", "read_literature", "step_work", "sleep_hours",
                   "gratitude", "journal", "hard_day", "hard_day_reason", "updated_at")
_FLOOR_CHECKIN_SAVE = sql_text(f"""
INSERT INTO checkins (member_id, local_date, is_late, created_at, {", ".join(_CHECKIN_VALUES)})
VALUES (:member_id, :local_date, :is_late, :now, :{", :".join(_CHECKIN_VALUES[:-1])}, :now)
ON CONFLICT (member_id, local_date) DO UPDATE SET
    {", ".join(f"{name} = excluded.{name}" for name in _CHECKIN_VALUES)}
""").bindparams(
    # Each value bound with its column's own type, as the ORM binds it: booleans, dates,
    # and the notes, which the column type encrypts at rest.
    bindparam("now", type_=UTCDateTime),
    *(bindparam(name, type_=CheckIn.__table__.c[name].type)
      for name in ("local_date", "is_late", *_CHECKIN_VALUES[:-1])),
)


def floor_checkin_save(connection, *, member_id: int, form, today: date, now: datetime) -> None:
    """The check-in as one upsert: what the save writes, without policy, audit or flags."""
    actions = set(form.actions)
    connection.execute(_FLOOR_CHECKIN_SAVE, {
        "member_id": member_id, "local_date": form.local_date,
        "is_late": form.local_date < today, "now": now, "mood": form.mood,
        "craving": form.craving, "used_substances": form.used_substances,
        "meetings": form.meetings,
        **{name: name in actions for name in ("prayer_meditation", "called_support",
                                              "read_literature", "step_work")},
        "sleep_hours": form.sleep_hours, "gratitude": form.gratitude, "journal": form.journal,
        "hard_day": form.hard_day, "hard_day_reason": form.hard_day_reason,
    })
