"""assets: versions and expiry days of an asset's documents; the alarm rules that watch the condition indicators
its class declares

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("asset_document") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("expires_on", sa.Date(), nullable=True))
    op.create_table(
        "asset_indicator_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=60), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_indicator_rule_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_indicator_rule_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_indicator_rule")),
        sa.UniqueConstraint("asset_id", "indicator", name=op.f("uq_asset_indicator_rule_asset_id_indicator")),
    )
    with op.batch_alter_table("asset_indicator_rule") as batch:
        batch.create_index(batch.f("ix_asset_indicator_rule_asset_id"), ["asset_id"], unique=False)
        batch.create_index(batch.f("ix_asset_indicator_rule_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    op.drop_table("asset_indicator_rule")
    with op.batch_alter_table("asset_document") as batch:
        batch.drop_column("expires_on")
        batch.drop_column("version")
