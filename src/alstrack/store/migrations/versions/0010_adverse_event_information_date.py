"""information date of an adverse event correction

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 15:30:44.680024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("information_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.drop_column("information_on")
