"""`submit`: the one way a screen runs what a person asked for, and tells them how it went.

Every action is one transaction. When a service refuses the input, its messages appear
beside the fields they are about and nothing is written; when it succeeds, the screen
reruns with a short confirmation shown once, at the place where the person acted.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import uuid4

import streamlit as st
from sqlalchemy.orm import Session

from dashboard.errors import NotFound, PermissionDenied, ValidationError
from dashboard.web.database import run_transaction

T = TypeVar("T")
# The confirmation of the last action: (place, message), shown once by `show_flash(place)`.
FLASH_KEY = "flash"
PAGE = "page"  # the place of a confirmation shown at the top of its screen


def submit(work: Callable[[Session], T], *, done: str | Callable[[T], str] | None = None,
           place: Hashable = PAGE, then: Callable[[T], None] | None = None,
           errors: Mapping[str, Any] | None = None, message_slot: Any = None,
           refused: str | None = None, rerun: bool = True,
           idempotent: bool = False) -> T | None:
    """Run `work(session)` as one transaction (again if the database was busy).

    On success: `then(result)` keeps what the next run needs, `done` (or `done(result)`)
    becomes the confirmation shown at `place`, and the screen reruns unless `rerun` is
    False; the result is returned when it does not. On invalid input: each message goes to
    the slot of its field in `errors`, the others to `message_slot` (or the screen), and
    None is returned. When what the action was about is gone or no longer allowed (the
    member stopped sharing, say): `refused`, or the service's own message. An
    `idempotent` action (an upsert) is tried again when the database connection dropped.
    Any other failure of the database goes to the app's one handler (dashboard/web/faults.py)
    with the form still on screen, as typed.
    """
    try:
        result = run_transaction(work, idempotent=idempotent)
    except ValidationError as error:
        show_errors(error, errors=errors, message_slot=message_slot)
        return None
    except (NotFound, PermissionDenied) as error:
        (message_slot or st).warning(refused or str(error), icon=":material/block:")
        return None
    if then is not None:
        then(result)
    if done is not None:
        flash(done(result) if callable(done) else done, place=place)
    if rerun:
        st.rerun()
    return result


# After an action the keyboard's focus goes to what it said: the first refused field's
# message, or the confirmation (WCAG 2.4.3, 3.3.1), not back to the top of the page, where
# a keyboard or screen-reader user would have to look for it. Streamlit cannot move the
# focus; these few lines of the app's own do, once the message is drawn. The message's
# kind is one of the app's constants, never text from a person.
_FOCUS_SCRIPT = """<script>
(() => {{
  // This script's own place on the page: the message is the nearest one above it (an
  // error: the first of the form's, above it; a confirmation: the last above it).
  const mark = "{mark}";
  const before = (a, b) => a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING;
  let tries = 0;
  const focus = () => {{
    const me = [...document.querySelectorAll('[data-testid="stHtml"]')]
      .find(e => e.textContent.includes(mark));
    const above = me ? [...document.querySelectorAll(
      '[data-testid="stMain"] [data-testid="{testid}"]')].filter(m => before(m, me)) : [];
    if (!above.length) {{ if (++tries < 60) setTimeout(focus, 50); return; }}
    const found = {pick};
    const message = found.closest('[data-testid="stAlertContainer"]') || found;
    message.setAttribute('tabindex', '-1');
    message.focus();
  }};
  focus();
}})();
</script>"""
# The message of each kind a focus goes to, among those above: a form's first refusal,
# the last confirmation.
MESSAGE_KINDS = {"error": ("stAlertContentError", "above[0]"),
                 "success": ("stAlertContentSuccess", "above[above.length - 1]")}


def focus_on_message(kind: str) -> None:
    """Move the keyboard's focus to the message of `kind` ("error", "success") just drawn
    above, once it is on the page."""
    testid, pick = MESSAGE_KINDS[kind]
    st.html(_FOCUS_SCRIPT.format(testid=testid, pick=pick, mark=uuid4().hex),
            unsafe_allow_javascript=True)


def show_errors(error: ValidationError, *, errors: Mapping[str, Any] | None = None,
                message_slot: Any = None) -> None:
    """Each message beside its field where the form has a slot for it; when some are beside
    fields, one line at the form says that nothing is saved yet."""
    errors = errors or {}
    beside = [field for field in error.errors if field in errors]
    for field in beside:
        errors[field].error(error.errors[field], icon=":material/edit:")
    others = [message for field, message in error.errors.items() if field not in errors]
    if others and message_slot is not None:
        # A slot holds one element: its messages as one.
        message_slot.error(" ".join(others), icon=":material/edit:")
    for message in others if message_slot is None else ():
        st.error(message, icon=":material/edit:")
    if beside and message_slot is not None and len(beside) == len(error.errors):
        message_slot.warning("This is not saved yet: " + (
            "a field above needs" if len(beside) == 1 else f"{len(beside)} fields above need")
            + " a small change.")
    focus_on_message("error")


def flash(message: str, *, place: Hashable = PAGE) -> None:
    st.session_state[FLASH_KEY] = (place, message)


def flash_waiting(place: Hashable = PAGE) -> bool:
    stored = st.session_state.get(FLASH_KEY)
    return stored is not None and stored[0] == place


def show_flash(place: Hashable = PAGE) -> None:
    """The confirmation of the action just done at `place`, once."""
    if flash_waiting(place):
        st.success(st.session_state.pop(FLASH_KEY)[1], icon=":material/check_circle:")
        focus_on_message("success")


@contextmanager
def flash_for_one_run() -> Iterator[None]:
    """Around a page's run: a confirmation that the run after the action did not show (the
    person went to another screen) is dropped, never shown later out of place."""
    earlier = st.session_state.get(FLASH_KEY)
    yield
    if earlier is not None and st.session_state.get(FLASH_KEY) is earlier:
        del st.session_state[FLASH_KEY]
