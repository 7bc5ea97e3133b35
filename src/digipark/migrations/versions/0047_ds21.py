"""dataspace: NGSI-LD notification triggers, deletion notifications and retried notifications
(ds_ngsi_subscription.triggers and times_failed, ds_ngsi_change.events and deleted, ds_ngsi_notification).

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = "ds_ngsi_notification"


def upgrade() -> None:
    with op.batch_alter_table("ds_ngsi_subscription") as batch:
        batch.add_column(sa.Column("triggers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("times_failed", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("ds_ngsi_change") as batch:
        batch.add_column(sa.Column("events", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("deleted", sa.JSON(), nullable=True))
    op.create_table(
        _T,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_ref", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_ds_ngsi_notification_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_ref"],
            ["ds_ngsi_subscription.id"],
            name=op.f("fk_ds_ngsi_notification_subscription_ref_ds_ngsi_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_ngsi_notification")),
    )
    op.create_index(op.f("ix_ds_ngsi_notification_park_id"), _T, ["park_id"])
    op.create_index(op.f("ix_ds_ngsi_notification_subscription_ref"), _T, ["subscription_ref"])
    op.create_index(op.f("ix_ds_ngsi_notification_next_attempt_at"), _T, ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ds_ngsi_notification_next_attempt_at"), table_name=_T)
    op.drop_index(op.f("ix_ds_ngsi_notification_subscription_ref"), table_name=_T)
    op.drop_index(op.f("ix_ds_ngsi_notification_park_id"), table_name=_T)
    op.drop_table(_T)
    with op.batch_alter_table("ds_ngsi_change") as batch:
        batch.drop_column("deleted")
        batch.drop_column("events")
    with op.batch_alter_table("ds_ngsi_subscription") as batch:
        batch.drop_column("times_failed")
        batch.drop_column("triggers")
