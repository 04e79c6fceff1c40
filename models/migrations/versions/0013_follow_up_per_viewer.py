"""follow-up per viewer: each viewer works their own loop of a member's flags, and keeps a
contact log per member

A flag belongs to the member. Until this revision it also carried one follow-up (status,
who acknowledged it and how, who resolved it), so a sponsor's acknowledgement closed the
counselor's alert. Now:

- flag_follow_ups: one viewer's acknowledgement (and resolution) of one flag; a flag
  without a row for a viewer is open for that viewer.
- contact_log: a viewer's dated entries of contact with a member (called, texted, met in
  person, at a meeting, other), with an optional note encrypted like the other notes.
  Acknowledging a flag and reviewing a week each write one.

The existing states move to the viewer who acted: an acknowledgement becomes that
viewer's follow-up and contact entry (the outreach note's token is copied as it is: it
is the same key); a resolution by the same viewer resolves it; a resolution by another
viewer becomes that viewer's own, resolved follow-up, without a contact entry (nothing
says how they reached out). Each weekly review becomes a contact entry of its reviewer,
dated the day it was written, with its note. Flags then lose their follow-up columns.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 01:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METHODS = "('called', 'texted', 'met', 'meeting', 'other')"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        _upgrade()
        return
    # SQLite rebuilds the flags table to drop its columns: dropping the old table with
    # foreign keys on would delete, through ON DELETE CASCADE, the follow-ups just copied.
    # So the whole revision runs in one transaction of its own with foreign keys off, and
    # is checked before it commits.
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
    try:
        bind.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _upgrade()
            broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"references broken by the rebuild: {broken[:5]}")
        except BaseException:
            bind.exec_driver_sql("ROLLBACK")
            raise
        bind.exec_driver_sql("COMMIT")
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys = ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade() -> None:
    op.create_table(
        "contact_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("iso_week", sa.String(8), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_log")),
        sa.ForeignKeyConstraint(["viewer_id"], ["users.id"],
                                name=op.f("fk_contact_log_viewer_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"],
                                name=op.f("fk_contact_log_member_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["flag_id"], ["flags.id"],
                                name=op.f("fk_contact_log_flag_id_flags"), ondelete="SET NULL"),
        sa.CheckConstraint(f"method IN {METHODS}", name=op.f("ck_contact_log_method_known")),
        sa.CheckConstraint("kind IN ('contact', 'flag', 'review')",
                           name=op.f("ck_contact_log_kind_known")),
    )
    op.create_index("ix_contact_log_viewer_member", "contact_log",
                    ["viewer_id", "member_id", "contacted_on"])
    op.create_table(
        "flag_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_follow_ups")),
        sa.ForeignKeyConstraint(["flag_id"], ["flags.id"],
                                name=op.f("fk_flag_follow_ups_flag_id_flags"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["viewer_id"], ["users.id"],
                                name=op.f("fk_flag_follow_ups_viewer_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contact_log.id"],
                                name=op.f("fk_flag_follow_ups_contact_id_contact_log"),
                                ondelete="SET NULL"),
        sa.UniqueConstraint("flag_id", "viewer_id", name="uq_flag_follow_ups_flag_viewer"),
        sa.CheckConstraint("status IN ('acknowledged', 'resolved')",
                           name=op.f("ck_flag_follow_ups_status_known")),
        sa.CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)",
                           name=op.f("ck_flag_follow_ups_resolved_has_time")),
    )
    op.create_index("ix_flag_follow_ups_viewer", "flag_follow_ups", ["viewer_id", "flag_id"])

    # The existing states, to the viewer who acted. SQLite's CAST(... AS DATE) would give
    # the year alone: date() reads its stored text.
    sqlite = op.get_bind().dialect.name == "sqlite"

    def day_of(column: str) -> str:
        return f"date({column})" if sqlite else f"CAST({column} AS DATE)"

    op.execute(f"""
        INSERT INTO contact_log (viewer_id, member_id, contacted_on, method, note, kind,
                                 flag_id, created_at)
        SELECT acknowledged_by_id, member_id, {day_of("acknowledged_at")},
               CASE WHEN outreach_method IN {METHODS} THEN outreach_method ELSE 'other' END,
               outreach_note, 'flag', id, acknowledged_at
        FROM flags
        WHERE acknowledged_by_id IS NOT NULL AND acknowledged_at IS NOT NULL
    """)
    op.execute("""
        INSERT INTO flag_follow_ups (flag_id, viewer_id, status, acknowledged_at, contact_id,
                                     resolved_at)
        SELECT f.id, f.acknowledged_by_id,
               CASE WHEN f.status = 'resolved' AND f.resolved_by_id = f.acknowledged_by_id
                    THEN 'resolved' ELSE 'acknowledged' END,
               f.acknowledged_at, c.id,
               CASE WHEN f.status = 'resolved' AND f.resolved_by_id = f.acknowledged_by_id
                    THEN f.resolved_at END
        FROM flags f
        JOIN contact_log c ON c.flag_id = f.id AND c.viewer_id = f.acknowledged_by_id
                          AND c.kind = 'flag'
        WHERE f.acknowledged_by_id IS NOT NULL AND f.acknowledged_at IS NOT NULL
    """)
    op.execute("""
        INSERT INTO flag_follow_ups (flag_id, viewer_id, status, acknowledged_at, resolved_at)
        SELECT id, resolved_by_id, 'resolved', resolved_at, resolved_at
        FROM flags
        WHERE status = 'resolved' AND resolved_by_id IS NOT NULL AND resolved_at IS NOT NULL
          AND (acknowledged_by_id IS NULL OR resolved_by_id <> acknowledged_by_id)
    """)
    op.execute(f"""
        INSERT INTO contact_log (viewer_id, member_id, contacted_on, method, note, kind,
                                 iso_week, created_at)
        SELECT reviewer_id, member_id, {day_of("created_at")}, 'other', note, 'review',
               iso_week, created_at
        FROM weekly_reviews
    """)

    op.drop_index("ix_flags_member_status", table_name="flags")
    op.drop_index("ix_flags_status_severity", table_name="flags")
    op.drop_index("ix_flags_member_acknowledged", table_name="flags")
    with op.batch_alter_table("flags") as batch:
        for name in ("outreach_known", "acknowledged_before_closed", "resolved_has_time",
                     "status_known"):
            batch.drop_constraint(op.f(f"ck_flags_{name}"), type_="check")
        batch.drop_constraint(op.f("fk_flags_acknowledged_by_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_flags_resolved_by_id_users"), type_="foreignkey")
        for column in ("status", "acknowledged_by_id", "acknowledged_at", "outreach_method",
                       "outreach_note", "resolved_by_id", "resolved_at"):
            batch.drop_column(column)
        batch.create_index("ix_flags_member_raised", ["member_id", "raised_on"])


def downgrade() -> None:
    # Each flag gets back one follow-up: the earliest acknowledgement of any viewer.
    with op.batch_alter_table("flags") as batch:
        batch.drop_index("ix_flags_member_raised")
        batch.add_column(sa.Column("status", sa.String(16), server_default="open",
                                   nullable=False))
        batch.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("outreach_method", sa.String(16), nullable=True))
        batch.add_column(sa.Column("outreach_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
    op.execute("""
        UPDATE flags SET
          status = (SELECT u.status FROM flag_follow_ups u WHERE u.flag_id = flags.id
                    ORDER BY u.acknowledged_at, u.id LIMIT 1),
          acknowledged_by_id = (SELECT u.viewer_id FROM flag_follow_ups u
                                WHERE u.flag_id = flags.id ORDER BY u.acknowledged_at, u.id
                                LIMIT 1),
          acknowledged_at = (SELECT u.acknowledged_at FROM flag_follow_ups u
                             WHERE u.flag_id = flags.id ORDER BY u.acknowledged_at, u.id
                             LIMIT 1),
          resolved_at = (SELECT u.resolved_at FROM flag_follow_ups u WHERE u.flag_id = flags.id
                         ORDER BY u.acknowledged_at, u.id LIMIT 1)
        WHERE EXISTS (SELECT 1 FROM flag_follow_ups u WHERE u.flag_id = flags.id)
    """)
    op.execute("UPDATE flags SET resolved_by_id = acknowledged_by_id "
               "WHERE status = 'resolved'")
    op.execute("""
        UPDATE flags SET
          outreach_method = (SELECT CASE WHEN c.method = 'meeting' THEN 'met' ELSE c.method END
                             FROM flag_follow_ups u JOIN contact_log c ON c.id = u.contact_id
                             WHERE u.flag_id = flags.id AND u.viewer_id = flags.acknowledged_by_id),
          outreach_note = (SELECT c.note FROM flag_follow_ups u
                           JOIN contact_log c ON c.id = u.contact_id
                           WHERE u.flag_id = flags.id AND u.viewer_id = flags.acknowledged_by_id)
        WHERE acknowledged_by_id IS NOT NULL
    """)
    with op.batch_alter_table("flags") as batch:
        batch.create_foreign_key(op.f("fk_flags_acknowledged_by_id_users"), "users",
                                 ["acknowledged_by_id"], ["id"], ondelete="SET NULL")
        batch.create_foreign_key(op.f("fk_flags_resolved_by_id_users"), "users",
                                 ["resolved_by_id"], ["id"], ondelete="SET NULL")
        batch.create_check_constraint(
            op.f("ck_flags_status_known"), "status IN ('open', 'acknowledged', 'resolved')")
        batch.create_check_constraint(
            op.f("ck_flags_outreach_known"),
            "outreach_method IS NULL OR outreach_method IN ('called', 'texted', 'met', 'other')")
        batch.create_check_constraint(op.f("ck_flags_acknowledged_before_closed"),
                                      "status = 'open' OR acknowledged_at IS NOT NULL")
        batch.create_check_constraint(op.f("ck_flags_resolved_has_time"),
                                      "(status = 'resolved') = (resolved_at IS NOT NULL)")
    op.create_index("ix_flags_member_status", "flags", ["member_id", "status"])
    op.create_index("ix_flags_status_severity", "flags", ["status", "severity"])
    op.create_index("ix_flags_member_acknowledged", "flags", ["member_id", "acknowledged_at"])
    op.drop_index("ix_flag_follow_ups_viewer", table_name="flag_follow_ups")
    op.drop_table("flag_follow_ups")
    op.drop_index("ix_contact_log_viewer_member", table_name="contact_log")
    op.drop_table("contact_log")
