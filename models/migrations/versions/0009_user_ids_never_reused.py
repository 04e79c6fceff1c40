"""user ids are never used twice

An account's id is what its audit events keep after the account is deleted. SQLite gives a
new row the highest id in the table plus one, so after the newest account was deleted the
next one got its id, and with it the deleted member's "Who viewed my data" and history.
PostgreSQL's sequence never goes back, but its next value must also lie above every id the
audit trail names.

On SQLite the users table is rebuilt with AUTOINCREMENT, whose counter (sqlite_sequence)
never goes back. A table that others refer to can only be rebuilt with foreign keys off,
which SQLite allows only outside a transaction: the rebuild ends the migration's
transaction, runs in one of its own with the keys off, checks every reference with
PRAGMA foreign_key_check, and starts a new transaction for the rest of the upgrade. It is
idempotent: a table already rebuilt is left as it is. On both databases the counter is set
above the highest id that users or the audit trail hold.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:00:00

"""
import re
from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HIGHEST_ID = """
    SELECT max(id) FROM (
        SELECT max(id) AS id FROM users
        UNION ALL SELECT max(actor_id) FROM audit_events
        UNION ALL SELECT max(member_id) FROM audit_events
    ) AS ids
"""


def _rebuild_sqlite_users(bind) -> None:
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar_one()
    if "AUTOINCREMENT" in sql.upper():
        return
    with_autoincrement = re.sub(r"\bid INTEGER NOT NULL,",
                                "id INTEGER NOT NULL CONSTRAINT pk_users PRIMARY KEY "
                                "AUTOINCREMENT,", sql, count=1)
    with_autoincrement = re.sub(r"\s*CONSTRAINT pk_users PRIMARY KEY \(id\),", "",
                                with_autoincrement, count=1)
    if "AUTOINCREMENT" not in with_autoincrement or "PRIMARY KEY (id)" in with_autoincrement:
        raise RuntimeError("the users table is not as this migration expects; nothing changed")
    others = [row[0] for row in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'users' AND type IN ('index', "
        "'trigger') AND sql IS NOT NULL")]

    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
    # The other tables keep referring to "users" by name, which is the new table's.
    bind.exec_driver_sql("PRAGMA legacy_alter_table = ON")
    try:
        bind.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            bind.exec_driver_sql("ALTER TABLE users RENAME TO users_before_0009")
            bind.exec_driver_sql(with_autoincrement)
            bind.exec_driver_sql("INSERT INTO users SELECT * FROM users_before_0009")
            bind.exec_driver_sql("DROP TABLE users_before_0009")
            for statement in others:
                bind.exec_driver_sql(statement)
            broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"references broken by the rebuild: {broken[:5]}")
        except BaseException:
            bind.exec_driver_sql("ROLLBACK")
            raise
        bind.exec_driver_sql("COMMIT")
    finally:
        bind.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
        bind.exec_driver_sql("PRAGMA foreign_keys = ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite_users(bind)
        highest = bind.exec_driver_sql(HIGHEST_ID).scalar() or 0
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'users'")
        bind.exec_driver_sql(
            f"INSERT INTO sqlite_sequence (name, seq) VALUES ('users', {int(highest)})")
    else:
        highest = bind.exec_driver_sql(HIGHEST_ID).scalar() or 0
        # nextval, not last_value: a sequence that was never used reports 1 either way.
        bind.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), "
            f"greatest({int(highest)}, nextval(pg_get_serial_sequence('users', 'id'))))")


def downgrade() -> None:
    # Ids handed out stay handed out: nothing to undo that would not risk reusing one.
    pass
