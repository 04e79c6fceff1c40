"""The audit trail: append-only, written in the same transaction as the action it records.

There is deliberately no update or delete function here, and events never carry
note text, passwords or substance details: only who, whose, which categories,
why, where and whether it was allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from models import AuditEvent, utcnow

MAX_DETAIL = 200


def _clean_detail(detail: str | None) -> str | None:
    if detail is None:
        return None
    # One line, bounded: a detail can echo user input, which must never break the log.
    one_line = " ".join(detail.split())
    return one_line[:MAX_DETAIL]


def record_event(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    outcome: str = "allowed",
    actor_role: str | None = None,
    member_id: int | None = None,
    categories: Iterable[str] = (),
    purpose: str | None = None,
    screen: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=at or utcnow(),
            actor_id=actor_id,
            actor_role=actor_role,
            action=action,
            member_id=member_id,
            categories=",".join(sorted(set(categories))),
            purpose=purpose,
            screen=screen,
            outcome=outcome,
            detail=_clean_detail(detail),
        )
    )


def record_events(session: Session, rows: list[dict]) -> None:
    """Many events in one statement (a caseload discloses many members at once)."""
    if not rows:
        return
    now = utcnow()
    session.execute(
        insert(AuditEvent),
        [
            {
                "at": row.get("at") or now,
                "actor_id": row.get("actor_id"),
                "actor_role": row.get("actor_role"),
                "action": row["action"],
                "member_id": row.get("member_id"),
                "categories": ",".join(sorted(set(row.get("categories", ())))),
                "purpose": row.get("purpose"),
                "screen": row.get("screen"),
                "outcome": row.get("outcome", "allowed"),
                "detail": _clean_detail(row.get("detail")),
            }
            for row in rows
        ],
    )
