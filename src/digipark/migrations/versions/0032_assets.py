"""assets: land and buildings from the registry (source_ref, land parcel), roads and pipe networks as GeoJSON lines
(network, geometry, material, diameter, install year), the shared-equipment service an asset is booked as, and
leases of park assets to enterprises

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("land_parcel_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source_ref", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("network", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("geometry", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("material", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("diameter_mm", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("install_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("offering_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_asset_land_parcel_id"), ["land_parcel_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_asset_land_parcel_id_land_parcel"),
            "land_parcel",
            ["land_parcel_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_asset_offering_id_service_offering"),
            "service_offering",
            ["offering_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "asset_lease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("monthly_rent", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_lease_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_asset_lease_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_lease_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_asset_lease_room_id_room"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_lease")),
    )
    with op.batch_alter_table("asset_lease", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_lease_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lease_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lease_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lease_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lease_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_lease", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_lease_state"))
        batch_op.drop_index(batch_op.f("ix_asset_lease_room_id"))
        batch_op.drop_index(batch_op.f("ix_asset_lease_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_lease_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_asset_lease_asset_id"))
    op.drop_table("asset_lease")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_asset_offering_id_service_offering"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_asset_land_parcel_id_land_parcel"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_asset_land_parcel_id"))
        batch_op.drop_column("offering_id")
        batch_op.drop_column("install_year")
        batch_op.drop_column("diameter_mm")
        batch_op.drop_column("material")
        batch_op.drop_column("geometry")
        batch_op.drop_column("network")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("land_parcel_id")
