"""point: composite index (park_id, quantity, id) for the filtered point list

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

`GET /api/v1/points?quantity=...` counted a park's points of one quantity through a bitmap heap scan of
ix_point_quantity (every matching row visited) and paged them by scanning the primary key with a filter.
With (park_id, quantity, id) the count is an index-only scan and a page is read in id order from the index
(bench/api_latency.py: 100,000 points).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("point", schema=None) as batch_op:
        batch_op.create_index("ix_point_park_id_quantity_id", ["park_id", "quantity", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("point", schema=None) as batch_op:
        batch_op.drop_index("ix_point_park_id_quantity_id")
