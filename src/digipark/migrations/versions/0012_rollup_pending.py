"""telemetry: rollup_pending, the 15 min buckets whose coarser rollups a deferred write left to refresh

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollup_pending",
        sa.Column("point_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("point_id", "bucket", name=op.f("pk_rollup_pending")),
    )


def downgrade() -> None:
    op.drop_table("rollup_pending")
