"""assets: documents of an asset, classes' attributes and condition indicators as data, an asset's attribute
values, cycle and energy counter points and usage plans by cycles and energy

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_document_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_asset_document_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_document_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_document")),
    )
    with op.batch_alter_table("asset_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_document_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_document_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_document_park_id"), ["park_id"], unique=False)
    with op.batch_alter_table("asset_class") as batch:
        batch.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("condition_indicators", sa.JSON(), nullable=True))
    with op.batch_alter_table("asset") as batch:
        batch.add_column(sa.Column("cycles_point_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("energy_point_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_asset_cycles_point_id_point"), "point", ["cycles_point_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            batch.f("fk_asset_energy_point_id_point"), "point", ["energy_point_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("asset_maintenance_plan") as batch:
        batch.add_column(sa.Column("every_usage", sa.Float(), nullable=True))
        batch.add_column(sa.Column("last_done_usage", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("asset_maintenance_plan") as batch:
        batch.drop_column("last_done_usage")
        batch.drop_column("every_usage")
    with op.batch_alter_table("asset") as batch:
        batch.drop_constraint(batch.f("fk_asset_energy_point_id_point"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_asset_cycles_point_id_point"), type_="foreignkey")
        batch.drop_column("attributes")
        batch.drop_column("energy_point_id")
        batch.drop_column("cycles_point_id")
    with op.batch_alter_table("asset_class") as batch:
        batch.drop_column("condition_indicators")
        batch.drop_column("attributes")
    op.drop_table("asset_document")
