"""What a person typed survives a run that fails, and a restart of the app's process.

A form's values reach the server when its button is pressed. If that run fails before
the form is drawn again (the database is down, so even the login check fails), Streamlit
forgets the values of every widget the run did not draw: the check-in typed over ten
minutes would be gone. So the widgets of such forms carry keys made by `typed_key`, and
at the start of every run, before anything reads the database, `keep_typed_text` copies
their values aside; the next run that draws the form again starts each widget from the
copy (`typed_or`). A run that draws a logged-in person's screen to the end drops it.

When the process itself restarted, the new one knows neither the session nor the form:
pressing Save brings the login screen. The values the browser sent with that press are
still in the run, though, and `keep_typed_text` keeps those of typed fields too: words,
numbers and ticks as they are, choices as the labels picked, which `typed_or` turns back
into values with the field's own labels. Each typed key names the person
who typed (`typed:<user id>:...`), so after the login only that person's own form gets
them back; nobody else is ever shown them.

When the idle limit has passed, the press of a form's button ends the session and brings
the login screen: the values typed and sent with that press stay in the session
(`typed_since_shown`), for that same person's next login in this browser. Another person
logging in there gets a session without them: they are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.runtime.state import get_session_state
from streamlit.runtime.state.common import is_element_id, user_key_from_element_id

from dashboard.web.session import AUTH_KEY

PREFIX = "typed:"
DRAFTS_KEY = "typed_drafts"
# The typed fields' values as the last screen drawn to the end showed them: a value that
# differs in a later run was typed by the person since.
SHOWN_KEY = "typed_shown"
# The kinds of widget value the browser sends: one value, or a list (a slider's numbers,
# the labels of the choices picked in a group of buttons).
_PLAIN_VALUES = ("string_value", "bool_value", "int_value", "double_value")
_LIST_VALUES = ("string_array_value", "double_array_value", "int_array_value")


def _owner() -> int | None:
    return (st.session_state.get(AUTH_KEY) or {}).get("user_id")


def typed_key(name: str) -> str:
    """The widget key of a field whose input must survive a failed run or a restart."""
    return f"{PREFIX}{_owner()}:{name}"


def _owner_of(key: str) -> int | None:
    owner = key[len(PREFIX):].split(":", 1)[0]
    return int(owner) if owner.isdigit() else None


def _sent_before_a_restart() -> dict[str, Any]:
    """Typed fields whose values the browser sent but that this process never drew: the
    form a person filled in before the process restarted. Streamlit has no public way to
    read them; its session state's widget states hold them, undecoded."""
    try:
        sent = get_session_state().get_widget_states()
    except Exception:  # noqa: BLE001 - a Streamlit without it: nothing to keep, no failure
        return {}
    found = {}
    for state in sent:
        key = user_key_from_element_id(state.id) if is_element_id(state.id) else None
        if key is None or not key.startswith(PREFIX) or key in st.session_state:
            continue
        kind = state.WhichOneof("value")
        if kind in _PLAIN_VALUES:
            found[key] = getattr(state, kind)
        elif kind in _LIST_VALUES:
            found[key] = list(getattr(state, kind).data)
    return found


def keep_typed_text() -> None:
    """Copy the values of this session's typed fields aside, before the run can fail."""
    owner = _owner()
    drafts = st.session_state.get(DRAFTS_KEY)
    if owner is None:
        # Values kept from a session that timed out wait for their owner's login as they are.
        restarted = _sent_before_a_restart() if drafts is None else None
        if restarted:
            owners = {_owner_of(key) for key in restarted}
            if len(owners) == 1:
                st.session_state[DRAFTS_KEY] = {"owner": owners.pop(), "values": restarted,
                                                "restarted": True}
        return
    if drafts is None or drafts["owner"] != owner:
        drafts = {"owner": owner, "values": {}, "restarted": False}
    drafts["values"].update(_typed_values_of(owner))
    st.session_state[DRAFTS_KEY] = drafts


def _typed_values_of(owner: int) -> dict[str, Any]:
    return {key: st.session_state[key] for key in list(st.session_state.keys())
            if isinstance(key, str) and key.startswith(PREFIX) and _owner_of(key) == owner}


def typed_since_shown() -> dict[str, Any]:
    """What stays in the session when this run finds it timed out: the logged-in person's
    typed values, when this run brought any they typed since the last screen was drawn (a
    Save pressed after the limit); nothing otherwise, so that a login afterwards does not
    say that typing is back when there was none. Call after `keep_typed_text`."""
    drafts = st.session_state.get(DRAFTS_KEY)
    shown = st.session_state.get(SHOWN_KEY) or {}
    if not drafts or drafts["owner"] != _owner():
        return {}
    unsent = object()
    if all(shown.get(key, unsent) == value for key, value in drafts["values"].items()):
        return {}
    return {DRAFTS_KEY: {**drafts, "given_back": False}}


def kept_from_before_a_restart() -> bool:
    """Whether values typed before the process restarted wait for their owner's login."""
    drafts = st.session_state.get(DRAFTS_KEY)
    return bool(drafts and drafts.get("restarted") and drafts["values"])


def typed_or(key: str, default: Any, *, labels: Mapping[str, Any] | None = None) -> Any:
    """The value a field starts from: what its owner typed before a run failed, when
    Streamlit has forgotten it, otherwise `default`. `labels` maps the labels of a field's
    choices to their values: after a restart the browser sends the labels picked."""
    drafts = st.session_state.get(DRAFTS_KEY)
    if not drafts or key in st.session_state or drafts["owner"] != _owner():
        return default
    if key not in drafts["values"]:
        return default
    value = _as_field_value(drafts["values"][key], default, labels)
    drafts["given_back"] = True
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_field_value(value: Any, default: Any, labels: Mapping[str, Any] | None) -> Any:
    """`value` as the field takes it (the kind of `default`), or `default` if it cannot be
    read back for sure: nothing is guessed."""
    if isinstance(value, list):
        if labels is not None and all(v in labels for v in value):
            picked = [labels[v] for v in value]
        elif labels is not None and all(v in labels.values() for v in value):
            picked = value  # kept within this process: the values themselves
        elif value and all(_is_number(v) for v in value) and _is_number(default):
            return type(default)(value[0])  # a slider's one number
        else:
            return default
        if isinstance(default, list):
            return picked
        return picked[0] if len(picked) == 1 else default
    if default is None or value is None or type(value) is type(default):
        return value
    if labels is not None and value in labels:
        return labels[value]
    # A number comes back from the browser as a float or an int, whatever the field takes.
    if _is_number(default) and _is_number(value):
        return type(default)(value)
    return default


def waiting(key: str) -> bool:
    """Whether typed values wait to come back into the field of `key` (to open what holds
    it, such as a folded step)."""
    drafts = st.session_state.get(DRAFTS_KEY)
    return bool(drafts and drafts["owner"] == _owner() and key not in st.session_state
                and key in drafts["values"])


def given_back() -> bool:
    """Whether this run put typed values back in a form (to say they are not saved yet)."""
    drafts = st.session_state.get(DRAFTS_KEY)
    return bool(drafts and drafts.get("given_back"))


def drop_typed_text() -> None:
    """The screen was drawn to the end: its fields hold their values themselves again."""
    st.session_state.pop(DRAFTS_KEY, None)
    owner = _owner()
    if owner is not None:
        st.session_state[SHOWN_KEY] = _typed_values_of(owner)
