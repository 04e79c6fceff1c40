"""The audit trail: append-only, tamper-evident, written in the same transaction as the
action it records.

There is deliberately no update or delete function here, and events never carry note
text, passwords or substance details: only who, whose, which categories, why, where and
whether it was allowed. Each event carries its own HMAC under the audit key, over its id
and content, from the moment it is written; appends share no lock. A sealer seals the
events into batches with a Merkle root and a signed head (dashboard/audit_seal.py), and
`python -m dashboard verify-audit` checks it all (dashboard/audit_verify.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dashboard.config import AUDIT_SECRET_ENV, ConfigError, settings
from dashboard.secret_files import read_or_create_secret_file
from dashboard.text import clean_text
from models import AuditBatch, AuditEvent

MAX_DETAIL = 200
GENESIS = "0" * 64
EVENT_HMAC_VERSION = "event-v2"
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


def legacy_event_hash(secret: bytes, prev_hash: str, event: dict, at: str | None = None) -> str:
    """The HMAC of an event of the older hash chain (before migration 0007): over its
    content and the previous event's hash."""
    content = [prev_hash] + [
        (at or _canonical_time(event["at"])) if name == "at" else event.get(name)
        for name in _HASHED_FIELDS
    ]
    return hmac.new(secret, _encode(content).encode(), hashlib.sha256).hexdigest()


def event_hmac(secret: bytes, event_id: int, event: dict, at: str | None = None) -> str:
    """An event's own HMAC, over its id and content; `at` is its time in canonical form,
    when the caller has it. The id binds the content to its place in the log."""
    content = [EVENT_HMAC_VERSION, event_id] + [
        (at or _canonical_time(event["at"])) if name == "at" else event.get(name)
        for name in _HASHED_FIELDS
    ]
    return hmac.new(secret, _encode(content).encode(), hashlib.sha256).hexdigest()


def _new_ids(executor, count: int) -> list[int]:
    """Ids for `count` new events. On PostgreSQL from the table's sequence, which hands out
    ids to concurrent transactions without either waiting; on SQLite, whose transactions
    write one at a time, after the newest event and the newest sealed id (an id is never
    used twice, even when the newest events were deleted)."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name == "postgresql":
        return sorted(executor.execute(text(
            "SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) "
            "FROM generate_series(1, :count)"), {"count": count}).scalars())
    newest = executor.execute(select(func.max(AuditEvent.id))).scalar_one() or 0
    sealed = executor.execute(select(func.max(AuditBatch.last_event_id))).scalar_one() or 0
    start = max(newest, sealed) + 1
    return list(range(start, start + count))


def append_events(executor, rows: list[dict]) -> None:
    """Insert events (through a Session or a Connection), in order, each with its HMAC.

    No lock is shared with other appends: a sealer chains the events into batches later
    (dashboard/audit_seal.py).
    """
    if not rows:
        return
    secret = _secret_for(executor)
    canonical_times: dict[datetime, str] = {}  # a list screen's events share one time
    for row, event_id in zip(rows, _new_ids(executor, len(rows)), strict=True):
        at = canonical_times.get(row["at"])
        if at is None:
            at = canonical_times[row["at"]] = _canonical_time(row["at"])
        row["id"] = event_id
        row["prev_hash"] = None
        row["row_hash"] = event_hmac(secret, event_id, row, at)
    # A plain executemany of the table, not the ORM's bulk insert: a caseload appends
    # thousands of events at once.
    executor.execute(AuditEvent.__table__.insert(), rows)


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
