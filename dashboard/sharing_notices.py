"""Sharing changes, told to the viewer: a member started, changed or stopped sharing with
them, or a consent is about to end.

Without these a sponsor or counselor saw a person simply vanish from their lists. Each
notice stands for `NOTICE_DAYS` days on the viewer's own screens, until they dismiss it.
A notice never tells more than the consent did, and after a revocation only the member's
name and the date: the categories and the expiry of a consent are not the viewer's to
know once it has ended. The notices are derived from the consents that name the viewer
(for a purpose their roles still serve); the table keeps only which ones were dismissed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from dashboard.auth import Actor
from dashboard.errors import NotFound, PermissionDenied, ValidationError
from dashboard.labels import CATEGORY_LABELS
from dashboard.policy import PURPOSE_FOR_ROLE
from dashboard.timeutil import day_label, local_today, to_local
from models import CATEGORIES, Consent, SharingNoticeDismissal, User
from models.entities import SHARING_NOTICE_KINDS

NOTICE_DAYS = 14
# A consent that replaced another one started in the same transaction as the old one was
# revoked (dashboard/sharing.py): that is a change, not a stop and a start.
_SAME_MOMENT = timedelta(seconds=1)


@dataclass(frozen=True)
class SharingNotice:
    consent_id: int
    kind: str  # "started", "changed", "stopped" or "ending"
    text: str
    at: datetime  # when it happened (or, for "ending", when the consent ends)


def _purposes(actor: Actor) -> list[str]:
    return [purpose for role, purpose in PURPOSE_FOR_ROLE.items() if actor.has_role(role)]


def _shared(consent: Consent) -> str:
    labels = [CATEGORY_LABELS[c].lower() for c in CATEGORIES if c in consent.categories]
    if len(labels) == 1:
        return labels[0]
    # "hard days and flags" has its own "and": a comma before the last keeps it one item.
    last = ", and " if " and " in labels[-1] and len(labels) > 2 else " and "
    return ", ".join(labels[:-1]) + last + labels[-1]


def sharing_notices_for(*, session: Session, actor: Actor, now: datetime,
                        purpose: str | None = None) -> list[SharingNotice]:
    """The notices of the last `NOTICE_DAYS` days for this viewer (of consents for
    `purpose`, when given), newest first, without the ones they dismissed. One query for
    the consents, one for their predecessors."""
    purposes = [p for p in _purposes(actor) if purpose in (None, p)]
    if not purposes:
        return []
    since, soon = now - timedelta(days=NOTICE_DAYS), now + timedelta(days=NOTICE_DAYS)
    dismissed = select(SharingNoticeDismissal.consent_id, SharingNoticeDismissal.kind).where(
        SharingNoticeDismissal.viewer_id == actor.id)
    put_away = {(consent_id, kind) for consent_id, kind in session.execute(dismissed)}
    member = aliased(User)
    rows = session.execute(
        select(Consent, member.display_name)
        .join(member, member.id == Consent.member_id)
        .where(Consent.recipient_id == actor.id, Consent.purpose.in_(purposes),
               (Consent.starts_at >= since) | (Consent.revoked_at >= since)
               | (Consent.revoked_at.is_(None) & (Consent.expires_at <= soon)
                  & (Consent.expires_at > now)))
    ).all()
    consents = [consent for consent, _ in rows]
    names = {consent.id: name for consent, name in rows}
    # Which revocations were replacements, and which starts replaced an older consent.
    pairs = {(c.member_id, c.purpose) for c in consents}
    others = session.scalars(select(Consent).where(
        Consent.recipient_id == actor.id,
        Consent.purpose.in_(purposes),
        Consent.member_id.in_({member_id for member_id, _ in pairs}),
        and_(Consent.revoked_at.is_not(None), Consent.revoked_at >= since - _SAME_MOMENT)
        | (Consent.starts_at >= since - _SAME_MOMENT),
    )).all() if pairs else []

    def near(a: datetime | None, b: datetime | None) -> bool:
        return a is not None and b is not None and abs(a - b) <= _SAME_MOMENT

    today = local_today(actor.timezone, now)

    def on(moment: datetime) -> str:
        return day_label(to_local(moment, actor.timezone).date(), today=today)

    notices = []
    for consent in consents:
        name = names[consent.id]
        same_pair = [o for o in others if (o.member_id, o.purpose) == (consent.member_id,
                                                                        consent.purpose)
                     and o.id != consent.id]
        active = consent.revoked_at is None and consent.starts_at <= now < consent.expires_at
        if active and consent.starts_at >= since:
            replaced = any(near(o.revoked_at, consent.starts_at) for o in same_pair)
            kind = "changed" if replaced else "started"
            verb = "now shares" if replaced else "started sharing"
            notices.append(SharingNotice(
                consent.id, kind, f"{name} {verb} {_shared(consent)} with you, until "
                                  f"{on(consent.expires_at - timedelta(microseconds=1))}.",
                consent.starts_at))
        if consent.revoked_at is not None and consent.revoked_at >= since:
            if not any(near(o.starts_at, consent.revoked_at) for o in same_pair):
                notices.append(SharingNotice(
                    consent.id, "stopped",
                    f"{name} stopped sharing with you {_on_words(on(consent.revoked_at))}.",
                    consent.revoked_at))
        if active and consent.expires_at <= soon:
            days = max(1, (to_local(consent.expires_at, actor.timezone).date() - today).days)
            notices.append(SharingNotice(
                consent.id, "ending",
                f"{name}'s sharing with you ends in {days} day{'' if days == 1 else 's'}, "
                f"on {on(consent.expires_at - timedelta(microseconds=1))}, unless they renew it.",
                consent.expires_at))
    return sorted((n for n in notices if (n.consent_id, n.kind) not in put_away),
                  key=lambda n: n.at, reverse=True)


def _on_words(label: str) -> str:
    return label if label in ("today", "yesterday") else f"on {label}"


def dismiss_notice(*, session: Session, actor: Actor, consent_id: int, kind: str,
                   now: datetime) -> None:
    """Put one notice away for good. Only the viewer the consent names can."""
    if not _purposes(actor):
        raise PermissionDenied()
    if kind not in SHARING_NOTICE_KINDS:
        raise ValidationError("That is not a kind of notice.")
    consent = session.get(Consent, consent_id)
    if consent is None or consent.recipient_id != actor.id:
        raise NotFound("That notice is not one of yours.")
    try:
        with session.begin_nested():
            session.add(SharingNoticeDismissal(viewer_id=actor.id, consent_id=consent_id,
                                               kind=kind, dismissed_at=now))
    except IntegrityError:
        pass  # dismissed already, in another tab
