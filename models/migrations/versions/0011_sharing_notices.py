"""sharing notice dismissals: the notices of sharing changes a viewer has put away

A sponsor or counselor is told on their screens when a member starts, changes or stops
sharing with them, and when a consent is about to end (dashboard/sharing_notices.py). The
notices are derived from the consents; this table keeps only which of them the viewer
dismissed: one row per viewer, consent and kind of notice.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_notice_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_notice_dismissals")),
        sa.ForeignKeyConstraint(["viewer_id"], ["users.id"],
                                name=op.f("fk_sharing_notice_dismissals_viewer_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"],
                                name=op.f("fk_sharing_notice_dismissals_consent_id_consents"),
                                ondelete="CASCADE"),
        sa.UniqueConstraint("viewer_id", "consent_id", "kind",
                            name=op.f("uq_sharing_notice_dismissals_viewer_id")),
        sa.CheckConstraint("kind IN ('started', 'changed', 'stopped', 'ending')",
                           name=op.f("ck_sharing_notice_dismissals_kind_known")),
    )


def downgrade() -> None:
    op.drop_table("sharing_notice_dismissals")
