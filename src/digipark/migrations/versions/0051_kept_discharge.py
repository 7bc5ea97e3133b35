"""environment: the discharge of months that are over, kept with the fingerprint of the month rollups it came from.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "env_kept_discharge",
        sa.Column("concentration_point_id", sa.Integer(), nullable=False),
        sa.Column("flow_point_id", sa.Integer(), nullable=False),
        sa.Column("required_c", sa.Integer(), nullable=False),
        sa.Column("required_q", sa.Integer(), nullable=False),
        sa.Column("month", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["concentration_point_id"],
            ["point.id"],
            name="fk_env_kept_discharge_concentration_point_id_point",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_point_id"], ["point.id"], name="fk_env_kept_discharge_flow_point_id_point", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "concentration_point_id", "flow_point_id", "required_c", "required_q", "month", name="pk_env_kept_discharge"
        ),
    )
    op.create_index("ix_env_kept_discharge_flow_point_id", "env_kept_discharge", ["flow_point_id"])


def downgrade() -> None:
    op.drop_index("ix_env_kept_discharge_flow_point_id", table_name="env_kept_discharge")
    op.drop_table("env_kept_discharge")
