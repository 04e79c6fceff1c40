"""audit trail as a transparency log: sealed batches instead of one locked chain head

Events are appended without a shared lock, each with its own HMAC; a sealer later seals
them into audit_batches (a Merkle root and a signed head each; dashboard/audit_seal.py).
The single-row audit_chain_head, which every append locked, is dropped.

Events of the older hash chain stay verifiable as they are: this migration records the
end of that chain as the first batch row, with no Merkle root (it has no key to compute
one). Its event_ids are the chained events, first_event_id to last_event_id, whose chain
starts at the all-zero hash and must end at its head; events before first_event_id
predate the chain (they have no hash). The first batch the sealer signs binds this row.

Revision ID: 0007
Revises: 0006 (written beside 0006, from 0005; the two joined in one chain)
Create Date: 2026-12-02

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    batches = op.create_table(
        "audit_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("event_ids", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("merkle_root", sa.String(length=64), nullable=True),
        sa.Column("prev_head", sa.String(length=64), nullable=True),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_batches")),
        sa.UniqueConstraint("prev_head", name="uq_audit_batches_prev_head"),
    )
    op.create_index("ix_audit_batches_sealed_at", "audit_batches", ["sealed_at"])
    op.create_index("ix_audit_batches_last_event_id", "audit_batches", ["last_event_id"])

    bind = op.get_bind()
    events = sa.table("audit_events", sa.column("id", sa.Integer()),
                      sa.column("at", sa.DateTime()))
    last_id, last_at = bind.execute(
        sa.select(sa.func.max(events.c.id), sa.func.max(events.c.at))).one()
    if last_id is not None:
        head = bind.execute(sa.text(
            "SELECT last_hash FROM audit_chain_head WHERE id = 1")).scalar_one_or_none()
        first_chained = bind.execute(sa.text(
            "SELECT min(id) FROM audit_events WHERE row_hash IS NOT NULL")).scalar_one()
        first = first_chained if first_chained is not None else last_id + 1
        size = bind.execute(sa.text("SELECT count(*) FROM audit_events WHERE id >= :first"),
                            {"first": first}).scalar_one()
        op.bulk_insert(batches, [{
            "id": 1, "first_event_id": first, "last_event_id": last_id,
            "event_ids": f"{first}-{last_id}" if first <= last_id else "", "size": size,
            "merkle_root": None, "prev_head": None, "head": head or GENESIS,
            "sealed_at": last_at,
        }])
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('audit_batches', 'id'), 1)"))
    op.drop_table("audit_chain_head")


def downgrade() -> None:
    """The chain head row again, at the end of the older chain. Events sealed in batches
    since verify only at 0007."""
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    legacy = op.get_bind().execute(sa.text(
        "SELECT last_event_id, head FROM audit_batches WHERE merkle_root IS NULL")).first()
    op.bulk_insert(head, [{"id": 1, "last_id": legacy[0] if legacy else None,
                           "last_hash": legacy[1] if legacy else GENESIS}])
    op.drop_index("ix_audit_batches_last_event_id", table_name="audit_batches")
    op.drop_index("ix_audit_batches_sealed_at", table_name="audit_batches")
    op.drop_table("audit_batches")
