"""environment: pollution outlets and limits, permits, solid waste ledger, hazardous waste manifests

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

Online-monitored discharge outlets and their factors (each linked to a telemetry point), permitted annual
quantities, exceedance records, the monthly general industrial solid waste ledger, hazardous waste batches in
storage and their transfer manifests.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "env_hazardous_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("waste_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity_t", sa.Float(), nullable=False),
        sa.Column("stored_on", sa.Date(), nullable=False),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_env_hazardous_batch_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_env_hazardous_batch_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_hazardous_batch")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_env_hazardous_batch_park_id_code")),
    )
    with op.batch_alter_table("env_hazardous_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_hazardous_batch_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_hazardous_batch_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_hazardous_batch_stored_on"), ["stored_on"], unique=False)

    op.create_table(
        "env_outlet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("medium", sa.String(length=10), nullable=False),
        sa.Column("standard", sa.String(length=60), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_env_outlet_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_env_outlet_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_outlet")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_env_outlet_park_id_code")),
    )
    with op.batch_alter_table("env_outlet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_outlet_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_outlet_park_id"), ["park_id"], unique=False)

    op.create_table(
        "env_permit_quota",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("permit_no", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(length=20), nullable=False),
        sa.Column("annual_t", sa.Float(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_env_permit_quota_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_env_permit_quota_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_permit_quota")),
        sa.UniqueConstraint(
            "enterprise_id", "year", "factor", name=op.f("uq_env_permit_quota_enterprise_id_year_factor")
        ),
    )
    with op.batch_alter_table("env_permit_quota", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_permit_quota_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_permit_quota_park_id"), ["park_id"], unique=False)

    op.create_table(
        "env_waste_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("opening_t", sa.Float(), nullable=False),
        sa.Column("generated_t", sa.Float(), nullable=False),
        sa.Column("utilised_t", sa.Float(), nullable=False),
        sa.Column("disposed_t", sa.Float(), nullable=False),
        sa.Column("stored_t", sa.Float(), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_env_waste_entry_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_env_waste_entry_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_waste_entry")),
        sa.UniqueConstraint(
            "enterprise_id", "category", "month", name=op.f("uq_env_waste_entry_enterprise_id_category_month")
        ),
    )
    with op.batch_alter_table("env_waste_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_waste_entry_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_waste_entry_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_env_waste_entry_park_id_month", ["park_id", "month"], unique=False)

    op.create_table(
        "env_exceedance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("limit_min", sa.Float(), nullable=True),
        sa.Column("limit_max", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_env_exceedance_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["env_outlet.id"], name=op.f("fk_env_exceedance_outlet_id_env_outlet"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_env_exceedance_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_exceedance")),
        sa.UniqueConstraint(
            "outlet_id", "factor", "period", "bucket", name=op.f("uq_env_exceedance_outlet_id_factor_period_bucket")
        ),
    )
    with op.batch_alter_table("env_exceedance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_exceedance_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_exceedance_outlet_id"), ["outlet_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_exceedance_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_env_exceedance_park_id_bucket", ["park_id", "bucket"], unique=False)

    op.create_table(
        "env_transfer_manifest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("quantity_t", sa.Float(), nullable=False),
        sa.Column("carrier", sa.String(length=200), nullable=False),
        sa.Column("carrier_licence", sa.String(length=60), nullable=True),
        sa.Column("receiver", sa.String(length=200), nullable=False),
        sa.Column("receiver_licence", sa.String(length=60), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["env_hazardous_batch.id"],
            name=op.f("fk_env_transfer_manifest_batch_id_env_hazardous_batch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_env_transfer_manifest_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_env_transfer_manifest_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_transfer_manifest")),
        sa.UniqueConstraint("park_id", "number", name=op.f("uq_env_transfer_manifest_park_id_number")),
    )
    with op.batch_alter_table("env_transfer_manifest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_transfer_manifest_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_transfer_manifest_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_transfer_manifest_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_transfer_manifest_status"), ["status"], unique=False)

    op.create_table(
        "env_outlet_factor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(length=20), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("alarm_rule_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_env_outlet_factor_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["env_outlet.id"], name=op.f("fk_env_outlet_factor_outlet_id_env_outlet"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_env_outlet_factor_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_env_outlet_factor_point_id_point"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_outlet_factor")),
        sa.UniqueConstraint("outlet_id", "factor", name=op.f("uq_env_outlet_factor_outlet_id_factor")),
    )
    with op.batch_alter_table("env_outlet_factor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_outlet_factor_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_outlet_factor_outlet_id"), ["outlet_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_outlet_factor_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_env_outlet_factor_point_id"), ["point_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("env_outlet_factor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_outlet_factor_point_id"))
        batch_op.drop_index(batch_op.f("ix_env_outlet_factor_park_id"))
        batch_op.drop_index(batch_op.f("ix_env_outlet_factor_outlet_id"))
        batch_op.drop_index(batch_op.f("ix_env_outlet_factor_enterprise_id"))

    op.drop_table("env_outlet_factor")
    with op.batch_alter_table("env_transfer_manifest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_transfer_manifest_status"))
        batch_op.drop_index(batch_op.f("ix_env_transfer_manifest_park_id"))
        batch_op.drop_index(batch_op.f("ix_env_transfer_manifest_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_env_transfer_manifest_batch_id"))

    op.drop_table("env_transfer_manifest")
    with op.batch_alter_table("env_exceedance", schema=None) as batch_op:
        batch_op.drop_index("ix_env_exceedance_park_id_bucket")
        batch_op.drop_index(batch_op.f("ix_env_exceedance_park_id"))
        batch_op.drop_index(batch_op.f("ix_env_exceedance_outlet_id"))
        batch_op.drop_index(batch_op.f("ix_env_exceedance_enterprise_id"))

    op.drop_table("env_exceedance")
    with op.batch_alter_table("env_waste_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_env_waste_entry_park_id_month")
        batch_op.drop_index(batch_op.f("ix_env_waste_entry_park_id"))
        batch_op.drop_index(batch_op.f("ix_env_waste_entry_enterprise_id"))

    op.drop_table("env_waste_entry")
    with op.batch_alter_table("env_permit_quota", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_permit_quota_park_id"))
        batch_op.drop_index(batch_op.f("ix_env_permit_quota_enterprise_id"))

    op.drop_table("env_permit_quota")
    with op.batch_alter_table("env_outlet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_outlet_park_id"))
        batch_op.drop_index(batch_op.f("ix_env_outlet_enterprise_id"))

    op.drop_table("env_outlet")
    with op.batch_alter_table("env_hazardous_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_hazardous_batch_stored_on"))
        batch_op.drop_index(batch_op.f("ix_env_hazardous_batch_park_id"))
        batch_op.drop_index(batch_op.f("ix_env_hazardous_batch_enterprise_id"))

    op.drop_table("env_hazardous_batch")
