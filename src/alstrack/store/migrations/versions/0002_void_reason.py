"""void reason apart from correction reason

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 08:14:48.626994
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("body_measurements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("drug_courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("instrument_assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("spirometry_tests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spirometry_tests", schema=None) as batch_op:
        batch_op.drop_column("void_reason")

    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_column("void_reason")

    with op.batch_alter_table("instrument_assessments", schema=None) as batch_op:
        batch_op.drop_column("void_reason")

    with op.batch_alter_table("drug_courses", schema=None) as batch_op:
        batch_op.drop_column("void_reason")

    with op.batch_alter_table("body_measurements", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
