"""The demo's consents: each member shares with their sponsor and counselor, in every state
a consent can be in (active, expired, revoked, revoked and granted again)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from dashboard.demo.clock import Clock
from dashboard.demo.people import MemberPlan
from dashboard.timeutil import local_today


def consent_rows(
    plans: list[MemberPlan], *, clock: Clock
) -> tuple[list[dict], dict[int, list[dict]]]:
    """Every member's consents, in member order, and each member's sponsorship consents by
    member id; sets each plan's responders, the viewers who follow up the member's flags.

    member1 is the showcase: sharing everything with their sponsor and all but notes with
    their counselor.
    """
    rows: list[dict] = []
    sponsorships: dict[int, list[dict]] = {}
    for plan in plans:
        username = plan.person.username
        sponsorships[plan.person.id] = []
        if plan.sponsor_id is not None:
            state = _FIXED_SPONSORSHIP_STATES.get(username) or _consent_state(plan.rng)
            granted = _grant_rows(
                plan,
                clock=clock,
                recipient_id=plan.sponsor_id,
                purpose="sponsorship",
                state=state,
                categories=(True, True, True, True) if username == "member1" else None,
                next_id=len(rows) + 1,
            )
            rows.extend(granted)
            sponsorships[plan.person.id] = granted
            _add_responder(plan, plan.sponsor_id, granted)
        if plan.counselor_id is not None:
            granted = _grant_rows(
                plan,
                clock=clock,
                recipient_id=plan.counselor_id,
                purpose="counseling",
                state="active" if username == "member1" else _consent_state(plan.rng),
                categories=(True, True, True, False) if username == "member1" else None,
                next_id=len(rows) + 1,
            )
            rows.extend(granted)
            _add_responder(plan, plan.counselor_id, granted)
    return rows, sponsorships


def _add_responder(plan: MemberPlan, viewer_id: int, granted: list[dict]) -> None:
    # Whoever was ever shared flags follows them up, while a consent that shares them holds.
    sharing_flags = [row for row in granted if row["share_flags"]]
    if sharing_flags:
        plan.responders[viewer_id] = sharing_flags


_CATEGORY_MIXES = (
    # (checkins, steps, flags, notes), weight
    ((True, True, True, False), 62),
    ((True, True, True, True), 18),
    ((True, False, False, False), 10),
    ((True, False, True, False), 10),
)


@dataclass(frozen=True)
class _ConsentWindow:
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def _grant_rows(
    plan: MemberPlan,
    *,
    clock: Clock,
    recipient_id: int,
    purpose: str,
    state: str,
    categories: tuple[bool, bool, bool, bool] | None,
    next_id: int,
) -> list[dict]:
    """One consent, or two for a revoked one that the member granted again later."""
    rng = plan.rng
    now = clock.now
    person = plan.person
    mixes = [mix for mix, _ in _CATEGORY_MIXES]
    weights = [weight for _, weight in _CATEGORY_MIXES]

    def draw_categories() -> tuple[bool, bool, bool, bool]:
        return rng.choices(mixes, weights)[0]

    earliest = person.created_at + timedelta(hours=1)
    span = now - earliest
    windows: list[_ConsentWindow] = []
    if state == "expired":
        starts = earliest + span * rng.uniform(0.0, 0.3)
        windows.append(
            _ConsentWindow(starts, starts + (now - starts) * rng.uniform(0.4, 0.95), None)
        )
    elif state in ("revoked", "regranted"):
        starts = earliest + span * rng.uniform(0.0, 0.5)
        revoked = starts + (now - starts) * rng.uniform(0.2, 0.8)
        windows.append(
            _ConsentWindow(
                starts, max(starts + timedelta(days=365), revoked + timedelta(days=30)), revoked
            )
        )
        if state == "regranted":
            again = revoked + (now - revoked) * rng.uniform(0.05, 0.9)
            windows.append(
                _ConsentWindow(again, now + timedelta(days=rng.randint(30, 730)), None)
            )
    else:
        starts = earliest + span * rng.uniform(0.0, 0.9)
        windows.append(_ConsentWindow(starts, now + timedelta(days=rng.randint(30, 730)), None))

    rows = []
    for index, window in enumerate(windows):
        share = (
            categories
            if categories is not None and index == len(windows) - 1
            else draw_categories()
        )
        rows.append(
            {
                "id": next_id + index,
                "member_id": person.id,
                "recipient_id": recipient_id,
                "purpose": purpose,
                "share_checkins": share[0],
                "share_steps": share[1],
                "share_flags": share[2],
                "share_notes": share[3],
                "signature_name": person.display_name,
                "signed_on": local_today(person.timezone, window.starts_at),
                "revocation_acknowledged": True,
                "starts_at": window.starts_at,
                "expires_at": window.expires_at,
                "revoked_at": window.revoked_at,
                "revoked_by_id": person.id if window.revoked_at is not None else None,
                "created_at": window.starts_at,
            }
        )
    return rows


# Members 2-4 show expired, revoked and granted-again sharing even in a tiny demo.
_FIXED_SPONSORSHIP_STATES = {
    "member1": "active",
    "member2": "expired",
    "member3": "revoked",
    "member4": "regranted",
}


def _consent_state(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.05:
        return "expired"
    if draw < 0.10:
        return "revoked"
    if draw < 0.16:
        return "regranted"
    return "active"
