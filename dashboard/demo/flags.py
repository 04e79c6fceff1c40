"""The demo's flags: raised by the app's own rules over each member's generated check-ins,
then followed up by whoever the member shares them with.

`dashboard.flags` raises flags one check-in at a time through a session (`evaluate_checkin`)
and by a sweep at the moment it runs (`sweep`), both as open flags. The demo calls the same
rules (`RULES`, `no_checkin_finding`) with the same thresholds over the same history window,
but replays them in memory at the moment each check-in was saved and each morning's sweep
ran, because its flags must also carry how they were followed up since.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dashboard.config import FlagThresholds
from dashboard.demo.clock import Clock
from dashboard.demo.people import MemberPlan
from dashboard.demo.words import OUTREACH_METHODS, OUTREACH_NOTES
from dashboard.flags import (
    HISTORY_DAYS,
    NO_CHECKIN,
    NO_CHECKIN_SEVERITY,
    RULES,
    Day,
    Finding,
    no_checkin_finding,
)


@dataclass
class FollowUps:
    """How the demo's flags have been followed up: those older than two weeks resolved,
    about half of those 3 to 14 days old acknowledged (the first of them always, so that
    even a tiny demo shows that state), the younger ones open. A member's flags of one day
    are followed up together, as after one phone call."""

    next_id: int = 1
    any_in_hand: bool = False


def raise_flags(plan: MemberPlan, *, checkins: Sequence[dict], clock: Clock,
                thresholds: FlagThresholds, follow_ups: FollowUps) -> list[dict]:
    """The member's flags, as the app raises them: each check-in (in date order) evaluated by
    `RULES` when it was saved, a pattern flag not raised again while one of its episode is
    unresolved, and the silence rule (`no_checkin_finding`) run each morning as a daily
    sweep would."""
    rng = plan.rng
    member_id = plan.person.id
    tz_name = plan.person.timezone
    window = clock.window(tz_name)
    now = clock.now
    responder = plan.responder_id
    by_day: dict[date, dict] = {}
    # A pattern rule's last flag: when it was resolved (None while it is not): until then,
    # the pattern showing again is the same episode going on.
    pattern_resolved: dict[str, datetime | None] = {}
    flags: list[dict] = []

    def follow_up(raised_on: date, created_at: datetime) -> dict:
        found = by_day.get(raised_on)
        if found is not None:
            return found
        age_days = (window.today - raised_on).days
        in_hand = (responder is not None and 3 <= age_days <= 14
                   and (not follow_ups.any_in_hand or rng.random() < 0.5))
        follow_ups.any_in_hand = follow_ups.any_in_hand or in_hand
        found = {"status": "open", "acknowledged_by_id": None, "acknowledged_at": None,
                 "outreach_method": None, "outreach_note": None, "resolved_by_id": None,
                 "resolved_at": None}
        if responder is not None and (age_days > 14 or in_hand):
            acknowledged_at = min(created_at + timedelta(hours=rng.uniform(1, 36)), now)
            method = rng.choice(OUTREACH_METHODS)
            found.update(status="acknowledged", acknowledged_by_id=responder,
                         acknowledged_at=acknowledged_at, outreach_method=method,
                         outreach_note=rng.choice(OUTREACH_NOTES[method]))
            if age_days > 14:
                found.update(status="resolved", resolved_by_id=responder,
                             resolved_at=min(acknowledged_at + timedelta(
                                 hours=rng.uniform(4, 120)), now))
        by_day[raised_on] = found
        return found

    def add(rule_id: str, severity: str, finding: Finding, created_at: datetime) -> dict:
        state = follow_up(finding.raised_on, created_at)
        flags.append({
            "id": follow_ups.next_id, "member_id": member_id, "rule_id": rule_id,
            "severity": severity, "raised_on": finding.raised_on,
            "episode_key": finding.episode_key, "reason": finding.reason,
            "quoted_text": finding.quoted_text, "checkin_id": finding.checkin_id,
            "created_at": created_at, **state,
        })
        follow_ups.next_id += 1
        return state

    def sweep(last: date, through: date) -> None:
        # The morning sweeps of the days up to `through` with no check-in since `last`: the
        # first that the silence rule finds overdue raises the episode's one flag.
        day = last + timedelta(days=1)
        while day <= through:
            finding = no_checkin_finding(last, day, thresholds)
            if finding is not None:
                add(NO_CHECKIN, NO_CHECKIN_SEVERITY, finding,
                    clock.local_time(tz_name, day, 6 * 3600 + rng.random() * 3600))
                return
            day += timedelta(days=1)

    history: deque[Day] = deque()
    for row in checkins:
        day = row["local_date"]
        if history:
            # A member back on a day is taken to have checked in before that day's sweep.
            sweep(history[-1].local_date, day - timedelta(days=1))
        history.append(Day(row["id"], day, row["mood"], row["craving"], row["used_substances"],
                           row["hard_day"], row["hard_day_reason"]))
        while history[0].local_date <= day - timedelta(days=HISTORY_DAYS):
            history.popleft()
        seen = list(history)
        saved_at = row["created_at"]
        for rule in RULES:
            finding = rule.check(seen, thresholds)
            if finding is None:
                continue
            if rule.kind == "pattern" and rule.id in pattern_resolved:
                resolved_at = pattern_resolved[rule.id]
                if resolved_at is None or resolved_at > saved_at:
                    continue
            state = add(rule.id, rule.severity, finding, saved_at)
            if rule.kind == "pattern":
                pattern_resolved[rule.id] = state["resolved_at"]
    if history:
        sweep(history[-1].local_date, window.today)
    return flags
