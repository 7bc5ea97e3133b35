"""automation: firings remember their unsent webhooks and notifications (resent after a stop).

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = "automation_firing"


def upgrade() -> None:
    with op.batch_alter_table(_T) as batch:
        batch.add_column(sa.Column("unsent_actions", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("send_lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_automation_firing_unsent_actions"), ["unsent_actions"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(_T) as batch:
        batch.drop_index(batch.f("ix_automation_firing_unsent_actions"))
        batch.drop_column("send_lease_until")
        batch.drop_column("unsent_actions")
