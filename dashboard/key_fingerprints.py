"""Which keys a database was written with: their fingerprints, kept in the database.

A fingerprint is an HMAC-SHA256 of a fixed label under the key: it tells one key from
another and reveals nothing of it (the keys are 256 bits of randomness). The keys
themselves are never in the database. dashboard/key_guard.py compares the keys in use
with these at every start.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from models.entities import KeyFingerprint

AUDIT = "audit"
NOTES = "notes"
_LABEL = b"recovery dashboard key fingerprint, version 1"


def fingerprint(key: bytes) -> str:
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()


def known_fingerprints(connection: Connection, kind: str) -> set[str]:
    return set(connection.execute(
        select(KeyFingerprint.fingerprint).where(KeyFingerprint.kind == kind)).scalars())


def record_fingerprints(connection: Connection, kind: str, keys: Iterable[bytes], *,
                        now: datetime) -> int:
    """Record the fingerprints of `keys` not recorded yet, in the caller's transaction;
    how many were new. Two processes starting together may both try: one of them wins."""
    new = [fingerprint(key) for key in keys]
    new = [value for value in dict.fromkeys(new)
           if value not in known_fingerprints(connection, kind)]
    for value in new:
        try:
            with connection.begin_nested():
                connection.execute(KeyFingerprint.__table__.insert(),
                                   {"kind": kind, "fingerprint": value, "recorded_at": now})
        except IntegrityError:
            pass  # recorded meanwhile by another process
    return len(new)
