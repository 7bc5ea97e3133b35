"""dashboards: dashboards as data (widgets, time range, roles shared with), scheduled report subscriptions and
their delivery log, the duty app's Web Push subscriptions and the server's VAPID key.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 21:22:27.507721
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_server_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_server_key")),
    )
    op.create_table(
        "dashboard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("shared_roles", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_dashboard_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard")),
        sa.UniqueConstraint("park_id", "name", name=op.f("uq_dashboard_park_id_name")),
    )
    with op.batch_alter_table("dashboard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_park_id"), ["park_id"], unique=False)

    op.create_table(
        "push_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_push_subscription_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_push_subscription_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscription")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscription_endpoint")),
    )
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_subscription_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_subscription_user_id"), ["user_id"], unique=False)

    op.create_table(
        "report_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("report", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("working_days_only", sa.Boolean(), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("robot_channel", sa.String(length=20), nullable=True),
        sa.Column("robot_url", sa.String(length=500), nullable=True),
        sa.Column("robot_secret", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("subscriber", sa.String(length=80), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_report_subscription_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["app_user.id"],
            name=op.f("fk_report_subscription_subscriber_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscription")),
    )
    with op.batch_alter_table("report_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_subscription_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_subscription_subscriber_id"), ["subscriber_id"], unique=False)

    op.create_table(
        "report_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_report_delivery_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["report_subscription.id"],
            name=op.f("fk_report_delivery_subscription_id_report_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_delivery")),
    )
    with op.batch_alter_table("report_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_delivery_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_delivery_subscription_id"), ["subscription_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_delivery_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_report_delivery_park_id"))

    op.drop_table("report_delivery")
    with op.batch_alter_table("report_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_subscription_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_report_subscription_park_id"))

    op.drop_table("report_subscription")
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscription_user_id"))
        batch_op.drop_index(batch_op.f("ix_push_subscription_park_id"))

    op.drop_table("push_subscription")
    with op.batch_alter_table("dashboard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_park_id"))

    op.drop_table("dashboard")
    op.drop_table("push_server_key")
