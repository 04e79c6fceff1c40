"""audit visit room: on PostgreSQL, audit event pages keep room for a visit's reruns

A list screen's rerun extends its visit's events (migration 0012): one UPDATE of
seen_count and last_seen_at for every member shown, 2,000 rows for a large caseload. On
pages filled to the brim each updated row moves to another page and gets new entries in
all four indexes of the table; with 30 % of each new page left free, PostgreSQL updates
it in place (a HOT update, as no index holds those columns). Measured on the benchmark's
caseload: the update went from 35 to 7 ms. Existing pages are not rewritten. SQLite has no
such setting: nothing to do there.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 02:00:00

"""
from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = 70


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE audit_events SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events RESET (fillfactor)")
