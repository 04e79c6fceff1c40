"""The counselor's alert queue: the flags across the caseload that the counselor has not
closed, most severe and oldest first, a page at a time. The queue is the counselor's own:
what a sponsor or another counselor did about a flag never shows here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    and_,
    case,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from dashboard.auth import Actor
from dashboard.caseload import ALERTS_SCREEN, PURPOSE, require_counselor
from dashboard.categories import shown
from dashboard.flags import SEVERITY_RANK, member_risks, sweep
from dashboard.labels import RULE_LABELS
from dashboard.policy import (
    audit_disclosures,
    flags_shared_since,
    shared_categories_by_member,
    visible_members,
)
from dashboard.timeutil import local_today
from models import SEVERITIES, ContactEntry, Flag, FlagFollowUp, User


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
    status: str  # "open" or "acknowledged", for this counselor
    acknowledged_at: datetime | None  # the counselor's own acknowledgement
    outreach_method: str | None
    risk: str  # the client's risk now: flags going on, whoever acted on them

    @property
    def rule_label(self) -> str:
        return RULE_LABELS.get(self.rule_id, self.rule_id)

    @property
    def days_open(self) -> int:
        """Days since the flag was raised, in the client's own calendar."""
        return max(0, (self.client_today - self.raised_on).days)


# The cards of a page: a counselor works the queue from the top, a few at a time. Ten
# cards are about four screens of a phone; twenty were eight, and a fifth of the page's
# time.
PAGE_SIZE = 10


@dataclass(frozen=True)
class AlertQueue:
    alerts: list[AlertItem]  # the page asked for, of the filtered queue
    total: int  # how many flags match the filters
    page: int  # the page returned (the last one when more was asked)
    pages: int
    by_severity: dict[str, int] = field(default_factory=dict)  # of the whole queue


def alert_queue(
    *, session: Session, actor: Actor, severities: Iterable[str] = (),
    rule_ids: Iterable[str] = (), page: int = 1, page_size: int = PAGE_SIZE,
    now: datetime,
) -> AlertQueue:
    """The flags of the clients who share flags with the actor that the actor has left
    open (raised since the client first shared flags with them) or acknowledged but not
    resolved: by severity, then the oldest first. Filters and paging apply in SQL, so that
    only the clients of the flags returned are disclosed (and audited)."""
    require_counselor(actor)
    # Who shares flags is a subquery of each statement: what each client shares is read
    # for the clients of the page alone, not for a whole caseload of 2,000.
    with_flags = visible_members(viewer_id=actor.id, at=now, purpose=PURPOSE, category="flags")
    # Silence flags are raised here too, for a counselor who opens Alerts first.
    sweep(session, now=now, member_ids=with_flags)

    severities, rule_ids = list(severities), list(rule_ids)
    since = flags_shared_since(viewer_id=actor.id, purpose=PURPOSE).subquery("since")
    mine = and_(FlagFollowUp.flag_id == Flag.id, FlagFollowUp.viewer_id == actor.id)

    def queue(*columns):
        return (select(*columns).select_from(Flag)
                .join(since, since.c.member_id == Flag.member_id)
                .outerjoin(FlagFollowUp, mine))

    in_queue = [Flag.member_id.in_(with_flags),
                or_(and_(FlagFollowUp.id.is_(None), Flag.created_at >= since.c.since),
                    FlagFollowUp.status == "acknowledged")]
    matching = and_(Flag.rule_id.in_(rule_ids) if rule_ids else true(),
                    Flag.severity.in_(severities) if severities else true())
    severity_rank = case(
        *((Flag.severity == name, rank) for name, rank in SEVERITY_RANK.items()), else_=0
    )

    def ranked(page: int):
        """One statement over the whole queue, read once: the ids of the page asked for
        (the flags matching the filters sort first), each row with the counts of the whole
        queue by severity and of the flags matching."""
        return session.connection().execute(
            queue(Flag.id, case((matching, 1), else_=0),
                  *(func.count(case((Flag.severity == name, 1))).over()
                    for name in SEVERITIES),
                  func.count(case((matching, 1))).over())
            .where(*in_queue)
            .order_by(case((matching, 1), else_=0).desc(), severity_rank.desc(),
                      Flag.raised_on, Flag.id)
            .limit(page_size).offset((page - 1) * page_size)
        ).all()

    asked = max(1, page)
    rows = ranked(asked)
    if not rows and asked > 1:
        rows = ranked(1)  # far past the end: the counts, from the first page
    by_severity = dict(zip(SEVERITIES, rows[0][2:5], strict=True)) if rows else {}
    total = rows[0][5] if rows else 0
    pages = max(1, -(-total // page_size))
    page = min(asked, pages)
    if page != asked:
        # Past the last page (the queue shrank since it was drawn): the last one.
        rows = ranked(page)
    page_ids = [row[0] for row in rows if row[1]]
    details = {
        row[0].id: row for row in session.execute(
            select(Flag, User.display_name, User.timezone, FlagFollowUp.acknowledged_at,
                   ContactEntry.method)
            .join(User, User.id == Flag.member_id)
            .outerjoin(FlagFollowUp, mine)
            .outerjoin(ContactEntry, ContactEntry.id == FlagFollowUp.contact_id)
            .where(Flag.id.in_(page_ids))
        )
    } if page_ids else {}
    shared = shared_categories_by_member(
        session, viewer_id=actor.id, at=now, purpose=PURPOSE,
        member_ids={row[0].member_id for row in details.values()}) if details else {}
    page_rows = [
        details[flag_id] for flag_id in page_ids
        # A consent revoked since the queue was read leaves its flags out.
        if flag_id in details and "flags" in shared.get(details[flag_id][0].member_id, ())
    ]
    risks = member_risks(session, member_ids=sorted({r[0].member_id for r in page_rows}),
                         now=now) if page_rows else {}
    alerts = [
        AlertItem(
            flag_id=f.id, member_id=f.member_id, display_name=name, severity=f.severity,
            rule_id=f.rule_id, raised_on=f.raised_on,
            client_today=local_today(tz, now), reason=f.reason,
            # The client's own words (decrypted by the column type) only with notes shared.
            quoted_text=shown("flag_quote", shared[f.member_id], f.quoted_text),
            status="open" if acknowledged_at is None else "acknowledged",
            acknowledged_at=acknowledged_at, outreach_method=method,
            risk=risks.get(f.member_id, "none"),
        )
        # Whole flags through the ORM (a page of them): selecting the encrypted column
        # alone in a cached Core statement trips its comparison guard (models/crypto.py).
        for f, name, tz, acknowledged_at, method in page_rows
    ]
    audit_disclosures(
        session, actor=actor, purpose=PURPOSE, screen=ALERTS_SCREEN, at=now,
        granted_by_member={a.member_id: shared[a.member_id] & {"flags", "notes"} for a in alerts},
    )
    return AlertQueue(alerts=alerts, total=total, page=page, pages=pages,
                      by_severity={s: by_severity.get(s, 0) for s in reversed(SEVERITIES)})
