"""The database of the app process: opened once, one transaction per user action."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard import clock, write_turns
from dashboard.audit_seal import start_audit_sealer
from dashboard.config import settings
from dashboard.faults import is_disconnect
from dashboard.key_guard import open_keys
from dashboard.sqlite_owner import claim_database
from dashboard.users import has_any_user
from models.db import (
    make_engine,
    make_session_factory,
    start_wal_checkpointer,
    upgrade_to_head,
)

T = TypeVar("T")
logger = logging.getLogger(__name__)


# Shown to everyone while the process opens its database: on the first start after an
# upgrade from a version without encrypted notes, that includes encrypting them.
OPENING = ("Opening the database... The first start after an upgrade may also encrypt older "
           "notes, which takes a minute or two on a large database.")


def _log_progress(done: int, total: int) -> None:
    logger.warning("Encrypting notes stored unencrypted: %d of %d values checked", done, total)


@st.cache_resource(show_spinner=OPENING)
def _session_factory(database_url: str) -> sessionmaker[Session]:
    engine = make_engine(database_url)
    claim_database(database_url=database_url)  # one app process per SQLite file
    upgrade_to_head(engine)
    # The audit key and the notes' keys, once per process (this function is cached): a
    # missing or wrong key stops the start here with a clear message, before any screen
    # reads a note or writes an event.
    open_keys(settings=settings(), engine=engine, now=clock.now(), progress=_log_progress)
    start_wal_checkpointer(engine)
    # Seals the audit events into signed batches every few seconds; appends never wait on it.
    start_audit_sealer(engine)
    return make_session_factory(engine)


def _sessions() -> sessionmaker[Session]:
    return _session_factory(settings().database_url)


def engine() -> Engine:
    return _sessions().kw["bind"]


@contextmanager
def transaction() -> Iterator[Session]:
    """A read, or one user action: committed when the block ends, rolled back on error.

    On SQLite the process's transactions take their turn first come, first served
    (dashboard/write_turns.py), so that no browser session waits behind others
    indefinitely.
    """
    with write_turns.serialized_transaction(_sessions()) as session:
        yield session


def run_transaction(action: Callable[[Session], T], *, idempotent: bool = False) -> T:
    """`action(session)` as one transaction, run again while the database answers busy
    (nothing was written then): for a save a person must not lose to a locked database.
    An `idempotent` action (an upsert: running it twice leaves what running it once does)
    is run again too when the connection dropped, as when PostgreSQL restarts."""
    return write_turns.run_transaction(_sessions(), action,
                                       also_retry=is_disconnect if idempotent else None)


def needs_first_run() -> bool:
    with transaction() as session:
        return not has_any_user(session=session)
