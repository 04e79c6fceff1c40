"""journal sharing: each check-in's journal entry is private unless the member shares it

checkins gains journal_shared (boolean, not null, false by default): a journal entry is
read by the people the member shares notes with only when the member marked that entry
shared. Entries written before this revision stay private.

The column is added with ALTER TABLE ... ADD COLUMN on SQLite as on PostgreSQL: the
checkins table is not rebuilt.

Revision ID: 0008
Revises: 0007 (first written on 0005 while 0006 and 0007 were being written)
Create Date: 2026-12-02 15:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("checkins", sa.Column("journal_shared", sa.Boolean(),
                                        server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # SQLite 3.35 and later drop a plain column in place, as PostgreSQL does.
    op.drop_column("checkins", "journal_shared")
