"""dataspace: the identifier generation the resolver processes poll, and the handles each changed
(ds_identifier_generation, ds_identifier_change).

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = "ds_identifier_generation"
_CHANGE = "ds_identifier_change"


def upgrade() -> None:
    table = op.create_table(
        _T,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_identifier_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0}])
    op.create_table(
        _CHANGE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_identifier_change")),
    )
    with op.batch_alter_table(_CHANGE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_identifier_change_generation"), ["generation"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(_CHANGE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_identifier_change_generation"))
    op.drop_table(_CHANGE)
    op.drop_table(_T)
