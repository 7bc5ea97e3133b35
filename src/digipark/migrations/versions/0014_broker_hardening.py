"""broker hardening: dead letters count their values and the messages a rate-limit summary stands for, and are
indexed by receipt time for their retention

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letter") as batch:
        batch.add_column(sa.Column("value_count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("messages", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_dead_letter_received_at", "dead_letter", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_dead_letter_received_at", table_name="dead_letter")
    with op.batch_alter_table("dead_letter") as batch:
        batch.drop_column("messages")
        batch.drop_column("value_count")
