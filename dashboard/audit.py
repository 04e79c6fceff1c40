"""The audit trail: append-only, tamper-evident, written in the same transaction as the
action it records.

Events never carry note text, passwords or substance details: only who, whose, which
categories, why, where and whether it was allowed. Each event carries its own HMAC under
the audit key, over its id and content, from the moment it is written; appends share no
lock. A sealer seals the events into batches with a Merkle root and a signed head
(dashboard/audit_seal.py), and `python -m dashboard verify-audit` checks it all
(dashboard/audit_verify.py).

There is deliberately no delete function here, and what an event says is never changed.
The one update is `extend_visits`: a disclosure is recorded once per visit (SPEC section
5), so a rerun of the same list screen by the same viewer, for the same purpose, with the
same categories, within VISIT_WINDOW of the event's time, adds one to the event's
`seen_count` and sets its `last_seen_at`, instead of adding a row per keystroke. Those two
columns are outside the HMAC (_HASHED_FIELDS): they say how long a visit lasted, not
whether it happened, who saw what or when it began; verify-audit checks that they are
consistent with the event's time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dashboard.config import AUDIT_SECRET_ENV, ConfigError, check_audit_secret, settings
from dashboard.id_sets import among
from dashboard.secret_files import create_private_file, read_private_file
from dashboard.text import clean_text
from models import AuditBatch, AuditEvent
from models.db import insert_rows

MAX_DETAIL = 200
GENESIS = "0" * 64
EVENT_HMAC_VERSION = "event-v2"
SECRET_FILE = "audit-secret.key"
_HASHED_FIELDS = ("at", "actor_id", "actor_role", "action", "member_id", "categories",
                  "purpose", "screen", "outcome", "detail")
# A visit of a list screen, from the time of its first run (the event's `at`): reruns
# within it extend that event. Half an hour covers a sitting of filtering, sorting and
# coming back from a client, and keeps a diary line ("6 times, 10:02 to 10:09") an honest
# span: an event's last time is never more than this after its first. Measured from `at`,
# not from the last rerun, so that a screen left open all day still writes a new event
# every half hour.
VISIT_WINDOW = timedelta(minutes=30)
_secrets: dict[str, bytes] = {}


def _clean_detail(detail: str | None) -> str | None:
    if detail is None:
        return None
    # One line, bounded: a detail can echo user input, which must never break the log.
    return clean_text(detail)[:MAX_DETAIL]


def audit_key_file(database_url: str) -> Path | None:
    """The audit key file of a SQLite database file (beside it); None for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve().parent / SECRET_FILE


def read_audit_key_file(path: Path) -> bytes:
    """The key in an audit key file; ConfigError if it is missing, unsafe, empty or short."""
    secret = read_private_file(path, what="The audit key file").strip()
    return check_audit_secret(secret, where=f"the file {path}")


def create_audit_key_file(path: Path) -> bool:
    """A new random audit key in `path` unless the file exists; True if this call made it.
    Only for a database whose trail has no event yet (dashboard/key_guard.py decides)."""
    return create_private_file(path, secrets.token_hex(32).encode() + b"\n")


def use_audit_secret(database_url: str, secret: bytes) -> None:
    """Sign this database's events with `secret` from now on (checked at start by
    dashboard/key_guard.py, which read it from its file)."""
    _secrets[database_url] = secret


def audit_secret(database_url: str) -> bytes:
    """The key of the audit chain: DASHBOARD_SECRET_KEY, or for a SQLite file the key file
    beside it. Never inside the database, and never created here: a missing key file is
    an error, not a reason to start a new trail under a new key. Once read, the key is
    kept: a file removed while the dashboard runs does not stop it (it is warned about)."""
    configured = settings().audit_secret
    if configured:
        return configured
    if database_url in _secrets:
        return _secrets[database_url]
    path = audit_key_file(database_url)
    if path is None:
        raise ConfigError(f"{AUDIT_SECRET_ENV} must be set: it keys the tamper-evident audit "
                          "trail")
    _secrets[database_url] = read_audit_key_file(path)
    return _secrets[database_url]


def signed_with(secret: bytes, event: AuditEvent) -> bool:
    """Whether `event`'s HMAC (or, for the older chain, its hash) was made with `secret`."""
    if event.row_hash is None:
        return False
    fields = {name: getattr(event, name) for name in _HASHED_FIELDS}
    if event.prev_hash is not None:
        expected = legacy_event_hash(secret, event.prev_hash, fields)
    else:
        expected = event_hmac(secret, event.id, fields)
    return hmac.compare_digest(expected, event.row_hash)


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
    return hmac.digest(secret, _encode(content).encode(), "sha256").hex()


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
    # Core, not the ORM's bulk insert, and COPY on PostgreSQL: a caseload's first view
    # appends thousands of events at once.
    connection = executor.connection() if isinstance(executor, Session) else executor
    insert_rows(connection, AuditEvent.__table__, rows)


def categories_text(categories: Iterable[str]) -> str:
    """Categories as an event stores them: sorted, comma-separated."""
    if isinstance(categories, frozenset):
        return _frozen_categories_text(categories)
    return ",".join(sorted(set(categories)))


@functools.lru_cache(maxsize=64)
def _frozen_categories_text(categories: frozenset[str]) -> str:
    # A list screen's thousands of members share a handful of category sets.
    return ",".join(sorted(categories))


def _event_row(*, at, actor_id, actor_role, action, member_id, categories, purpose, screen,
               outcome, detail) -> dict:
    return {
        "at": at, "actor_id": actor_id, "actor_role": actor_role, "action": action,
        "member_id": member_id, "categories": categories_text(categories),
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


def open_visits(session: Session, *, actor_id: int, actor_role: str | None, action: str,
                purpose: str | None, screen: str, detail: str | None,
                at: datetime) -> dict[tuple[int, str], int]:
    """The visits `at` may extend: for each (member id, categories), the id of the newest
    allowed event of this actor, role, action, purpose, screen and detail whose time is
    within VISIT_WINDOW before `at` (never after it: a clock stepped back opens a new
    visit rather than end one before it began).

    One statement whatever the number of members: a range of ix_audit_events_actor_at,
    read in its order (time, then id), so that the newest event of a member and categories
    is the last one read. A window function would pick it in SQL, but costs SQLite a sort
    of the whole visit, several times this read.
    """
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.member_id, AuditEvent.categories)
        .where(AuditEvent.actor_id == actor_id, AuditEvent.at >= at - VISIT_WINDOW,
               AuditEvent.at <= at, AuditEvent.action == action,
               AuditEvent.screen == screen, AuditEvent.outcome == "allowed",
               AuditEvent.member_id.is_not(None),
               AuditEvent.actor_role.is_(None) if actor_role is None
               else AuditEvent.actor_role == actor_role,
               AuditEvent.purpose.is_(None) if purpose is None
               else AuditEvent.purpose == purpose,
               AuditEvent.detail.is_(None) if detail is None
               else AuditEvent.detail == _clean_detail(detail))
        .order_by(AuditEvent.at, AuditEvent.id))
    return {(member_id, categories): event_id for event_id, member_id, categories in rows}


def extend_visits(session: Session, event_ids: Iterable[int], *, at: datetime) -> None:
    """One more run of each of these events' visits, at `at`: the only update of the
    trail, in one statement. It touches `seen_count` and `last_seen_at` alone, outside
    the HMAC; the caller found the events with `open_visits` at the same `at`."""
    ids = sorted(event_ids)
    if not ids:
        return
    session.execute(
        update(AuditEvent).where(among(session, AuditEvent.id, ids))
        .values(seen_count=AuditEvent.seen_count + 1, last_seen_at=at)
        .execution_options(synchronize_session=False))
