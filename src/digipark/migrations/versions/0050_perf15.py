"""safety: the last computed next-week trend of each audience (the park's staff, or one enterprise).

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0050"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name="fk_safety_forecast_enterprise_id_enterprise",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_safety_forecast_park_id_park", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_safety_forecast"),
        sa.UniqueConstraint("park_id", "audience", name="uq_safety_forecast_park_id_audience"),
    )
    op.create_index("ix_safety_forecast_enterprise_id", "safety_forecast", ["enterprise_id"])
    op.create_index("ix_safety_forecast_park_id", "safety_forecast", ["park_id"])


def downgrade() -> None:
    op.drop_index("ix_safety_forecast_park_id", table_name="safety_forecast")
    op.drop_index("ix_safety_forecast_enterprise_id", table_name="safety_forecast")
    op.drop_table("safety_forecast")
