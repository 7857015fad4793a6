"""audit hash chain; audit_log append-only by trigger

Every audit entry gets the hash of the entry before it and its own hash, which covers its
content and id (store/audit_chain.py). The entries already stored are hashed here, in id order, so that an
upgraded database verifies (`alstrack audit verify`). Then triggers refuse UPDATE and DELETE of
audit_log (and TRUNCATE on PostgreSQL) for every database role, the application's included.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 23:27:49.343406
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alstrack.store import audit_chain
from alstrack.store.types import UTCDateTime, json_type

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The entries as this revision knows them (not the models, which later revisions may change).
_AUDIT_LOG = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", UTCDateTime()),
    sa.column("user_id", sa.Integer()),
    sa.column("username", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("patient_id", sa.Integer()),
    sa.column("site_id", sa.Integer()),
    sa.column("old", json_type()),
    sa.column("new", json_type()),
    sa.column("reason", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_PAGE = 5000

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: an audit entry cannot be changed'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: an audit entry cannot be deleted'); END""",
)
_POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
    END
    $$""",
    """CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    _hash_stored_entries()

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)

    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRESQL_TRIGGERS if postgresql else _SQLITE_TRIGGERS:
        op.execute(statement)


def _hash_stored_entries() -> None:
    """Chain the entries already stored, in id order (the order they were written in)."""
    bind = op.get_bind()
    t = _AUDIT_LOG
    content = [t.c[name] for name in audit_chain.CONTENT]
    update = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("entry_id"))
        .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash"))
    )
    prev, last_id = audit_chain.GENESIS, 0
    while True:
        page = bind.execute(
            sa.select(*content).where(t.c.id > last_id).order_by(t.c.id).limit(_PAGE)
        ).mappings()
        params = []
        for entry in page:
            digest = audit_chain.link(prev, audit_chain.canonical(entry))
            params.append({"entry_id": entry["id"], "new_prev": prev, "new_hash": digest})
            prev, last_id = digest, entry["id"]
        if not params:
            return
        bind.execute(update, params)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_update_or_delete ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute("DROP TRIGGER audit_log_no_update")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
