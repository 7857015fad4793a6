"""cell products: donors, donor tests, products, product events, test results, deviations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 11:15:50.390568
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import alstrack.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "donors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("recovered_on", sa.Date(), nullable=False),
        sa.Column("age_at_recovery_days", sa.Integer(), nullable=True),
        sa.Column("eligibility", sa.String(length=16), nullable=False),
        sa.Column("determined_by", sa.Integer(), nullable=True),
        sa.Column("determined_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_donors_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["determined_by"], ["users.id"], name=op.f("fk_donors_determined_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
        sa.UniqueConstraint("code", name=op.f("uq_donors_code")),
    )
    op.create_table(
        "donor_tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("test", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("specimen_days_from_recovery", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("entered_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_donor_tests_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["users.id"], name=op.f("fk_donor_tests_entered_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_tests")),
    )
    with op.batch_alter_table("donor_tests", schema=None) as batch_op:
        batch_op.create_index("ix_donor_tests_donor", ["donor_id", "test"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("din", sa.String(length=13), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cell_source", sa.String(length=40), nullable=False),
        sa.Column("specification_version", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("collection_order_id", sa.Integer(), nullable=True),
        sa.Column("vials", sa.Integer(), nullable=True),
        sa.Column("viable_cells_per_vial", sa.Float(), nullable=True),
        sa.Column("storage_location", sa.String(length=200), nullable=True),
        sa.Column("expires_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_order_id"],
            ["collection_orders.id"],
            name=op.f("fk_products_collection_order_id_collection_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_products_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_products_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_products_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("din", name=op.f("uq_products_din")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_patient", ["patient_id"], unique=False)

    op.create_table(
        "deviations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disposition", sa.String(length=24), nullable=True),
        sa.Column("disposition_reason", sa.Text(), nullable=True),
        sa.Column("disposed_by", sa.Integer(), nullable=True),
        sa.Column("disposed_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disposed_by"], ["users.id"], name=op.f("fk_deviations_disposed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_deviations_opened_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_deviations_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["electronic_signatures.id"],
            name=op.f("fk_deviations_signature_id_electronic_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviations")),
    )
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.create_index("ix_deviations_product", ["product_id", "status"], unique=False)

    op.create_table(
        "product_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=False),
        sa.Column("from_location", sa.String(length=200), nullable=True),
        sa.Column("to_location", sa.String(length=200), nullable=True),
        sa.Column("condition", sa.String(length=200), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user"], ["users.id"], name=op.f("fk_product_events_by_user_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_events_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["electronic_signatures.id"],
            name=op.f("fk_product_events_signature_id_electronic_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_events")),
    )
    with op.batch_alter_table("product_events", schema=None) as batch_op:
        batch_op.create_index("ix_product_events_product", ["product_id", "id"], unique=False)

    op.create_table(
        "product_test_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("test", sa.String(length=40), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("entered_at", alstrack.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["users.id"], name=op.f("fk_product_test_results_entered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_test_results_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_test_results")),
    )
    with op.batch_alter_table("product_test_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_test_results_product", ["product_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("product_test_results", schema=None) as batch_op:
        batch_op.drop_index("ix_product_test_results_product")

    op.drop_table("product_test_results")
    with op.batch_alter_table("product_events", schema=None) as batch_op:
        batch_op.drop_index("ix_product_events_product")

    op.drop_table("product_events")
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.drop_index("ix_deviations_product")

    op.drop_table("deviations")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_patient")

    op.drop_table("products")
    with op.batch_alter_table("donor_tests", schema=None) as batch_op:
        batch_op.drop_index("ix_donor_tests_donor")

    op.drop_table("donor_tests")
    op.drop_table("donors")
