"""assets: classes' attributes and condition indicators as data, an asset's attribute values, cycle and energy
counter points and usage plans by cycles and energy

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
