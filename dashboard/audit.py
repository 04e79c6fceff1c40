"""The audit trail: append-only, tamper-evident, written in the same transaction as the
action it records.

There is deliberately no update or delete function here, and events never carry note
text, passwords or substance details: only who, whose, which categories, why, where and
whether it was allowed. Each event carries an HMAC (keyed with the application secret) of
its content and of the previous event's hash, so an edited, inserted or deleted row shows
up at that row when the chain is verified (`python -m dashboard verify-audit`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dashboard.config import AUDIT_SECRET_ENV, ConfigError, settings
from dashboard.secret_files import read_or_create_secret_file
from dashboard.text import clean_text
from models import AuditChainHead, AuditEvent

MAX_DETAIL = 200
GENESIS = "0" * 64
SECRET_FILE = "audit-secret.key"
_HASHED_FIELDS = ("at", "actor_id", "actor_role", "action", "member_id", "categories",
                  "purpose", "screen", "outcome", "detail")
_secrets: dict[str, bytes] = {}


def _clean_detail(detail: str | None) -> str | None:
    if detail is None:
        return None
    # One line, bounded: a detail can echo user input, which must never break the log.
    return clean_text(detail)[:MAX_DETAIL]


def audit_secret(database_url: str) -> bytes:
    """The key of the audit chain: DASHBOARD_SECRET_KEY, or for a SQLite file a key file
    beside it (created once, readable by its owner only). Never inside the database."""
    configured = settings().audit_secret
    if configured:
        return configured
    if database_url in _secrets:
        return _secrets[database_url]
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ConfigError(f"{AUDIT_SECRET_ENV} must be set: it keys the tamper-evident audit "
                          "trail")
    path = Path(url.database).resolve().parent / SECRET_FILE
    _secrets[database_url] = read_or_create_secret_file(
        path, make=lambda: secrets.token_hex(32).encode(), what="The audit key file")
    return _secrets[database_url]


def _secret_for(executor) -> bytes:
    bind = executor.get_bind() if isinstance(executor, Session) else executor.engine
    return audit_secret(bind.url.render_as_string(hide_password=False))


def _canonical_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


# One encoder for every event: json.dumps with options builds a new one per call, which
# counts when a caseload chains thousands of events.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def event_hash(secret: bytes, prev_hash: str, event: dict, at: str | None = None) -> str:
    """The event's HMAC; `at` is its time in canonical form, when the caller has it."""
    content = [prev_hash] + [
        (at or _canonical_time(event["at"])) if name == "at" else event.get(name)
        for name in _HASHED_FIELDS
    ]
    return hmac.new(secret, _encode(content).encode(), hashlib.sha256).hexdigest()


def append_events(executor, rows: list[dict]) -> None:
    """Chain and insert events (through a Session or a Connection), in order.

    Locks the chain head row, so that concurrent transactions append one after the other.
    """
    if not rows:
        return
    secret = _secret_for(executor)
    head = executor.execute(
        select(AuditChainHead.last_hash).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    previous = head or GENESIS
    canonical_times: dict[datetime, str] = {}  # a list screen's events share one time
    for row in rows:
        at = canonical_times.get(row["at"])
        if at is None:
            at = canonical_times[row["at"]] = _canonical_time(row["at"])
        row["prev_hash"] = previous
        row["row_hash"] = previous = event_hash(secret, row["prev_hash"], row, at)
    # A plain executemany of the table, not the ORM's bulk insert: a caseload appends
    # thousands of events at once. The newest id is ours: the head's lock keeps every
    # other append waiting until this transaction ends.
    executor.execute(AuditEvent.__table__.insert(), rows)
    last_id = select(func.max(AuditEvent.id)).scalar_subquery()
    if head is None:
        executor.execute(insert(AuditChainHead).values(id=1, last_id=last_id, last_hash=previous))
    else:
        executor.execute(update(AuditChainHead).where(AuditChainHead.id == 1)
                         .values(last_id=last_id, last_hash=previous))


def _event_row(*, at, actor_id, actor_role, action, member_id, categories, purpose, screen,
               outcome, detail) -> dict:
    return {
        "at": at, "actor_id": actor_id, "actor_role": actor_role, "action": action,
        "member_id": member_id, "categories": ",".join(sorted(set(categories))),
        "purpose": purpose, "screen": screen, "outcome": outcome,
        "detail": _clean_detail(detail),
    }


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
    at: datetime,
) -> None:
    append_events(session, [_event_row(
        at=at, actor_id=actor_id, actor_role=actor_role, action=action, member_id=member_id,
        categories=categories, purpose=purpose, screen=screen, outcome=outcome, detail=detail)])


def record_events(session: Session, rows: list[dict]) -> None:
    """Many events in one statement (a caseload discloses many members at once); each row
    names its time, "at"."""
    append_events(session, [
        _event_row(at=row["at"], actor_id=row.get("actor_id"),
                   actor_role=row.get("actor_role"), action=row["action"],
                   member_id=row.get("member_id"), categories=row.get("categories", ()),
                   purpose=row.get("purpose"), screen=row.get("screen"),
                   outcome=row.get("outcome", "allowed"), detail=row.get("detail"))
        for row in rows
    ])


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    checked: int
    unchained: int  # events written before the chain existed
    problem_id: int | None = None
    problem: str | None = None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in id order; report the first event that was edited, inserted or
    follows a deleted one, and deleted events at the end."""
    secret = _secret_for(session)
    previous = None
    checked = unchained = 0
    rows = session.execute(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=5000)
    ).scalars()
    for event in rows:
        if event.row_hash is None and previous is None:
            unchained += 1
            continue
        fields = {name: getattr(event, name) for name in _HASHED_FIELDS}
        if event.row_hash is None or event.prev_hash is None:
            return ChainReport(False, checked, unchained, event.id,
                               "event has no hash: it was inserted outside the application")
        if event_hash(secret, event.prev_hash, fields) != event.row_hash:
            return ChainReport(False, checked, unchained, event.id,
                               "event does not match its hash: it was edited or inserted")
        expected_previous = previous if previous is not None else GENESIS
        if event.prev_hash != expected_previous and not (previous is None and unchained):
            return ChainReport(False, checked, unchained, event.id,
                               "the event before this one is missing or was replaced")
        previous = event.row_hash
        checked += 1
    head = session.execute(select(AuditChainHead)).scalar_one_or_none()
    if head is not None and head.last_hash != (previous or GENESIS):
        return ChainReport(False, checked, unchained, head.last_id,
                           "events at the end of the trail were deleted")
    return ChainReport(True, checked, unchained)
