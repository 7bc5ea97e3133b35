"""devices: provisioning keys (a device presents a key, its secret and a name and receives its own token)

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provisioning_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("max_devices", sa.Integer(), nullable=False),
        sa.Column("devices_made", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_provisioning_key_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_provisioning_key_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning_key")),
        sa.UniqueConstraint("key", name=op.f("uq_provisioning_key_key")),
    )
    with op.batch_alter_table("provisioning_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provisioning_key_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provisioning_key_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("provisioning_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provisioning_key_park_id"))
        batch_op.drop_index(batch_op.f("ix_provisioning_key_enterprise_id"))

    op.drop_table("provisioning_key")
