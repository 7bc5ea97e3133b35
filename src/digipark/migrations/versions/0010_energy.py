"""energy: meters and their hierarchy, manual energy entries, tariffs, factor sets, carbon

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Meters (telemetry-linked, manual or virtual), monthly manual entries with their evidence, carbon declarations
(process emissions, product output), time-of-use tariffs and each park's accounting setting. Factor sets are
data files of the package (digipark/energy/data), versioned there, not tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "energy_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_basis", sa.String(length=20), nullable=False),
        sa.Column("grid_region", sa.String(length=20), nullable=True),
        sa.Column("baseline_months", sa.Integer(), nullable=False),
        sa.Column("anomaly_threshold_pct", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_energy_setting_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_setting")),
        sa.UniqueConstraint("park_id", name=op.f("uq_energy_setting_park_id")),
    )
    op.create_index(op.f("ix_energy_setting_park_id"), "energy_setting", ["park_id"], unique=False)
    op.create_table(
        "energy_tariff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_energy_tariff_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_tariff")),
        sa.UniqueConstraint("park_id", "valid_from", name=op.f("uq_energy_tariff_park_id_valid_from")),
    )
    op.create_index(op.f("ix_energy_tariff_park_id"), "energy_tariff", ["park_id"], unique=False)
    op.create_table(
        "carbon_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("process_material", sa.String(length=30), nullable=True),
        sa.Column("process_quantity_t", sa.Float(), nullable=True),
        sa.Column("process_tco2", sa.Float(), nullable=True),
        sa.Column("product_output_t", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("declared_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_carbon_declaration_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_carbon_declaration_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_declaration")),
        sa.UniqueConstraint("enterprise_id", "period", name=op.f("uq_carbon_declaration_enterprise_id_period")),
    )
    op.create_index(op.f("ix_carbon_declaration_enterprise_id"), "carbon_declaration", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_carbon_declaration_park_id"), "carbon_declaration", ["park_id"], unique=False)
    op.create_table(
        "energy_meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("carrier", sa.String(length=30), nullable=False),
        sa.Column("flow", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("flexible_share", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_energy_meter_building_id_building"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_energy_meter_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["energy_meter.id"], name=op.f("fk_energy_meter_parent_id_energy_meter"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_energy_meter_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_energy_meter_point_id_point"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_energy_meter_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_meter")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_energy_meter_park_id_code")),
    )
    op.create_index(op.f("ix_energy_meter_building_id"), "energy_meter", ["building_id"], unique=False)
    op.create_index(op.f("ix_energy_meter_enterprise_id"), "energy_meter", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_energy_meter_parent_id"), "energy_meter", ["parent_id"], unique=False)
    op.create_index(op.f("ix_energy_meter_park_id"), "energy_meter", ["park_id"], unique=False)
    op.create_index("ix_energy_meter_park_id_level", "energy_meter", ["park_id", "level"], unique=False)
    op.create_index(op.f("ix_energy_meter_point_id"), "energy_meter", ["point_id"], unique=False)
    op.create_index(op.f("ix_energy_meter_zone_id"), "energy_meter", ["zone_id"], unique=False)
    op.create_table(
        "energy_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("carrier", sa.String(length=30), nullable=False),
        sa.Column("flow", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("entered_quantity", sa.Float(), nullable=False),
        sa.Column("entered_unit", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("evidence_name", sa.String(length=200), nullable=True),
        sa.Column("evidence_type", sa.String(length=100), nullable=True),
        sa.Column("evidence_size", sa.Integer(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence", sa.LargeBinary(), nullable=True),
        sa.Column("entered_by", sa.String(length=120), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_energy_entry_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["energy_meter.id"], name=op.f("fk_energy_entry_meter_id_energy_meter"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_energy_entry_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_entry")),
    )
    op.create_index(op.f("ix_energy_entry_enterprise_id"), "energy_entry", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_energy_entry_meter_id"), "energy_entry", ["meter_id"], unique=False)
    op.create_index(op.f("ix_energy_entry_park_id"), "energy_entry", ["park_id"], unique=False)
    op.create_index("ix_energy_entry_park_id_period", "energy_entry", ["park_id", "period"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_energy_entry_park_id_period", table_name="energy_entry")
    op.drop_index(op.f("ix_energy_entry_park_id"), table_name="energy_entry")
    op.drop_index(op.f("ix_energy_entry_meter_id"), table_name="energy_entry")
    op.drop_index(op.f("ix_energy_entry_enterprise_id"), table_name="energy_entry")
    op.drop_table("energy_entry")
    op.drop_index(op.f("ix_energy_meter_zone_id"), table_name="energy_meter")
    op.drop_index(op.f("ix_energy_meter_point_id"), table_name="energy_meter")
    op.drop_index("ix_energy_meter_park_id_level", table_name="energy_meter")
    op.drop_index(op.f("ix_energy_meter_park_id"), table_name="energy_meter")
    op.drop_index(op.f("ix_energy_meter_parent_id"), table_name="energy_meter")
    op.drop_index(op.f("ix_energy_meter_enterprise_id"), table_name="energy_meter")
    op.drop_index(op.f("ix_energy_meter_building_id"), table_name="energy_meter")
    op.drop_table("energy_meter")
    op.drop_index(op.f("ix_carbon_declaration_park_id"), table_name="carbon_declaration")
    op.drop_index(op.f("ix_carbon_declaration_enterprise_id"), table_name="carbon_declaration")
    op.drop_table("carbon_declaration")
    op.drop_index(op.f("ix_energy_tariff_park_id"), table_name="energy_tariff")
    op.drop_table("energy_tariff")
    op.drop_index(op.f("ix_energy_setting_park_id"), table_name="energy_setting")
    op.drop_table("energy_setting")
