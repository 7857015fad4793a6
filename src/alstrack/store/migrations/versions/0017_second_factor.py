"""second factor: a TOTP secret per user, when it was confirmed, the last time step used

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import alstrack.store.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column(
                "totp_enrolled_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enrolled_at")
        batch.drop_column("totp_secret")
