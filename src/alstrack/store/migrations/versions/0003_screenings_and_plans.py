"""pretreatment evaluations, rule set versions, screenings, reviews, signatures, plans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:28:31.950157
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import alstrack.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_set_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ruleset_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("accepted_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_versions")),
        sa.UniqueConstraint("sha256", name=op.f("uq_rule_set_versions_sha256")),
        sa.UniqueConstraint("ruleset_id", "version", name=op.f("uq_rule_set_versions_ruleset_id")),
    )
    with op.batch_alter_table("rule_set_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_set_versions_ruleset_id"), ["ruleset_id"], unique=False
        )

    op.create_table(
        "electronic_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("meaning", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("signed_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_electronic_signatures_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_electronic_signatures")),
    )
    with op.batch_alter_table("electronic_signatures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_electronic_signatures_entity", ["entity", "entity_id"], unique=False
        )

    op.create_table(
        "pretreatment_evaluations",
        sa.Column(
            "observations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("entered_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["users.id"], name=op.f("fk_pretreatment_evaluations_entered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_pretreatment_evaluations_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pretreatment_evaluations")),
    )
    with op.batch_alter_table("pretreatment_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pretreatment_evaluations_patient_status", ["patient_id", "status"], unique=False
        )

    op.create_table(
        "treatment_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_treatment_plans_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_treatment_plans_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_plans")),
    )
    with op.batch_alter_table("treatment_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_plans_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("rule_set_version_id", sa.Integer(), nullable=False),
        sa.Column("ruleset_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_version", sa.String(length=40), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("as_of", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column(
            "inputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "criteria",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("screened_by", sa.Integer(), nullable=False),
        sa.Column("screened_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_screenings_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_version_id"],
            ["rule_set_versions.id"],
            name=op.f("fk_screenings_rule_set_version_id_rule_set_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["screened_by"], ["users.id"], name=op.f("fk_screenings_screened_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.create_index("ix_screenings_patient", ["patient_id", "id"], unique=False)

    op.create_table(
        "screening_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_screening_reviews_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_screening_reviews_screening_id_screenings"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["electronic_signatures.id"],
            name=op.f("fk_screening_reviews_signature_id_electronic_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_reviews")),
        sa.UniqueConstraint(
            "screening_id", "criterion_id", name=op.f("uq_screening_reviews_screening_id")
        ),
    )
    with op.batch_alter_table("screening_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_reviews_screening_id"), ["screening_id"], unique=False
        )

    op.create_table(
        "treatment_plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("cell_source", sa.String(length=40), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("dose_basis", sa.String(length=8), nullable=False),
        sa.Column("cells_per_kg", sa.Float(), nullable=True),
        sa.Column("fixed_cells", sa.Float(), nullable=True),
        sa.Column("administrations", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=True),
        sa.Column(
            "adjunct_therapies",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("weight_measured_on", sa.Date(), nullable=True),
        sa.Column("weight_measurement_id", sa.Integer(), nullable=True),
        sa.Column("dose_cells", sa.Float(), nullable=True),
        sa.Column("endotoxin_k_eu_per_kg", sa.Float(), nullable=False),
        sa.Column("endotoxin_limit_eu", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approval_signature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approval_signature_id"],
            ["electronic_signatures.id"],
            name=op.f("fk_treatment_plan_versions_approval_signature_id_electronic_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_treatment_plan_versions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["treatment_plans.id"],
            name=op.f("fk_treatment_plan_versions_plan_id_treatment_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_treatment_plan_versions_screening_id_screenings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_plan_versions")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_treatment_plan_versions_plan_id")),
    )
    op.create_table(
        "collection_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("tissue", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ordered_by", sa.Integer(), nullable=False),
        sa.Column("ordered_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ordered_by"], ["users.id"], name=op.f("fk_collection_orders_ordered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_collection_orders_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["treatment_plans.id"],
            name=op.f("fk_collection_orders_plan_id_treatment_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["treatment_plan_versions.id"],
            name=op.f("fk_collection_orders_plan_version_id_treatment_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_orders")),
    )
    with op.batch_alter_table("collection_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_orders_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("collection_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_orders_patient_id"))

    op.drop_table("collection_orders")
    op.drop_table("treatment_plan_versions")
    with op.batch_alter_table("screening_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_reviews_screening_id"))

    op.drop_table("screening_reviews")
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.drop_index("ix_screenings_patient")

    op.drop_table("screenings")
    with op.batch_alter_table("treatment_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_plans_patient_id"))

    op.drop_table("treatment_plans")
    with op.batch_alter_table("pretreatment_evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_pretreatment_evaluations_patient_status")

    op.drop_table("pretreatment_evaluations")
    with op.batch_alter_table("electronic_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_electronic_signatures_entity")

    op.drop_table("electronic_signatures")
    with op.batch_alter_table("rule_set_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_set_versions_ruleset_id"))

    op.drop_table("rule_set_versions")
