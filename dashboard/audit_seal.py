"""Sealing the audit trail into batches, the way a transparency log (RFC 6962) does.

Appends share no lock (dashboard/audit.py): each event carries its own HMAC. The sealer
takes the events older than the sealing delay that no batch holds yet, in id order, keeps
those whose HMAC is right (an event inserted without the key is never sealed), and
writes one batch: the exact ids it holds, the Merkle root of their HMACs (RFC 6962
hashing), the log's size, and a signed head, an HMAC under the audit key over the size,
the root and the previous batch's head. Only sealers take a lock, one sealer at a time.

Ids can have gaps (on PostgreSQL an id of a rolled back transaction never exists), and a
transaction that took an id and committed after a higher id was sealed leaves an event
below the sealed ones: the sealer looks for such events in the gaps between the batches
sealed since LATE_WINDOW ago (`seal --full` looks everywhere) and seals them in a later batch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, and_, func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from dashboard import clock, write_turns
from dashboard.audit import (
    _HASHED_FIELDS,
    GENESIS,
    _canonical_time,
    _secret_for,
    event_hmac,
)
from models import AuditBatch, AuditEvent
from models.db import EngineChore, make_session_factory

logger = logging.getLogger(__name__)

# Events younger than this are left for the next round: by then the transactions that
# took the ids below them have nearly always ended.
SEALING_DELAY = timedelta(seconds=5)
SEAL_EVERY_SECONDS = 2.0
LATE_WINDOW = timedelta(minutes=15)
MAX_BATCH = 20_000
MAX_GAPS = 500
# Only sealers take it (PostgreSQL advisory lock key: "audi" "seal").
SEALER_LOCK_KEY = 0x61756469_7365616C & 0x7FFF_FFFF_FFFF_FFFF


# RFC 6962 section 2.1: leaves and nodes hashed apart, the tree split at the largest
# power of two below its size.
def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleTree:
    """The Merkle tree hash of RFC 6962 over leaves added one by one, in O(log n) memory."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # perfect subtrees, largest first
        self.size = 0

    def add(self, data: bytes) -> None:
        size, node = 1, _leaf(data)
        while self._stack and self._stack[-1][0] == size:
            node = _node(self._stack.pop()[1], node)
            size *= 2
        self._stack.append((size, node))
        self.size += 1

    def root(self) -> str:
        if not self._stack:
            return hashlib.sha256(b"").hexdigest()
        node = self._stack[-1][1]
        for _size, left in reversed(self._stack[:-1]):
            node = _node(left, node)
        return node.hex()


def merkle_root(leaves: Iterable[bytes]) -> str:
    tree = MerkleTree()
    for leaf in leaves:
        tree.add(leaf)
    return tree.root()


def id_ranges(ids: Iterable[int]) -> str:
    """Ascending ids as ranges: "1-40,42,44-97"."""
    parts: list[str] = []
    start = end = None
    for event_id in ids:
        if end is not None and event_id == end + 1:
            end = event_id
            continue
        if start is not None:
            parts.append(f"{start}-{end}" if end != start else str(start))
        start = end = event_id
    if start is not None:
        parts.append(f"{start}-{end}" if end != start else str(start))
    return ",".join(parts)


def parse_ranges(ranges: str) -> list[tuple[int, int]]:
    """The (first, last) pairs of `id_ranges`; ValueError unless ascending and apart."""
    pairs: list[tuple[int, int]] = []
    for part in filter(None, ranges.split(",")):
        first, _, last = part.partition("-")
        pair = (int(first), int(last or first))
        if pair[0] > pair[1] or (pairs and pair[0] <= pairs[-1][1] + 1):
            raise ValueError(f"ranges out of order: {ranges[:80]}")
        pairs.append(pair)
    return pairs


def ids_of(pairs: list[tuple[int, int]]) -> Iterator[int]:
    for first, last in pairs:
        yield from range(first, last + 1)


def batch_head(secret: bytes, *, size: int, event_ids: str, merkle_root: str,
               prev_head: str, sealed_at: datetime) -> str:
    """The signed head of a batch."""
    content = ["audit-batch-v1", size, event_ids, merkle_root, prev_head,
               _canonical_time(sealed_at)]
    return hmac.new(secret, json.dumps(content, separators=(",", ":")).encode(),
                    hashlib.sha256).hexdigest()


def legacy_digest(batch: AuditBatch) -> str:
    """What the first signed batch names as its previous head when the log starts with the
    end of the older hash chain (migration 0007): every field of that row."""
    content = ["audit-legacy-chain", batch.first_event_id, batch.last_event_id,
               batch.event_ids, batch.size, batch.head]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def successor_of(batch: AuditBatch | None) -> str:
    """The prev_head of the batch after `batch`."""
    if batch is None:
        return GENESIS
    return legacy_digest(batch) if batch.merkle_root is None else batch.head


@dataclass(frozen=True)
class SealResult:
    events: int = 0
    batches: int = 0
    refused: tuple[int, ...] = ()  # events whose HMAC is wrong or missing: never sealed


def _lock_for_sealing(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEALER_LOCK_KEY})
    # SQLite: the transaction holds the database's write lock from its start.


def _candidates(session: Session, *, now: datetime, delay: timedelta,
                full: bool) -> list[AuditEvent]:
    horizon = now - delay
    high = session.execute(select(func.max(AuditBatch.last_event_id))).scalar_one()
    if high is None:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.at < horizon)
                                    .order_by(AuditEvent.id).limit(MAX_BATCH)))
    newer = list(session.scalars(
        select(AuditEvent).where(AuditEvent.id > high, AuditEvent.at < horizon)
        .order_by(AuditEvent.id).limit(MAX_BATCH)))
    # Events that committed late, below ids sealed already: in the gaps between batches
    # above an id taken before the window began (the newest of a batch sealed by then: a
    # transaction that began in the window took its id later), or anywhere when full.
    # Events below the older hash chain's end are never sealed: they predate the chain.
    floor = session.execute(select(AuditBatch.last_event_id)
                            .where(AuditBatch.merkle_root.is_(None))).scalar() or 0
    if not full:
        floor = max(floor, session.execute(
            select(AuditBatch.last_event_id).where(AuditBatch.sealed_at < now - LATE_WINDOW)
            .order_by(AuditBatch.sealed_at.desc(), AuditBatch.id.desc()).limit(1)).scalar() or 0)
    covered = sorted(pair for ranges in session.scalars(
        select(AuditBatch.event_ids).where(AuditBatch.last_event_id > floor))
        for pair in parse_ranges(ranges))
    gaps, previous = [], floor
    for first, last in covered:
        if first > previous + 1:
            gaps.append((previous + 1, first - 1))
        previous = max(previous, last)
    if not gaps:
        return newer
    late = list(session.scalars(
        select(AuditEvent).where(AuditEvent.at < horizon, or_(*(
            and_(AuditEvent.id >= first, AuditEvent.id <= last)
            for first, last in gaps[-MAX_GAPS:]))).order_by(AuditEvent.id)))
    return late + newer


def seal(session: Session, *, now: datetime, delay: timedelta = SEALING_DELAY,
         full: bool = False) -> SealResult:
    """Seal the events due, in one batch, in the caller's transaction (at most MAX_BATCH
    events; `seal_all` goes on until none is left). Idempotent, and safe beside other
    sealers: they take their turn."""
    _lock_for_sealing(session)
    secret = _secret_for(session)
    sealed, refused = [], []
    for event in _candidates(session, now=now, delay=delay, full=full):
        fields = {name: getattr(event, name) for name in _HASHED_FIELDS}
        if event.row_hash is None or not hmac.compare_digest(
                event.row_hash, event_hmac(secret, event.id, fields)):
            refused.append(event.id)
            continue
        sealed.append(event)
    if refused:
        logger.warning("audit events not sealed, their HMAC is wrong or missing: %s",
                       id_ranges(refused)[:200])
    if not sealed:
        return SealResult(refused=tuple(refused))
    sealed.sort(key=lambda e: e.id)
    previous = session.scalars(select(AuditBatch).order_by(AuditBatch.id.desc()).limit(1)).first()
    ranges = id_ranges(e.id for e in sealed)
    root = merkle_root(bytes.fromhex(e.row_hash) for e in sealed)
    size = (previous.size if previous else 0) + len(sealed)
    prev_head = successor_of(previous)
    session.add(AuditBatch(
        first_event_id=sealed[0].id, last_event_id=sealed[-1].id, event_ids=ranges, size=size,
        merkle_root=root, prev_head=prev_head, sealed_at=now,
        head=batch_head(secret, size=size, event_ids=ranges, merkle_root=root,
                        prev_head=prev_head, sealed_at=now)))
    session.flush()
    return SealResult(events=len(sealed), batches=1, refused=tuple(refused))


def seal_all(session_factory: sessionmaker[Session], *, now: datetime,
             delay: timedelta = SEALING_DELAY, full: bool = False) -> SealResult:
    """Seal every event due, a batch per transaction."""
    events = batches = 0
    refused: set[int] = set()
    while True:
        with write_turns.serialized_transaction(session_factory) as session:
            result = seal(session, now=now, delay=delay, full=full)
        events += result.events
        batches += result.batches
        refused.update(result.refused)
        if result.events < MAX_BATCH:
            return SealResult(events, batches, tuple(sorted(refused)))


class AuditSealer(EngineChore):
    """Seals the audit trail from a background thread of the app, every few seconds."""

    thread_name = "audit-sealer"
    failure = "sealing the audit trail failed"

    def __init__(self, engine: Engine, *, every_seconds: float = SEAL_EVERY_SECONDS):
        super().__init__(engine, every_seconds=every_seconds)

    def once(self) -> SealResult:
        return self.seal_now()

    def seal_now(self) -> SealResult:
        engine = self.engine()
        if (engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")
                and not Path(engine.url.database).exists()):
            raise LookupError("the database is gone")
        return seal_all(make_session_factory(engine), now=clock.now())


# The sealers this process started, for `stop_audit_sealers`.
_started: weakref.WeakSet[AuditSealer] = weakref.WeakSet()


def start_audit_sealer(engine: Engine) -> AuditSealer:
    sealer = AuditSealer(engine).start()
    _started.add(sealer)
    return sealer


def stop_audit_sealers() -> None:
    """Stop every sealer of this process: for a tool or a test that ran the app in its own
    process and is done with that database (the app's own sealer lives as long as it)."""
    for sealer in list(_started):
        sealer.stop()
        _started.discard(sealer)
