"""cybersec: network elements, compute resources and allocations, security gradings, data catalogue items (GB/T
43697), ICS assets, advisories, known-bad addresses, security events and incidents.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 18:09:22.401451
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cyber_advisory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ident", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=False),
        sa.Column("model_pattern", sa.String(length=100), nullable=False),
        sa.Column("affected", sa.String(length=200), nullable=False),
        sa.Column("fixed_version", sa.String(length=60), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_advisory_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_advisory")),
        sa.UniqueConstraint("park_id", "ident", name=op.f("uq_cyber_advisory_park_id_ident")),
    )
    with op.batch_alter_table("cyber_advisory", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_advisory_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_bad_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=50), nullable=False),
        sa.Column("list_name", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_bad_address_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_bad_address")),
        sa.UniqueConstraint("park_id", "network", name=op.f("uq_cyber_bad_address_park_id_network")),
    )
    with op.batch_alter_table("cyber_bad_address", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_bad_address_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_data_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("domain", sa.String(length=100), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("filing_status", sa.String(length=20), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("export_allowed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_data_item_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_data_item_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_data_item")),
    )
    with op.batch_alter_table("cyber_data_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_data_item_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_data_item_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_grading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("protection_level", sa.Integer(), nullable=False),
        sa.Column("system_name", sa.String(length=200), nullable=False),
        sa.Column("graded_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_grading_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_grading_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_grading")),
    )
    with op.batch_alter_table("cyber_grading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_grading_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_grading_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_incident_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_incident_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_incident")),
    )
    with op.batch_alter_table("cyber_incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_incident_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_incident_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_cyber_incident_park_id_rule_key", ["park_id", "rule", "key"], unique=False)

    op.create_table(
        "cyber_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sensor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("src_ip", sa.String(length=45), nullable=True),
        sa.Column("dst_ip", sa.String(length=45), nullable=True),
        sa.Column("dst_port", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=120), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_event_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["cyber_incident.id"],
            name=op.f("fk_cyber_event_incident_id_cyber_incident"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_event_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_event")),
    )
    with op.batch_alter_table("cyber_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_event_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_event_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_event_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_cyber_event_park_id_at", ["park_id", "at"], unique=False)

    op.create_table(
        "cyber_compute_resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Float(), nullable=False),
        sa.Column("racks", sa.Integer(), nullable=True),
        sa.Column("accelerators", sa.Integer(), nullable=True),
        sa.Column("edge", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_cyber_compute_resource_building_id_building"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_compute_resource_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_compute_resource")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_cyber_compute_resource_park_id_code")),
    )
    with op.batch_alter_table("cyber_compute_resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_compute_resource_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_compute_resource_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_ics_asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("firmware", sa.String(length=60), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_cyber_ics_asset_building_id_building"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_ics_asset_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_ics_asset_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_ics_asset")),
    )
    with op.batch_alter_table("cyber_ics_asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_ics_asset_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_ics_asset_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_ics_asset_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_cyber_ics_asset_park_id_ip_address", ["park_id", "ip_address"], unique=False)

    op.create_table(
        "cyber_network_element",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("technology", sa.String(length=20), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("floor_level", sa.Integer(), nullable=True),
        sa.Column("operator_name", sa.String(length=100), nullable=True),
        sa.Column("bandwidth_mbps", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("in_service_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_cyber_network_element_building_id_building"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_network_element_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_network_element")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_cyber_network_element_park_id_code")),
    )
    with op.batch_alter_table("cyber_network_element", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_network_element_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_network_element_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_compute_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_compute_allocation_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_compute_allocation_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["cyber_compute_resource.id"],
            name=op.f("fk_cyber_compute_allocation_resource_id_cyber_compute_resource"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_compute_allocation")),
    )
    with op.batch_alter_table("cyber_compute_allocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_compute_allocation_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_compute_allocation_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_compute_allocation_resource_id"), ["resource_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cyber_compute_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_compute_allocation_resource_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_compute_allocation_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_compute_allocation_enterprise_id"))

    op.drop_table("cyber_compute_allocation")
    with op.batch_alter_table("cyber_network_element", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_network_element_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_network_element_building_id"))

    op.drop_table("cyber_network_element")
    with op.batch_alter_table("cyber_ics_asset", schema=None) as batch_op:
        batch_op.drop_index("ix_cyber_ics_asset_park_id_ip_address")
        batch_op.drop_index(batch_op.f("ix_cyber_ics_asset_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_ics_asset_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_ics_asset_building_id"))

    op.drop_table("cyber_ics_asset")
    with op.batch_alter_table("cyber_compute_resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_compute_resource_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_compute_resource_building_id"))

    op.drop_table("cyber_compute_resource")
    with op.batch_alter_table("cyber_event", schema=None) as batch_op:
        batch_op.drop_index("ix_cyber_event_park_id_at")
        batch_op.drop_index(batch_op.f("ix_cyber_event_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_event_incident_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_event_enterprise_id"))

    op.drop_table("cyber_event")
    with op.batch_alter_table("cyber_incident", schema=None) as batch_op:
        batch_op.drop_index("ix_cyber_incident_park_id_rule_key")
        batch_op.drop_index(batch_op.f("ix_cyber_incident_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_incident_enterprise_id"))

    op.drop_table("cyber_incident")
    with op.batch_alter_table("cyber_grading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_grading_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_grading_enterprise_id"))

    op.drop_table("cyber_grading")
    with op.batch_alter_table("cyber_data_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_data_item_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_data_item_enterprise_id"))

    op.drop_table("cyber_data_item")
    with op.batch_alter_table("cyber_bad_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_bad_address_park_id"))

    op.drop_table("cyber_bad_address")
    with op.batch_alter_table("cyber_advisory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_advisory_park_id"))

    op.drop_table("cyber_advisory")
