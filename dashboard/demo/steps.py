"""The demo's step work: twelve rows per member, further along the longer they are sober."""

from __future__ import annotations

import math
from datetime import timedelta

from dashboard.demo.clock import Clock
from dashboard.demo.people import MemberPlan
from dashboard.demo.words import STEP_NOTES


def step_rows(plan: MemberPlan, *, clock: Clock) -> list[dict]:
    """Twelve rows per member: completed steps, the current one in progress, then not started."""
    rng = plan.rng
    tz_name = plan.person.timezone
    today = clock.window(tz_name).today
    program_days = max(0, (today - plan.first_sobriety_date).days)
    if plan.is_sponsor:
        completed = 12 if rng.random() < 0.6 else rng.randint(9, 11)
    elif program_days < 60:
        completed = rng.choice((0, 0, 1, 2))
    else:
        # Step work slows down after the first steps: most people are somewhere in the
        # middle, and only a few of the long-sober have finished all twelve.
        expected = 12 * (1 - math.exp(-program_days / 700))
        completed = min(12, int(expected * rng.uniform(0.4, 1.3)))
    # A few newcomers have not even opened step 1.
    current_started = not (completed == 0 and rng.random() < 0.2)

    start = min(plan.first_sobriety_date + timedelta(days=rng.randint(0, 20)), today)
    end = today - timedelta(days=rng.randint(0, min(30, (today - start).days)))
    span_days = (end - start).days
    rows: list[dict] = []
    previous_done = start
    for step in range(1, 13):
        started_on = completed_on = None
        if step <= completed:
            status = "completed"
            started_on = previous_done
            completed_on = start + timedelta(days=span_days * step // (completed + 1))
            completed_on = max(completed_on, started_on)
            previous_done = completed_on
        elif step == completed + 1 and current_started:
            status = "in_progress"
            started_on = previous_done
        else:
            status = "not_started"
        notes = None
        if started_on is not None and rng.random() < 0.35:
            notes = rng.choice(STEP_NOTES[step])
        touched = completed_on or started_on
        updated_at = (
            clock.local_time(tz_name, touched, 20 * 3600 + rng.random() * 7200)
            if touched is not None
            else plan.person.created_at
        )
        rows.append(
            {
                "member_id": plan.person.id,
                "step": step,
                "status": status,
                "started_on": started_on,
                "completed_on": completed_on,
                "notes": notes,
                "updated_at": updated_at,
            }
        )
    return rows
