"""dataspace: NGSI-LD entities created through the context API (ds_context_entity).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ds_context_entity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("entity_type", sa.String(length=255), nullable=False),
        sa.Column("attrs", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_context_entity_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_ds_context_entity_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_context_entity")),
        sa.UniqueConstraint("park_id", "entity_id", name=op.f("uq_ds_context_entity_park_id_entity_id")),
    )
    with op.batch_alter_table("ds_context_entity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_context_entity_entity_type"), ["entity_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_context_entity_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_context_entity_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ds_context_entity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_context_entity_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_context_entity_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_ds_context_entity_entity_type"))
    op.drop_table("ds_context_entity")
