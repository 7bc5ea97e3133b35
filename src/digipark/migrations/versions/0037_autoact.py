"""automation actions: devices' shared attributes, the park's allow-list of inside networks for webhooks

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_shared_attribute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sent_version", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_shared_attribute_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_device_shared_attribute_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_shared_attribute_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_shared_attribute")),
        sa.UniqueConstraint("device_id", "key", name=op.f("uq_device_shared_attribute_device_id_key")),
    )
    with op.batch_alter_table("device_shared_attribute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_shared_attribute_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_shared_attribute_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_shared_attribute_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_shared_attribute_sent_version"), ["sent_version"], unique=False)
    op.create_table(
        "automation_network_allow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=50), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_network_allow_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_network_allow")),
        sa.UniqueConstraint("park_id", "network", name=op.f("uq_automation_network_allow_park_id_network")),
    )
    with op.batch_alter_table("automation_network_allow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_network_allow_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("automation_network_allow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_network_allow_park_id"))
    op.drop_table("automation_network_allow")
    with op.batch_alter_table("device_shared_attribute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_shared_attribute_sent_version"))
        batch_op.drop_index(batch_op.f("ix_device_shared_attribute_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_shared_attribute_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_device_shared_attribute_device_id"))
    op.drop_table("device_shared_attribute")
