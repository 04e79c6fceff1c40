"""The database of the app process: opened once, one transaction per user action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard import write_turns
from dashboard.audit_seal import start_audit_sealer
from dashboard.config import settings
from dashboard.encryption_keys import configure_keys
from dashboard.users import has_any_user
from models.db import (
    make_engine,
    make_session_factory,
    start_wal_checkpointer,
    upgrade_to_head,
)

T = TypeVar("T")


@st.cache_resource(show_spinner="Opening the database...")
def _session_factory(database_url: str) -> sessionmaker[Session]:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    # The notes' keys, once per process (this function is cached): a wrong key stops the
    # start here with a clear error, before any screen reads or writes a note.
    configure_keys(settings=settings(), engine=engine)
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


def run_transaction(action: Callable[[Session], T]) -> T:
    """`action(session)` as one transaction, run again while the database answers busy
    (nothing was written then): for a save a person must not lose to a locked database."""
    return write_turns.run_transaction(_sessions(), action)


@contextmanager
def busy_database_message() -> Iterator[None]:
    """Show a busy database, which retries did not get past, as a message to try again
    rather than an error trace: nothing of the action was written."""
    try:
        yield
    except Exception as error:
        if not write_turns.is_busy(error):
            raise
        st.error("The database is busy right now, so nothing was changed. Please try again "
                 "in a moment.", icon=":material/hourglass_top:")


def needs_first_run() -> bool:
    with transaction() as session:
        return not has_any_user(session=session)
