"""registry: a building's English name and a park's English address (shown on English pages)

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("building", sa.Column("name_en", sa.String(length=200), nullable=True))
    op.add_column("park", sa.Column("address_en", sa.String(length=300), nullable=True))


def downgrade() -> None:
    op.drop_column("park", "address_en")
    op.drop_column("building", "name_en")
