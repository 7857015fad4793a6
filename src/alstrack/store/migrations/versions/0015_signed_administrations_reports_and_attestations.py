"""signed administrations and expedited reports; users' attestations of their signatures

An administration and an expedited report name their signature (NULL for those recorded before
this revision, which were not signed). ``signature_attestations`` keeps each user's signed
certification that their electronic signatures are legally binding (21 CFR 11.100(c)).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import alstrack.store.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_SIGNED = ("administrations", "safety_reports")


def upgrade() -> None:
    op.create_table(
        "signature_attestations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("attested_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["electronic_signatures.id"],
            name=op.f("fk_signature_attestations_signature_id_electronic_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_signature_attestations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_attestations")),
        sa.UniqueConstraint(
            "user_id", "text_version", name=op.f("uq_signature_attestations_user_id")
        ),
    )
    for table in _SIGNED:
        _add_signature_id(table)


def _add_signature_id(table: str) -> None:
    name = op.f(f"fk_{table}_signature_id_electronic_signatures")
    if op.get_bind().dialect.name == "sqlite":
        # ALTER TABLE … ADD COLUMN … REFERENCES, in place: a batch copy would drop the table,
        # which SQLite refuses while other tables' rows reference it (foreign keys are on).
        column = sa.Column(
            "signature_id",
            sa.Integer(),
            sa.ForeignKey("electronic_signatures.id", name=name),
            nullable=True,
        )
        op.add_column(table, column, inline_references=True)
    else:
        op.add_column(table, sa.Column("signature_id", sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, "electronic_signatures", ["signature_id"], ["id"])


def downgrade() -> None:
    for table in reversed(_SIGNED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if op.get_bind().dialect.name != "sqlite":
                batch_op.drop_constraint(
                    batch_op.f(f"fk_{table}_signature_id_electronic_signatures"),
                    type_="foreignkey",
                )
            batch_op.drop_column("signature_id")
    op.drop_table("signature_attestations")
