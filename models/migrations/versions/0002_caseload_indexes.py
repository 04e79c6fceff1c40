"""caseload indexes: the latest acknowledgement and weekly review of each member

The counselor's caseload reads, for every client at once, the last time someone reached
out: max(flags.acknowledged_at) and max(weekly_reviews.created_at) per member. With an
index that leads with the member and ends with that time, each is one index seek per
client on SQLite and PostgreSQL alike, however long the client's history; without it,
every flag or review the client ever had is read. (The other caseload reads are served
by indexes of 0001: checkins (member_id, local_date), flags (member_id, status),
step_progress's primary key.)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 08:10:00

"""
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_flags_member_acknowledged", "flags", ["member_id", "acknowledged_at"])
    op.create_index("ix_weekly_reviews_member_created", "weekly_reviews",
                    ["member_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_weekly_reviews_member_created", table_name="weekly_reviews")
    op.drop_index("ix_flags_member_acknowledged", table_name="flags")
