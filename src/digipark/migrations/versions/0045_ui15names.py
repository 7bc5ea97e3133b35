"""registry and energy: a device's and an energy meter's English name (shown on English pages)

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("device", sa.Column("name_en", sa.String(length=200), nullable=True))
    op.add_column("energy_meter", sa.Column("name_en", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("energy_meter", "name_en")
    op.drop_column("device", "name_en")
