"""Verifying the audit trail: every event's HMAC, every batch's Merkle root and the chain of
signed heads (dashboard/audit_seal.py), and, against anchors kept outside the database,
that no end was cut off and no older copy put back.

Each event's visit too: `seen_count` and `last_seen_at` are outside the HMAC (a rerun of a
list screen extends its event, dashboard/audit.py), so they are checked against the
event's own time instead: seen at least once, a last time exactly when seen more than
once, and that last time within the visit's window from the event's time.

What the key alone cannot show: the newest batches deleted together with their events
leave a shorter log that is whole in itself. Anchors show it: `verify-audit --anchor FILE`
writes the newest head to a file outside the database and checks every head written
there before.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.audit import (
    _HASHED_FIELDS,
    GENESIS,
    VISIT_WINDOW,
    _canonical_time,
    _secret_for,
    event_hmac,
    legacy_event_hash,
)
from dashboard.audit_seal import (
    SEAL_EVERY_SECONDS,
    SEALING_DELAY,
    MerkleTree,
    batch_head,
    ids_of,
    legacy_digest,
    parse_ranges,
)
from models import AuditBatch, AuditEvent

# An event still unsealed this long after its time was kept from the sealer: the sealing
# delay, and time for the sealer's rounds.
UNSEALED_LIMIT = SEALING_DELAY + timedelta(seconds=30 * SEAL_EVERY_SECONDS)


@dataclass(frozen=True)
class Head:
    batch: int
    size: int
    root: str | None
    head: str


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    checked: int  # events verified in sealed batches (and the older hash chain)
    unchained: int  # events written before the hash chain existed
    problem_id: int | None = None
    problem: str | None = None
    pending: int = 0  # newer events, their HMAC right, not sealed yet
    batches: int = 0
    newest: Head | None = None


class _Tampered(Exception):
    def __init__(self, event_id: int | None, problem: str):
        super().__init__(problem)
        self.event_id, self.problem = event_id, problem


def _check_batches(secret: bytes, batches: list[AuditBatch]):
    """The chain of signed heads; returns the older chain's row (or None) and the sealed
    batches' id ranges, sorted."""
    legacy, expected_prev, size, intervals = None, GENESIS, 0, []
    for position, batch in enumerate(batches):
        try:
            pairs = parse_ranges(batch.event_ids)
        except ValueError:
            raise _Tampered(batch.first_event_id,
                            f"batch {batch.id} names its events wrongly: it was edited") from None
        if batch.merkle_root is None:
            if position != 0:
                raise _Tampered(batch.first_event_id,
                                f"batch {batch.id} has no Merkle root: it was edited")
            legacy, expected_prev, size = batch, legacy_digest(batch), batch.size
            continue
        count = sum(last - first + 1 for first, last in pairs)
        if batch.prev_head != expected_prev:
            raise _Tampered(batch.first_event_id,
                            f"batch {batch.id} does not follow the batch before it: batches "
                            "were deleted, replaced or edited")
        expected = batch_head(secret, size=batch.size, event_ids=batch.event_ids,
                              merkle_root=batch.merkle_root, prev_head=batch.prev_head,
                              sealed_at=batch.sealed_at)
        if not hmac.compare_digest(batch.head, expected):
            raise _Tampered(batch.first_event_id,
                            f"batch {batch.id} does not match its signed head: it was edited "
                            "or written without the key")
        if (batch.size != size + count or not pairs or batch.first_event_id != pairs[0][0]
                or batch.last_event_id != pairs[-1][1]):
            raise _Tampered(batch.first_event_id,
                            f"batch {batch.id} does not add up: it was edited")
        expected_prev, size = batch.head, batch.size
        intervals.extend((first, last, batch.id) for first, last in pairs)
    intervals.sort()
    for (_f, last, one), (first, _l, other) in zip(intervals, intervals[1:]):
        if first <= last:
            raise _Tampered(first, f"event {first} is in two batches, {one} and {other}")
    return legacy, intervals


def verify_log(session: Session, *, now: datetime,
               unsealed_limit: timedelta | None = UNSEALED_LIMIT,
               secret: bytes | None = None) -> ChainReport:
    """Check the whole trail; report the first event or batch found tampered with.

    `secret`: the audit key, when it is not the session's database's own (a backup copy is
    checked with the key of the database it was copied from). `unsealed_limit=None`: an
    unsealed event with a right HMAC is pending however old (a copy seals nothing)."""
    secret = secret if secret is not None else _secret_for(session)
    batches = list(session.scalars(select(AuditBatch).order_by(AuditBatch.id)))
    signed = [b for b in batches if b.merkle_root is not None]
    newest = (Head(batches[-1].id, batches[-1].size, batches[-1].merkle_root,
                   batches[-1].head) if batches else None)
    counts = {"checked": 0, "unchained": 0, "pending": 0}

    def report(intact: bool, problem_id=None, problem=None) -> ChainReport:
        return ChainReport(intact, counts["checked"], counts["unchained"], problem_id, problem,
                           counts["pending"], len(signed), newest)

    try:
        legacy, intervals = _check_batches(secret, batches)
        _check_events(session, secret, legacy, intervals, signed, counts,
                      overdue=None if unsealed_limit is None else now - unsealed_limit)
    except _Tampered as found:
        return report(False, found.event_id, found.problem)
    return report(True)


def _check_events(session, secret, legacy, intervals, signed, counts, *, overdue):
    trees = {b.id: MerkleTree() for b in signed}
    expected = {b.id: ids_of(parse_ranges(b.event_ids)) for b in signed}
    chained_previous, legacy_open = GENESIS, legacy is not None
    position = 0
    rows = session.execute(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=5000)
    ).scalars()
    for event in rows:
        # Read in the same pass as the HMACs: no statement of its own.
        _check_visit(event)
        if legacy is not None and event.id < legacy.first_event_id:
            counts["unchained"] += 1  # written before the hash chain existed
            continue
        fields = {name: getattr(event, name) for name in _HASHED_FIELDS}
        if legacy_open and event.id <= legacy.last_event_id:
            if event.row_hash is None or event.prev_hash is None:
                raise _Tampered(event.id, "event has no hash: it was inserted outside the "
                                          "application, or its hash removed")
            if legacy_event_hash(secret, event.prev_hash, fields) != event.row_hash:
                raise _Tampered(event.id, "event does not match its hash: it was edited or "
                                          "inserted")
            if event.prev_hash != chained_previous:
                raise _Tampered(event.id, "the event before this one is missing or was "
                                          "replaced")
            chained_previous = event.row_hash
            counts["checked"] += 1
            continue
        if legacy_open:
            _close_legacy(legacy, chained_previous)
            legacy_open = False
        if event.row_hash is None:
            raise _Tampered(event.id, "event has no hash: it was inserted outside the "
                                      "application, or its hash removed")
        if not hmac.compare_digest(event.row_hash, event_hmac(
                secret, event.id, fields, _canonical_time(event.at))):
            raise _Tampered(event.id, "event does not match its HMAC: it was edited, or "
                                      "inserted without the key")
        while position < len(intervals) and intervals[position][1] < event.id:
            position += 1
        if position < len(intervals) and intervals[position][0] <= event.id:
            batch_id = intervals[position][2]
            wanted = next(expected[batch_id])
            if wanted != event.id:
                raise _Tampered(wanted, f"event {wanted} of batch {batch_id} is missing: it "
                                        "was deleted")
            trees[batch_id].add(bytes.fromhex(event.row_hash))
            counts["checked"] += 1
        elif overdue is not None and event.at < overdue:
            raise _Tampered(event.id, f"event {event.id} was never sealed: it was inserted "
                                      "without the key, or kept from the sealer")
        else:
            counts["pending"] += 1
    if legacy_open:
        _close_legacy(legacy, chained_previous)
    for batch in signed:
        missing = next(expected[batch.id], None)
        if missing is not None:
            raise _Tampered(missing, f"event {missing} of batch {batch.id} is missing: it "
                                     "was deleted")
        if trees[batch.id].root() != batch.merkle_root:
            raise _Tampered(batch.first_event_id, f"batch {batch.id}'s Merkle root does not "
                                                  "match its events")


def _check_visit(event: AuditEvent) -> None:
    """The visit an event records adds up: its count and last time, which reruns of a list
    screen update outside the HMAC, agree with each other and with the event's time."""
    count, last = event.seen_count, event.last_seen_at
    if (count is None or count < 1 or (last is None) != (count == 1)
            or (last is not None and not event.at <= last <= event.at + VISIT_WINDOW)):
        seen = "never" if not count else f"{count} time{'s' if count != 1 else ''}"
        until = "" if last is None else f", last at {_canonical_time(last)}Z"
        raise _Tampered(event.id, f"event {event.id}'s visit does not add up (seen {seen}"
                                  f"{until}, from {_canonical_time(event.at)}Z): its count "
                                  "or last time was edited")


def _close_legacy(legacy: AuditBatch, chained_previous: str) -> None:
    if chained_previous != legacy.head:
        raise _Tampered(legacy.last_event_id, "events at the end of the older hash chain "
                                              "were deleted")


# Anchors: one line of JSON per head, in a file outside the database.

class AnchorError(ValueError):
    pass


def read_anchors(path: Path) -> list[dict]:
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchor = json.loads(line)
            anchors.append({"batch": int(anchor["batch"]), "size": int(anchor["size"]),
                            "head": str(anchor["head"]), "at": str(anchor.get("at", ""))})
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"line {number} of {path} is not an anchor") from None
    return anchors


def check_anchors(session: Session, anchors: list[dict]) -> str | None:
    """The first anchor the log no longer holds, in words; None when it holds them all.
    Run after verify_log found the log intact: the chain of heads is then sound."""
    for anchor in anchors:
        if anchor["batch"] == 0:
            continue  # anchored before anything was sealed
        batch = session.get(AuditBatch, anchor["batch"])
        if batch is None:
            return (f"the log ends before the head anchored at {anchor['at']} (batch "
                    f"{anchor['batch']}, {anchor['size']} events): its end was cut off, or "
                    "an older copy put back")
        if batch.head != anchor["head"] or batch.size != anchor["size"]:
            return (f"batch {anchor['batch']} is not the one anchored at {anchor['at']}: the "
                    "log was replaced")
    return None


def append_anchor(path: Path, newest: Head | None, *, now: datetime) -> dict:
    anchor = {"batch": newest.batch if newest else 0, "size": newest.size if newest else 0,
              "root": newest.root if newest else None,
              "head": newest.head if newest else GENESIS, "at": _canonical_time(now) + "Z"}
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(anchor, separators=(",", ":")) + "\n")
        file.flush()
        os.fsync(file.fileno())
    return anchor
