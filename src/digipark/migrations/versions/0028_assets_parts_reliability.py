"""assets: spare parts with stock and reorder levels and their movements (receipts, consumption by work orders),
the repair order of a recorded failure (MTTR), the isolation-forest anomaly score of a prediction

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_spare_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("stock", sa.Float(), nullable=False),
        sa.Column("reorder_level", sa.Float(), nullable=False),
        sa.Column("reorder_quantity", sa.Float(), nullable=False),
        sa.Column("unit_cost", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["asset_class.id"], name=op.f("fk_asset_spare_part_class_id_asset_class"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_spare_part_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_spare_part")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_asset_spare_part_park_id_code")),
    )
    with op.batch_alter_table("asset_spare_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_spare_part_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_spare_part_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset_part_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit_cost", sa.Float(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_part_movement_asset_id_asset"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["asset_spare_part.id"],
            name=op.f("fk_asset_part_movement_part_id_asset_spare_part"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_part_movement_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_part_movement")),
    )
    with op.batch_alter_table("asset_part_movement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_part_movement_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_part_movement_part_id"), ["part_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_part_movement_park_id"), ["park_id"], unique=False)

    with op.batch_alter_table("asset_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repair_order_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("asset_prediction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anomaly_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("asset_prediction", schema=None) as batch_op:
        batch_op.drop_column("anomaly_score")
    with op.batch_alter_table("asset_failure", schema=None) as batch_op:
        batch_op.drop_column("repair_order_id")
    with op.batch_alter_table("asset_part_movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_part_movement_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_part_movement_part_id"))
        batch_op.drop_index(batch_op.f("ix_asset_part_movement_asset_id"))
    op.drop_table("asset_part_movement")
    with op.batch_alter_table("asset_spare_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_spare_part_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_spare_part_class_id"))
    op.drop_table("asset_spare_part")
