"""electronic signatures bound to a hash of the content they sign

Signatures made before this revision keep no hash (NULL): alstrack shows them as not bound to
their content rather than hash what the record holds today and call that what was signed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 03:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("electronic_signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("electronic_signatures", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
