"""approvals: the BPMN processes a definition version's call activities call (approval_definition.called_bpmn_xml).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 08:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approval_definition") as batch:
        batch.add_column(sa.Column("called_bpmn_xml", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("approval_definition") as batch:
        batch.drop_column("called_bpmn_xml")
