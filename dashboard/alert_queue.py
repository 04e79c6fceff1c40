"""The counselor's alert queue: open flags across the caseload, most severe and oldest
first, a page at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.caseload import ALERTS_SCREEN, PURPOSE, require_counselor
from dashboard.categories import shown
from dashboard.flags import SEVERITY_RANK, sweep
from dashboard.labels import RULE_LABELS
from dashboard.policy import (
    audit_disclosures,
    shared_categories_by_member,
    visible_members,
)
from dashboard.timeutil import local_today
from models import SEVERITIES, Flag, User


@dataclass(frozen=True)
class AlertItem:
    flag_id: int
    member_id: int
    display_name: str
    severity: str
    rule_id: str
    raised_on: date
    client_today: date  # the client's own date, by which the flag's age is counted
    reason: str
    quoted_text: str | None  # the client's own words, only when notes are shared
    status: str  # "open" or "acknowledged"
    acknowledged_at: datetime | None
    outreach_method: str | None
    acknowledged_by_me: bool

    @property
    def rule_label(self) -> str:
        return RULE_LABELS.get(self.rule_id, self.rule_id)

    @property
    def days_open(self) -> int:
        """Days since the flag was raised, in the client's own calendar."""
        return max(0, (self.client_today - self.raised_on).days)


@dataclass(frozen=True)
class AlertQueue:
    alerts: list[AlertItem]  # the page asked for, of the filtered queue
    total: int  # how many flags match the filters
    page: int  # the page returned (the last one when more was asked)
    pages: int
    by_severity: dict[str, int] = field(default_factory=dict)  # of the whole queue


def alert_queue(
    *, session: Session, actor: Actor, severities: Iterable[str] = (),
    rule_ids: Iterable[str] = (), page: int = 1, page_size: int = 20,
    now: datetime,
) -> AlertQueue:
    """Open and acknowledged flags of the clients who share flags with the actor: by
    severity, then the oldest first. Filters and paging apply in SQL, so that only the
    clients of the flags returned are disclosed (and audited)."""
    require_counselor(actor)
    shared = shared_categories_by_member(session, viewer_id=actor.id, at=now, purpose=PURPOSE)
    if not any("flags" in categories for categories in shared.values()):
        return AlertQueue(alerts=[], total=0, page=1, pages=1,
                          by_severity=dict.fromkeys(reversed(SEVERITIES), 0))
    with_flags = visible_members(viewer_id=actor.id, at=now, purpose=PURPOSE, category="flags")
    # Silence flags are raised here too, for a counselor who opens Alerts first.
    sweep(session, now=now, member_ids=with_flags)

    severities, rule_ids = list(severities), list(rule_ids)
    chosen = [Flag.member_id.in_(with_flags), Flag.status.in_(("open", "acknowledged"))]
    if rule_ids:
        chosen.append(Flag.rule_id.in_(rule_ids))
    # The whole queue by severity (the strip above the list) and how many of each match
    # the filters, in one statement.
    counts = session.connection().execute(
        select(Flag.severity, func.count(),
               func.count(case((Flag.rule_id.in_(rule_ids), 1))) if rule_ids else func.count())
        .where(*chosen[:2]).group_by(Flag.severity)
    ).all()
    by_severity = {severity: count for severity, count, _ in counts}
    total = sum(matching for severity, _, matching in counts
                if not severities or severity in severities)
    if severities:
        chosen.append(Flag.severity.in_(severities))
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    severity_rank = case(
        *((Flag.severity == name, rank) for name, rank in SEVERITY_RANK.items()), else_=0
    )
    query = (
        select(Flag, User.display_name, User.timezone)
        .join(User, User.id == Flag.member_id)
        .where(*chosen)
        .order_by(severity_rank.desc(), Flag.raised_on, Flag.id)
        .limit(page_size).offset((page - 1) * page_size)
    )
    alerts = [
        AlertItem(
            flag_id=f.id, member_id=f.member_id, display_name=name, severity=f.severity,
            rule_id=f.rule_id, raised_on=f.raised_on,
            client_today=local_today(tz, now), reason=f.reason,
            # The client's own words (decrypted by the column type) only with notes shared.
            quoted_text=shown("flag_quote", shared[f.member_id], f.quoted_text),
            status=f.status, acknowledged_at=f.acknowledged_at,
            outreach_method=f.outreach_method, acknowledged_by_me=f.acknowledged_by_id == actor.id,
        )
        # Whole flags through the ORM (a page of them): selecting the encrypted column
        # alone in a cached Core statement trips its comparison guard (models/crypto.py).
        for f, name, tz in session.execute(query)
        # A consent granted since `shared` was read waits for the next view.
        if "flags" in shared.get(f.member_id, ())
    ]
    audit_disclosures(
        session, actor=actor, purpose=PURPOSE, screen=ALERTS_SCREEN, at=now,
        granted_by_member={a.member_id: shared[a.member_id] & {"flags", "notes"} for a in alerts},
    )
    return AlertQueue(alerts=alerts, total=total, page=page, pages=pages,
                      by_severity={s: by_severity.get(s, 0) for s in reversed(SEVERITIES)})
