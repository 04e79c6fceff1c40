"""key fingerprints: which keys this database's audit trail and notes were written with

key_fingerprints holds, for the audit key ("audit") and for each key of the notes
encrypted at rest ("notes"), an HMAC of a fixed label under the key: it identifies the key
without revealing it. The dashboard refuses to start with a key whose fingerprint is not
here (a swapped or re-created key file), and records a key's fingerprint when it first
uses it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_fingerprints")),
        sa.UniqueConstraint("kind", "fingerprint", name=op.f("uq_key_fingerprints_kind")),
        sa.CheckConstraint("kind IN ('audit', 'notes')", name=op.f("ck_key_fingerprints_kind_known")),
    )


def downgrade() -> None:
    op.drop_table("key_fingerprints")
