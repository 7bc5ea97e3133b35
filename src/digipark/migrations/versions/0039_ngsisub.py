"""dataspace: NGSI-LD subscriptions (ds_ngsi_subscription).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = "ds_ngsi_subscription"


def upgrade() -> None:
    op.create_table(
        _T,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("watched", sa.JSON(), nullable=False),
        sa.Column("q", sa.Text(), nullable=True),
        sa.Column("attrs", sa.JSON(), nullable=False),
        sa.Column("endpoint", sa.String(length=2000), nullable=False),
        sa.Column("accept", sa.String(length=40), nullable=False),
        sa.Column("throttling", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("base", sa.String(length=500), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("times_sent", sa.Integer(), nullable=False),
        sa.Column("last_notification", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_ngsi_subscription_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_ds_ngsi_subscription_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_ngsi_subscription")),
        sa.UniqueConstraint("park_id", "subscription_id", name=op.f("uq_ds_ngsi_subscription_park_id_subscription_id")),
    )
    with op.batch_alter_table(_T, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_ngsi_subscription_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_ngsi_subscription_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(_T, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_ngsi_subscription_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_ngsi_subscription_enterprise_id"))
    op.drop_table(_T)
