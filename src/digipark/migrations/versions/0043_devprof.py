"""devices: device profiles (versioned, per park), the profile version each device is on, claim codes, and the
profile a provisioning key makes devices with

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "device_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("protocol", sa.String(length=20), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("commands", sa.JSON(), nullable=False),
        sa.Column("register_map", sa.JSON(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_profile_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_profile")),
        sa.UniqueConstraint("park_id", "key", "version", name=op.f("uq_device_profile_park_id_key_version")),
    )
    with op.batch_alter_table("device_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_profile_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_profile_park_id"), ["park_id"], unique=False)

    op.create_table(
        "device_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_claim_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_device_claim_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_claim_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_claim")),
        sa.UniqueConstraint("device_id", name=op.f("uq_device_claim_device_id")),
    )
    with op.batch_alter_table("device_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_claim_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_claim_park_id"), ["park_id"], unique=False)

    op.create_table(
        "device_profile_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_profile_use_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_device_profile_use_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_profile_use_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["device_profile.id"],
            name=op.f("fk_device_profile_use_profile_id_device_profile"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_profile_use")),
        sa.UniqueConstraint("device_id", name=op.f("uq_device_profile_use_device_id")),
    )
    with op.batch_alter_table("device_profile_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_profile_use_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_profile_use_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_profile_use_profile_id"), ["profile_id"], unique=False)

    with op.batch_alter_table("provisioning_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_key", sa.String(length=40), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("provisioning_key", schema=None) as batch_op:
        batch_op.drop_column("profile_key")

    with op.batch_alter_table("device_profile_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_profile_use_profile_id"))
        batch_op.drop_index(batch_op.f("ix_device_profile_use_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_profile_use_enterprise_id"))

    op.drop_table("device_profile_use")
    with op.batch_alter_table("device_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_claim_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_claim_enterprise_id"))

    op.drop_table("device_claim")
    with op.batch_alter_table("device_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_profile_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_profile_key"))

    op.drop_table("device_profile")
