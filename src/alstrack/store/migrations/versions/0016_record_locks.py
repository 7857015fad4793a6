"""record locks: a patient's record locked once reviewed, unlocked with a reason, both signed

``record_locks`` keeps every lock of a patient's record (never deleted: unlocking closes it),
with the digest of the record as locked and both signatures; a partial unique index allows one
open lock per patient.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import alstrack.store.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_OPEN = sa.text("unlocked_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "record_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("locked_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("lock_signature_id", sa.Integer(), nullable=True),
        sa.Column("unlocked_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by", sa.Integer(), nullable=True),
        sa.Column("unlock_reason", sa.Text(), nullable=True),
        sa.Column("unlock_signature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lock_signature_id"],
            ["electronic_signatures.id"],
            name=op.f("fk_record_locks_lock_signature_id_electronic_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["locked_by"], ["users.id"], name=op.f("fk_record_locks_locked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_record_locks_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["unlock_signature_id"],
            ["electronic_signatures.id"],
            name=op.f("fk_record_locks_unlock_signature_id_electronic_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["unlocked_by"], ["users.id"], name=op.f("fk_record_locks_unlocked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_locks")),
    )
    with op.batch_alter_table("record_locks", schema=None) as batch_op:
        batch_op.create_index("ix_record_locks_patient", ["patient_id", "id"], unique=False)
        batch_op.create_index(
            "uq_record_locks_open",
            ["patient_id"],
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("record_locks", schema=None) as batch_op:
        batch_op.drop_index("uq_record_locks_open")
        batch_op.drop_index("ix_record_locks_patient")
    op.drop_table("record_locks")
