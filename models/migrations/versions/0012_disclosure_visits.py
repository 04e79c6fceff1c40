"""disclosure visits: a list screen's reruns extend its disclosure events

audit_events gains seen_count (how many runs of the same screen, by the same viewer,
with the same categories, the event stands for; 1 for every event written before) and
last_seen_at (the last of those runs; NULL while there was only one). The event's signed
content (its HMAC) is unchanged: these two columns say how long a visit lasted, not
whether it happened, and `verify-audit` checks that they are consistent.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 00:40:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("seen_count", sa.Integer(), server_default="1",
                                            nullable=False))
    op.add_column("audit_events", sa.Column("last_seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_events", "last_seen_at")
    op.drop_column("audit_events", "seen_count")
