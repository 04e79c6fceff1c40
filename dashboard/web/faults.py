"""One handler for every database and configuration failure on a screen.

A database that is down, a full disk, a key that does not match: none of it is the
person's doing, and none of it may reach them as Streamlit's exception box with a stack
trace and "Ask Google" links. `told_plainly` catches such failures (dashboard/faults.py
decides which), shows what happened, that nothing was changed and what to do, with the
administrator's step beside it, and logs the details for the operator. Anything else (a
bug) still fails loudly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from dashboard import clock
from dashboard.config import ConfigError, settings
from dashboard.faults import Fault, fault_of
from dashboard.key_guard import missing_key_files

logger = logging.getLogger(__name__)
RETRYABLE = {"busy", "disk_full", "database_unreachable"}
ICONS = {"busy": ":material/hourglass_top:", "disk_full": ":material/hard_drive:",
         "database_unreachable": ":material/cloud_off:"}


@dataclass
class Outcome:
    fault: Fault | None = None


def _database_url() -> str | None:
    try:
        return settings().database_url
    except ConfigError:
        return None


def show_fault(fault: Fault, slot=None) -> None:
    place = slot if slot is not None else st
    with place.container():
        st.error(fault.for_everyone, icon=ICONS.get(fault.kind, ":material/error:"))
        st.caption(f"For an administrator: {fault.admin_to_do}")
        if fault.kind in RETRYABLE:
            # A rerun draws the screen again, with what was typed (dashboard/web/drafts.py).
            st.button("Try again", icon=":material/refresh:", key="fault_try_again")


@contextmanager
def told_plainly(slot=None) -> Iterator[Outcome]:
    """Run the block; a database or configuration failure in it is shown in `slot` (or
    where the screen is) as a plain message, and the block's outcome holds it."""
    outcome = Outcome()
    try:
        yield outcome
    except Exception as error:
        fault = fault_of(error, database_url=_database_url())
        if fault is None:
            raise
        outcome.fault = fault
        _log(fault, error)
        show_fault(fault, slot)


# While the database is down every run of every browser fails the same way: the details
# once, then a line at most every few minutes.
_REPEAT_LOG_SECONDS = 300.0
_last_logged: dict[str, float] = {}


def _log(fault: Fault, error: Exception) -> None:
    now = clock.elapsed_seconds()
    first = fault.kind not in _last_logged
    if not first and now - _last_logged[fault.kind] < _REPEAT_LOG_SECONDS:
        return
    _last_logged[fault.kind] = now
    # Parameters are never in the message (hide_parameters): no note text in the log.
    logger.error("%s (%s)", fault.what, type(error).__name__, exc_info=error if first else None)


def warn_of_missing_key_files(actor) -> None:
    """For an administrator: a key file that disappeared while the dashboard runs. The
    dashboard goes on with the keys it holds, but would not start again without them."""
    gone = missing_key_files()
    if gone and actor.has_role("admin"):
        files = "; ".join(f"the {what} file {path}" for path, what in gone)
        st.warning(f"A key file has disappeared from the server: {files}. The dashboard "
                   "goes on with its copy in memory, but will not start again without the "
                   "file: put it back from where you keep its copy now.",
                   icon=":material/key_off:")
