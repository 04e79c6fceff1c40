"""The consent policy: the one place that decides who may see which of a member's data.

Deny by default. A viewer sees a member only through an active consent that names
them, for the purpose of the screen they are on (sponsorship or counseling), only
the categories consented, only between signing and expiry and never once revoked, and
only while they still hold the role that purpose needs. Every disclosure, allowed or
denied, is audited here, in the caller's transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from dashboard.audit import (
    categories_text,
    extend_visits,
    open_visits,
    record_event,
    record_events,
)
from dashboard.auth import RESET_CODE_SESSION, Actor
from dashboard.errors import NotFound
from models import CATEGORIES, Consent, User, UserRole

ROLE_FOR_PURPOSE = {"sponsorship": "sponsor", "counseling": "counselor"}
PURPOSE_FOR_ROLE = {role: purpose for purpose, role in ROLE_FOR_PURPOSE.items()}
ALL_CATEGORIES = frozenset(CATEGORIES)
SHARE_COLUMN = {category: getattr(Consent, f"share_{category}") for category in CATEGORIES}


def consent_is_active(at: datetime) -> ColumnElement[bool]:
    """Signed, started and not yet expired at `at`, and never revoked.

    Revocation is a state, not a time: a revoked consent never grants again, whatever the
    clock says. A host clock that steps back an hour must not reopen what a member closed
    five minutes ago. Start and expiry stay times, which a member chose as dates.
    """
    return and_(
        Consent.starts_at <= at,
        Consent.expires_at > at,
        Consent.revoked_at.is_(None),
    )


def _recipient_qualifies(*, viewer_id: int, purpose: str | None) -> ColumnElement[bool]:
    """The recipient is an active account that still holds the role the purpose needs.

    The recipient is the viewer: the condition names them, not the consent's row, so
    that the database answers it once per statement rather than once per consent (a
    caseload has thousands). Without a purpose, the role is each consent's own."""
    if purpose is not None:
        role_for_purpose = UserRole.role == ROLE_FOR_PURPOSE[purpose]
    else:
        role_for_purpose = or_(
            *(
                and_(Consent.purpose == each, UserRole.role == role)
                for each, role in ROLE_FOR_PURPOSE.items()
            )
        )
    return (
        select(UserRole.user_id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.user_id == viewer_id, User.is_active, role_for_purpose)
        .exists()
    )


def _active_consents(*, viewer_id: int, at: datetime, purpose: str | None) -> Select:
    query = select(Consent).where(
        Consent.recipient_id == viewer_id, consent_is_active(at),
        _recipient_qualifies(viewer_id=viewer_id, purpose=purpose),
    )
    if purpose is not None:
        query = query.where(Consent.purpose == purpose)
    return query


def allowed_categories(
    session: Session, *, viewer_id: int, member_id: int, at: datetime,
    purpose: str | None = None,
) -> frozenset[str]:
    """The categories of `member_id`'s data that `viewer_id` may see at `at`.

    The union over the viewer's active consents from that member (for `purpose`
    when given). A member sees all of their own data.
    """
    if viewer_id == member_id:
        return ALL_CATEGORIES
    query = _active_consents(viewer_id=viewer_id, at=at, purpose=purpose).where(
        Consent.member_id == member_id
    )
    granted: set[str] = set()
    for consent in session.scalars(query):
        granted |= consent.categories
    return frozenset(granted)


def visible_members(
    *, viewer_id: int, at: datetime, purpose: str | None = None, category: str | None = None
) -> Select:
    """A query of the member ids the viewer may see (for a category, when given).

    Meant to be used as a subquery, so that set-based reads of a whole caseload
    stay one statement whatever its size.
    """
    query = _active_consents(viewer_id=viewer_id, at=at, purpose=purpose)
    if category is not None:
        query = query.where(SHARE_COLUMN[category])
    return query.with_only_columns(Consent.member_id).distinct()


def has_sharers(session: Session, *, viewer_id: int, at: datetime, purpose: str) -> bool:
    """Whether anyone shares with the viewer for `purpose` at `at`: whom, and what, is
    not read (no disclosure)."""
    return session.scalar(
        select(visible_members(viewer_id=viewer_id, at=at, purpose=purpose).exists()))


def flags_shared_since(*, viewer_id: int, purpose: str) -> Select:
    """(member id, since): when each member first shared flags with the viewer for
    `purpose`, under any consent, ended or not. A viewer's follow-up queue holds the flags
    raised since then (dashboard/flags.py); whether the member shares flags now is for
    `visible_members` to say. Kept apart from it so that a renewed consent does not drop
    an unanswered flag."""
    return (select(Consent.member_id, func.min(Consent.starts_at).label("since"))
            .where(Consent.recipient_id == viewer_id, Consent.purpose == purpose,
                   SHARE_COLUMN["flags"])
            .group_by(Consent.member_id))


def shared_categories_query(*, viewer_id: int, at: datetime, purpose: str) -> Select:
    """A query of (member_id, shares_checkins, shares_steps, shares_flags, shares_notes),
    one row per member visible to the viewer for `purpose`: 1 where any of the viewer's
    active consents from the member shares the category, else 0 (`categories_shared`
    reads a row). For a statement that reads a whole caseload along with what each member
    shares, so that the consents are read once, in the same snapshot as the data.
    `viewer_id` and `at` may be bound parameters, for a statement built once."""
    return (
        _active_consents(viewer_id=viewer_id, at=at, purpose=purpose)
        .with_only_columns(
            Consent.member_id,
            *(func.max(case((column, 1), else_=0)).label(f"shares_{category}")
              for category, column in SHARE_COLUMN.items()))
        .group_by(Consent.member_id)
    )


# Every combination of shared categories, built once: a caseload reads thousands of rows.
_CATEGORY_SETS = {
    flags: frozenset(c for c, on in zip(CATEGORIES, flags, strict=True) if on)
    for flags in itertools.product((0, 1), repeat=len(CATEGORIES))
}


def categories_shared(shares: Iterable[int]) -> frozenset[str]:
    """The categories of a `shared_categories_query` row's shares_* values, in their order."""
    return _CATEGORY_SETS[tuple(shares)]


def shared_categories_by_member(
    session: Session, *, viewer_id: int, at: datetime, purpose: str,
    member_ids: Iterable[int] | None = None,
) -> dict[int, frozenset[str]]:
    """For each member visible to the viewer (of `member_ids`, when given), the union of
    the categories shared."""
    query = shared_categories_query(viewer_id=viewer_id, at=at, purpose=purpose)
    if member_ids is not None:
        query = query.where(Consent.member_id.in_(sorted(set(member_ids))))
    return {member_id: categories_shared(shares)
            for member_id, *shares in session.execute(query)}


def disclose(
    session: Session, *, actor: Actor, member_id: int, wanted: Iterable[str], purpose: str | None,
    screen: str, action: str = "view", at: datetime,
) -> frozenset[str]:
    """Ask the policy for the wanted categories of one member and audit the answer.

    Returns the categories granted (a subset of `wanted`). When none is granted the
    attempt is audited as denied, committed, and NotFound is raised, exactly as for a
    member who does not exist. Call it before the action writes anything else. An
    allowed view extends the same visit's event, as on a list screen (`audit_disclosures`):
    a detail screen rerun for another range is the same person seen again.
    """
    wanted = frozenset(wanted)
    if actor.id == member_id:
        granted = wanted
        role = "member"
    else:
        if purpose is None or not actor.has_role(ROLE_FOR_PURPOSE[purpose]):
            granted = frozenset()
        else:
            granted = wanted & allowed_categories(
                session, viewer_id=actor.id, member_id=member_id, at=at, purpose=purpose
            )
        role = ROLE_FOR_PURPOSE.get(purpose or "", None)
    detail = RESET_CODE_SESSION if actor.via_reset_code else None
    if granted and action == "view":
        visit = open_visits(session, actor_id=actor.id, actor_role=role, action=action,
                            purpose=purpose, screen=screen, detail=detail,
                            at=at).get((member_id, categories_text(granted)))
        if visit is not None:
            extend_visits(session, [visit], at=at)
            return granted
    record_event(
        session, actor_id=actor.id, actor_role=role, action=action, member_id=member_id,
        categories=granted or wanted, purpose=purpose, screen=screen,
        outcome="allowed" if granted else "denied", at=at, detail=detail,
    )
    if not granted:
        # The denial must stay on the record although the caller's action fails here:
        # commit it now (nothing else is written before a disclosure is granted).
        session.commit()
        raise NotFound()
    return granted


def audit_disclosures(
    session: Session, *, actor: Actor, granted_by_member: dict[int, frozenset[str]],
    purpose: str, screen: str, action: str = "view", at: datetime,
) -> None:
    """Audit each member a list screen discloses, once per visit.

    A view extends the newest event of the same visit (dashboard/audit.py, VISIT_WINDOW:
    same viewer, screen, purpose and categories, begun at most 30 minutes before `at`):
    reruns of a screen, a filter changed or a page turned, are one disclosure seen
    several times, not one per keystroke. A member whose categories changed since (a
    consent granted, narrowed or revoked) gets a new event: what was disclosed differs.
    An export, or any other action, is always a new event. At most three statements
    whatever the number of members: the open visits, one update, one insert.
    """
    role = ROLE_FOR_PURPOSE[purpose]
    detail = RESET_CODE_SESSION if actor.via_reset_code else None
    disclosed = {member_id: categories_text(categories)
                 for member_id, categories in sorted(granted_by_member.items()) if categories}
    if not disclosed:
        return
    extended: dict[int, int] = {}
    if action == "view":
        visits = open_visits(session, actor_id=actor.id, actor_role=role, action=action,
                             purpose=purpose, screen=screen, detail=detail, at=at)
        extended = {member_id: visits[(member_id, categories)]
                    for member_id, categories in disclosed.items()
                    if (member_id, categories) in visits}
        extend_visits(session, extended.values(), at=at)
    record_events(
        session,
        [
            {
                "at": at, "actor_id": actor.id, "actor_role": role, "action": action,
                "member_id": member_id, "categories": granted_by_member[member_id],
                "purpose": purpose, "screen": screen, "outcome": "allowed", "detail": detail,
            }
            for member_id in disclosed
            if member_id not in extended
        ],
    )
