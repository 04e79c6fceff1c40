"""The demo's weekly reviews: sponsors marking their sponsees' past weeks reviewed."""

from __future__ import annotations

import random
from datetime import timedelta

from dashboard.demo.clock import Clock
from dashboard.demo.people import MemberPlan, Person
from dashboard.demo.words import REVIEW_NOTES
from dashboard.weekly_review import iso_week_of


def weekly_review_rows(
    plans: list[MemberPlan],
    *,
    sponsorships: dict[int, list[dict]],
    people_by_id: dict[int, Person],
    rng: random.Random,
    clock: Clock,
) -> list[dict]:
    """The last eight weeks finished in the member's calendar, reviewed by their sponsor
    while consent held."""
    diligence: dict[int, float] = {}
    rows: list[dict] = []
    for plan in plans:
        sponsor_id = plan.sponsor_id
        if sponsor_id is None:
            continue
        today = clock.window(plan.person.timezone).today
        this_monday = today - timedelta(days=today.weekday())
        weeks = [this_monday - timedelta(weeks=w) for w in range(8, 0, -1)]
        if sponsor_id not in diligence:
            diligence[sponsor_id] = rng.uniform(0.6, 0.95)
        sponsor_tz = people_by_id[sponsor_id].timezone
        consents = sponsorships[plan.person.id]
        for monday in weeks:
            sunday = monday + timedelta(days=6)
            if plan.first_day > sunday or rng.random() >= diligence[sponsor_id]:
                continue
            # Reviewed on the Sunday evening or the Monday after the week.
            review_day = sunday + timedelta(days=rng.randint(0, 1))
            reviewed_at = clock.local_time(
                sponsor_tz, review_day, 18 * 3600 + rng.random() * 4 * 3600
            )
            in_force = any(
                c["starts_at"] <= reviewed_at < c["expires_at"]
                and (c["revoked_at"] is None or reviewed_at < c["revoked_at"])
                for c in consents
            )
            if not in_force:
                continue
            rows.append(
                {
                    "id": len(rows) + 1,
                    "reviewer_id": sponsor_id,
                    "member_id": plan.person.id,
                    "iso_week": iso_week_of(monday),
                    "note": rng.choice(REVIEW_NOTES) if rng.random() < 0.7 else None,
                    "created_at": reviewed_at,
                }
            )
    return rows
