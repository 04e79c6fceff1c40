"""A column among many ids (a caseload's thousands), in the form each database handles best."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session


def among(session: Session, column, ids: Iterable[int], *, name: str = "ids"):
    """`column IN ids`, with the ids as one parameter: thousands of placeholders cost
    milliseconds to render and parse on every run. On PostgreSQL an array, `column =
    ANY(:ids)`, whose length the planner estimates as well as a list's; on SQLite a JSON
    array read by json_each."""
    ids = sorted(set(ids))
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, ids, type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value"))
                      .select_from(func.json_each(bindparam(name, json.dumps(ids), type_=String))))
