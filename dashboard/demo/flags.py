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
    EPISODE_DAYS,
    HISTORY_DAYS,
    NO_CHECKIN,
    NO_CHECKIN_SEVERITY,
    RULES,
    Day,
    Finding,
    no_checkin_finding,
)
from dashboard.timeutil import local_today


@dataclass
class FollowUps:
    """How the demo's flags have been followed up, by each viewer the member shares flags
    with, on their own and only while a consent shares flags with them (as the app allows):
    those older than two weeks resolved, about half of those 3 to 14 days old acknowledged
    (the first of them always, so that even a tiny demo shows that state), the younger
    ones open. A member's flags of one day are followed up together by a viewer, as after
    one phone call."""

    next_id: int = 1
    any_in_hand: bool = False


def raise_flags(plan: MemberPlan, *, checkins: Sequence[dict], clock: Clock,
                thresholds: FlagThresholds, follow_ups: FollowUps) -> list[dict]:
    """The member's flags, as the app raises them: each check-in (in date order) evaluated by
    `RULES` when it was saved, a pattern flag not raised again while its episode goes on
    (EPISODE_DAYS), and the silence rule (`no_checkin_finding`) run each morning as a
    daily sweep would. Each flag's "follow_ups" holds each responder's follow-up."""
    rng = plan.rng
    member_id = plan.person.id
    tz_name = plan.person.timezone
    window = clock.window(tz_name)
    now = clock.now
    by_day: dict[date, list[dict]] = {}
    # A pattern rule's last flag: the pattern showing again within its episode is the same.
    pattern_raised: dict[str, date] = {}
    flags: list[dict] = []

    def follow_up(raised_on: date, created_at: datetime) -> list[dict]:
        found = by_day.get(raised_on)
        if found is not None:
            return found
        age_days = (window.today - raised_on).days
        found = []
        for responder, consents in plan.responders.items():
            in_hand = (3 <= age_days <= 14
                       and (not follow_ups.any_in_hand or rng.random() < 0.5))
            if not (age_days > 14 or in_hand):
                continue
            acknowledged_at = min(created_at + timedelta(hours=rng.uniform(1, 36)), now)
            method = rng.choice(OUTREACH_METHODS)
            state = {"viewer_id": responder, "status": "acknowledged",
                     "acknowledged_at": acknowledged_at, "method": method,
                     "note": rng.choice(OUTREACH_NOTES[method]), "resolved_at": None}
            if age_days > 14:
                state.update(status="resolved", resolved_at=min(
                    acknowledged_at + timedelta(hours=rng.uniform(4, 120)), now))
            # The app lets a viewer act on a flag only while a consent shares flags.
            if not all(_in_force(consents, at)
                       for at in (acknowledged_at, state["resolved_at"]) if at is not None):
                continue
            follow_ups.any_in_hand = follow_ups.any_in_hand or in_hand
            found.append(state)
        by_day[raised_on] = found
        return found

    def add(rule_id: str, severity: str, finding: Finding, created_at: datetime) -> None:
        flags.append({
            "id": follow_ups.next_id, "member_id": member_id, "rule_id": rule_id,
            "severity": severity, "raised_on": finding.raised_on,
            "episode_key": finding.episode_key, "reason": finding.reason,
            "quoted_text": finding.quoted_text, "checkin_id": finding.checkin_id,
            "created_at": created_at,
            "follow_ups": follow_up(finding.raised_on, created_at),
        })
        follow_ups.next_id += 1

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
            if rule.kind == "pattern":
                last = pattern_raised.get(rule.id)
                if last is not None and day - last <= timedelta(days=EPISODE_DAYS):
                    continue
                pattern_raised[rule.id] = day
            add(rule.id, rule.severity, finding, saved_at)
    if history:
        sweep(history[-1].local_date, window.today)
    return flags


def _in_force(consents: Sequence[dict], at: datetime) -> bool:
    return any(c["starts_at"] <= at < c["expires_at"]
               and (c["revoked_at"] is None or at < c["revoked_at"]) for c in consents)


def follow_up_rows(flags: list[dict], *, zones: dict[int, str], first_contact_id: int = 1
                   ) -> tuple[list[dict], list[dict], list[dict]]:
    """The flag rows, and each viewer's follow-ups and contact log entries, as tables hold
    them: every acknowledgement is one contact entry, dated the viewer's own day when it
    was made (their time zone in `zones`), as acknowledge_flag dates it."""
    flag_rows, follow_up_rows, contact_rows = [], [], []
    for flag in flags:
        states = flag["follow_ups"]
        flag_rows.append({k: v for k, v in flag.items() if k != "follow_ups"})
        for state in states:
            contact_id = first_contact_id + len(contact_rows)
            contact_rows.append({
                "id": contact_id, "viewer_id": state["viewer_id"],
                "member_id": flag["member_id"],
                "contacted_on": local_today(zones[state["viewer_id"]],
                                           state["acknowledged_at"]),
                "method": state["method"],
                "note": state["note"], "kind": "flag", "flag_id": flag["id"], "iso_week": None,
                "created_at": state["acknowledged_at"],
            })
            follow_up_rows.append({
                "flag_id": flag["id"], "viewer_id": state["viewer_id"],
                "status": state["status"], "acknowledged_at": state["acknowledged_at"],
                "contact_id": contact_id, "resolved_at": state["resolved_at"],
            })
    return flag_rows, follow_up_rows, contact_rows
