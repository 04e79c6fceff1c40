"""A column among many ids (a caseload's thousands), in the form each database handles best."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ARRAY, Integer, any_, bindparam
from sqlalchemy.orm import Session


def among(session: Session, column, ids: Iterable[int], *, name: str = "ids"):
    """`column IN ids`. On PostgreSQL one array parameter, `column = ANY(:ids)`: thousands of
    placeholders cost the driver milliseconds to parse, and the planner estimates the
    array's length as well as a list. SQLite takes the plain list."""
    ids = sorted(set(ids))
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, ids, type_=ARRAY(Integer)))
    return column.in_(ids)
