"""account resets: an administrator's reset of a password or a second factor

account_resets keeps each reset: whose account, which kind (password or two_factor), who
reset it (by id and by name) and when. A password reset carries a single-use code as an
argon2id hash, with its expiry and when it was used; every reset carries when the person
was told of it at their next login. Rows go with their account.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reset_by_id", sa.Integer(), nullable=True),
        sa.Column("reset_by_name", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('password', 'two_factor')",
                           name=op.f("ck_account_resets_kind_known")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_account_resets_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reset_by_id"], ["users.id"],
                                name=op.f("fk_account_resets_reset_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_resets")),
    )
    op.create_index("ix_account_resets_user", "account_resets", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_account_resets_user", table_name="account_resets")
    op.drop_table("account_resets")
