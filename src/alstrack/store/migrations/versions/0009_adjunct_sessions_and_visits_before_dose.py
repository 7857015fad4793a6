"""adjunct sessions and visits before the first dose

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 15:04:47.729550
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import alstrack.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adjunct_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("plan_version_number", sa.Integer(), nullable=True),
        sa.Column("therapy", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("catalogue_version", sa.String(length=80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("of_sessions", sa.Integer(), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_adjunct_sessions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_adjunct_sessions_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["treatment_plans.id"],
            name=op.f("fk_adjunct_sessions_plan_id_treatment_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_adjunct_sessions_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjunct_sessions")),
    )
    with op.batch_alter_table("adjunct_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_adjunct_sessions_patient", ["patient_id", "planned_on"], unique=False
        )

    with op.batch_alter_table("follow_up_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_follow_up_visits_plan_id_treatment_plans"),
            "treatment_plans",
            ["plan_id"],
            ["id"],
        )

    with op.batch_alter_table("treatment_plan_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follow_up_schedule",
                sa.String(length=40),
                server_default="msc-post-dose",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("treatment_plan_versions", schema=None) as batch_op:
        batch_op.drop_column("follow_up_schedule")

    with op.batch_alter_table("follow_up_visits", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_follow_up_visits_plan_id_treatment_plans"), type_="foreignkey"
        )
        batch_op.drop_column("plan_id")

    with op.batch_alter_table("adjunct_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_adjunct_sessions_patient")

    op.drop_table("adjunct_sessions")
