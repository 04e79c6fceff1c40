"""two-factor login: the TOTP secret and state of each account, and recovery codes

users gains three nullable columns, empty until the person sets up two-factor login:
totp_secret (the shared secret of RFC 6238, kept as a Fernet token by the model's
EncryptedText, so the column is plain TEXT), totp_enrolled_at (when it was confirmed with
a first code) and totp_last_step (the last 30-second time step accepted; a code of that
step or an older one is refused, so no code works twice). recovery_codes holds the
single-use recovery codes, as argon2id hashes only, deleted with their account.

Columns are added with ALTER TABLE ... ADD COLUMN on SQLite as on PostgreSQL: the users
table is never rebuilt (a rebuild on SQLite would drop a table that others refer to).

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-27 09:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("totp_enrolled_at", sa.DateTime(), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_recovery_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index("ix_recovery_codes_user", "recovery_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_recovery_codes_user", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    # SQLite 3.35 and later drop a plain column in place, as PostgreSQL does.
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "totp_enrolled_at")
    op.drop_column("users", "totp_secret")
