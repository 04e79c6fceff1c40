"""The query plans of the statements a screen sends (`--explain`), and the full scans in them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine


@dataclass(frozen=True)
class QueryPlan:
    figure: str
    statement: str  # shortened: a long IN list reads as "?, ..."
    plan: tuple[str, ...]


def _shorten(statement: str) -> str:
    one_line = " ".join(statement.split())
    # An expanded IN list of a whole caseload is thousands of placeholders long.
    return re.sub(r"((?:\?|%\(\w+\)s|\$\d+)(?:, ?)){3,}(?:\?|%\(\w+\)s|\$\d+)", r"\1...",
                  one_line)


def explain(engine: Engine, statements: Sequence[tuple[str, object]], *, figure: str,
            prefer_indexes: bool = False) -> list[QueryPlan]:
    """The query plan of every SELECT among the recorded statements.

    `prefer_indexes` turns PostgreSQL's sequential scans off for the plan, so that on a
    tiny test database the plan shows whether an index *can* serve the query (on a few
    rows the planner rightly prefers reading the whole table).
    """
    plans = []
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if prefer_indexes and not sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if sqlite:
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                  parameters).all()
                lines = tuple(row[-1] for row in rows)
            else:
                rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                lines = tuple(row[0] for row in rows)
            plans.append(QueryPlan(figure=figure, statement=_shorten(statement), plan=lines))
        connection.rollback()
    return plans


_FULL_SCAN = {
    "sqlite": re.compile(r"^\s*SCAN (\w+)"),
    "postgresql": re.compile(r"Seq Scan on (\w+)"),
}


def full_scans(plans: Sequence[QueryPlan], *, dialect: str,
               tables: Sequence[str] = ("checkins", "flags", "audit_events", "consents",
                                        "weekly_reviews", "step_progress")) -> list[str]:
    """Plan lines that read a whole large table (or a whole index of it) instead of a range."""
    pattern = _FULL_SCAN[dialect]
    found = []
    for plan in plans:
        for line in plan.plan:
            match = pattern.search(line)
            if match and match.group(1) in tables:
                found.append(f"{plan.figure}: {line.strip()} in {plan.statement[:120]}")
    return found
