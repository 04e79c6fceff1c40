"""Each member's check-ins: the hot loop of the demo.

About 700k rows at full scale, so the work per row is kept to a few random draws and one
dict literal, and days are indexes into the member's window rather than dates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dashboard.demo.clock import Clock
from dashboard.demo.people import MemberPlan
from dashboard.demo.words import GRATITUDE, HARD_DAY_REASONS, JOURNAL, RELAPSE_REASONS


def generate_checkins(
    plan: MemberPlan,
    *,
    clock: Clock,
    first_id: int,
    out: list[dict],
    sobriety_changes: list[tuple[int, date, date, datetime]],
) -> int:
    """Append the member's check-ins to `out`, in date order, with ids from `first_id`;
    return the count. Today's check-in is there only if its time of day has come."""
    rng = plan.rng
    rand = rng.random
    uniform = rng.uniform
    member_id = plan.person.id
    now = clock.now

    # Between 0.55 and 0.97, most members near the top: people who use the app mostly
    # use it daily.
    p_weekday = 0.97 - 0.42 * rand() ** 2
    p_weekend = p_weekday * uniform(0.6, 0.85) if rand() < 0.35 else p_weekday
    mood_base = uniform(2.9, 4.3)
    level = mood_base + uniform(-0.3, 0.3)
    craving_bias = uniform(-0.8, 1.0)
    # Cumulative odds of attending 0, 1 or 2 meetings (else 3): roughly 35/45/15/5.
    meet0 = 0.35 - uniform(-0.15, 0.15)
    meet1 = meet0 + 0.45
    meet2 = meet1 + 0.15
    p_prayer = uniform(0.2, 0.9)
    p_called = uniform(0.1, 0.6)
    p_read = uniform(0.2, 0.8)
    p_step_work = uniform(0.05, 0.5)
    p_no_sleep = 0.6 if rand() < 0.2 else 0.05
    p_gratitude = uniform(0.15, 0.65)
    p_journal = uniform(0.0, 0.3)
    p_late = uniform(0.0, 0.06)
    if rand() < 0.65:
        time_start, time_span = 19.0 * 3600, 4 * 3600
    else:
        time_start, time_span = 6.5 * 3600, 3.5 * 3600

    # Days are handled as indexes into the member's window (0 = its first day) to keep
    # date arithmetic and timezone lookups out of the loop.
    window = clock.window(plan.person.timezone)
    days = window.days
    midnights = window.midnights
    today_index = len(days) - 1
    first_index = window.index(plan.first_day)
    last_index = window.index(plan.last_day)
    relapse_indexes = {window.index(d) for d in plan.relapse_days}
    # The few days before a use are usually rough ones.
    build_up = {i - k for i in relapse_indexes for k in (1, 2, 3)}
    hard_indexes = {window.index(d) for d in plan.hard_days}
    # Whoever stopped checking in did check in on their last day: the silence is exact.
    forced = relapse_indexes | hard_indexes | ({last_index} if last_index < today_index else set())
    weekday = days[first_index].weekday()

    target = mood_base
    stretch_left = 0
    bad_stretch = False
    checkin_id = first_id - 1
    n_hard = len(HARD_DAY_REASONS)
    n_relapse = len(RELAPSE_REASONS)
    n_grat = len(GRATITUDE)
    n_journal = len(JOURNAL)

    for index in range(first_index, last_index + 1):
        is_weekend = weekday >= 5
        weekday = 0 if weekday == 6 else weekday + 1
        if stretch_left:
            stretch_left -= 1
            if not stretch_left:
                target, bad_stretch = mood_base, False
        elif rand() < 0.025:
            stretch_left = 4 + int(rand() * 11)
            bad_stretch = rand() < 0.6
            target = (
                mood_base - 0.8 - rand() * 0.8 if bad_stretch else mood_base + 0.4 + rand() * 0.5
            )
        # A slowly drifting mood: pulled toward the member's usual level, with a
        # triangular step (two uniform draws are far cheaper than a Gaussian).
        pull = target - 1.4 if index in build_up else target
        level += (pull - level) * 0.15 + (rand() - rand()) * 0.75
        level = 1.0 if level < 1.0 else 5.0 if level > 5.0 else level

        used = index in relapse_indexes
        if index not in forced:
            chance = p_weekend if is_weekend else p_weekday
            if rand() >= (chance * 0.85 if bad_stretch else chance):
                continue

        seconds = time_start + rand() * time_span
        days_ago = today_index - index
        # Backfilled a day or more later (within the week the app allows), so marked late.
        late = days_ago >= 2 and rand() < p_late
        entered_index = index + 1 + int(rand() * min(7, days_ago - 1)) if late else index
        created = midnights[entered_index] + timedelta(seconds=seconds)
        if created > now:
            if entered_index == today_index and index not in forced:
                continue  # the time of day this member checks in has not come yet today
            created = midnights[entered_index] + (now - midnights[entered_index]) * rand()

        checkin_id += 1
        if used:
            mood = 1 if rand() < 0.6 else 2
            craving = 8 + int(rand() * 3)
            hard = rand() < 0.75
            hard_reason = RELAPSE_REASONS[int(rand() * n_relapse)] if hard else None
        else:
            mood = int(level + (rand() - rand()) * 1.1 + 0.5)
            mood = 1 if mood < 1 else 5 if mood > 5 else mood
            craving = int((5.0 - level) * 1.9 + craving_bias + (rand() - rand()) * 2.7 + 0.5)
            craving = 0 if craving < 0 else 10 if craving > 10 else craving
            hard = index in hard_indexes or rand() < (
                0.035 + (0.12 if mood <= 2 else 0.0) + (0.1 if craving >= 7 else 0.0)
            )
            hard_reason = HARD_DAY_REASONS[int(rand() * n_hard)] if hard else None

        draw = rand()
        meetings = 0 if draw < meet0 else 1 if draw < meet1 else 2 if draw < meet2 else 3
        if rand() < p_no_sleep:
            sleep = None
        else:
            sleep = round((7.0 + (mood - 3) * 0.4 + (rand() - rand()) * 2.4) * 2) / 2
            sleep = 4.0 if sleep < 4.0 else 9.5 if sleep > 9.5 else sleep

        day = days[index]
        out.append(
            {
                "id": checkin_id,
                "member_id": member_id,
                "local_date": day,
                "mood": mood,
                "craving": craving,
                "used_substances": used,
                "meetings": meetings,
                "prayer_meditation": rand() < p_prayer,
                "called_support": rand() < (p_called + 0.3 if mood <= 2 else p_called),
                "read_literature": rand() < p_read,
                "step_work": rand() < p_step_work,
                "sleep_hours": sleep,
                "gratitude": GRATITUDE[int(rand() * n_grat)] if rand() < p_gratitude else None,
                "journal": JOURNAL[int(rand() * n_journal)] if rand() < p_journal else None,
                "hard_day": hard,
                "hard_day_reason": hard_reason,
                "is_late": late,
                "created_at": created,
                "updated_at": created,
            }
        )

        if used:
            previous = (
                sobriety_changes[-1][2]
                if sobriety_changes and sobriety_changes[-1][0] == member_id
                else plan.first_sobriety_date
            )
            sobriety_changes.append((member_id, previous, day + timedelta(days=1), created))
            # Right after a use the mood sinks and stays low for a while.
            level, target, stretch_left, bad_stretch = 1.6, mood_base - 0.8, 7, True
    return checkin_id - first_id + 1
