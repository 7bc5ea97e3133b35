"""assets: asset classes, the asset register with lifecycle changes, maintenance plans, daily condition features,
versioned prediction models, predictions, failures, and the work orders condition alarms opened

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("useful_life_years", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("salvage_rate", sa.Float(), nullable=False),
        sa.Column("rotating", sa.Boolean(), nullable=False),
        sa.Column("vibration_group", sa.String(length=40), nullable=True),
        sa.Column("temperature_limit_c", sa.Float(), nullable=True),
        sa.Column("templates", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_class_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_class")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_asset_class_park_id_code")),
    )
    with op.batch_alter_table("asset_class", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_class_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset_prediction_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("evaluated", sa.Integer(), nullable=False),
        sa.Column("mae_days", sa.Float(), nullable=True),
        sa.Column("flagged_before_failure", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["asset_class.id"],
            name=op.f("fk_asset_prediction_model_class_id_asset_class"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_prediction_model_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_prediction_model")),
        sa.UniqueConstraint("class_id", "version", name=op.f("uq_asset_prediction_model_class_id_version")),
    )
    with op.batch_alter_table("asset_prediction_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_prediction_model_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_prediction_model_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("supplier", sa.String(length=100), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("acquired_on", sa.Date(), nullable=True),
        sa.Column("in_service_on", sa.Date(), nullable=True),
        sa.Column("warranty_until", sa.Date(), nullable=True),
        sa.Column("purchase_value", sa.Float(), nullable=False),
        sa.Column("salvage_value", sa.Float(), nullable=False),
        sa.Column("useful_life_months", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("run_hours_point_id", sa.Integer(), nullable=True),
        sa.Column("vibration_point_id", sa.Integer(), nullable=True),
        sa.Column("temperature_point_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_asset_building_id_building"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["asset_class.id"], name=op.f("fk_asset_class_id_asset_class"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_asset_enterprise_id_enterprise"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_asset_park_id_park"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["run_hours_point_id"], ["point.id"], name=op.f("fk_asset_run_hours_point_id_point"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["temperature_point_id"],
            ["point.id"],
            name=op.f("fk_asset_temperature_point_id_point"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vibration_point_id"], ["point.id"], name=op.f("fk_asset_vibration_point_id_point"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_state"), ["state"], unique=False)

    op.create_table(
        "asset_alarm_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_alarm_order_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_alarm_order_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_alarm_order")),
        sa.UniqueConstraint("alarm_id", name=op.f("uq_asset_alarm_order_alarm_id")),
    )
    with op.batch_alter_table("asset_alarm_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_alarm_order_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_alarm_order_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset_condition_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("vib_rms", sa.Float(), nullable=True),
        sa.Column("vib_peak", sa.Float(), nullable=True),
        sa.Column("crest_factor", sa.Float(), nullable=True),
        sa.Column("kurtosis", sa.Float(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("run_hours", sa.Float(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_condition_day_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_condition_day_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_condition_day")),
        sa.UniqueConstraint("asset_id", "day", name=op.f("uq_asset_condition_day_asset_id_day")),
    )
    with op.batch_alter_table("asset_condition_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_condition_day_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_condition_day_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("failed_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_failure_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_failure_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_failure")),
    )
    with op.batch_alter_table("asset_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_failure_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_failure_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset_lifecycle_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_lifecycle_change_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_lifecycle_change_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_lifecycle_change")),
    )
    with op.batch_alter_table("asset_lifecycle_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_lifecycle_change_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lifecycle_change_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset_maintenance_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("every_run_hours", sa.Float(), nullable=True),
        sa.Column("last_done_on", sa.Date(), nullable=True),
        sa.Column("last_done_run_hours", sa.Float(), nullable=True),
        sa.Column("last_order_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_maintenance_plan_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_maintenance_plan_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_maintenance_plan")),
    )
    with op.batch_alter_table("asset_maintenance_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_maintenance_plan_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_maintenance_plan_park_id"), ["park_id"], unique=False)

    op.create_table(
        "asset_prediction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("health", sa.Float(), nullable=False),
        sa.Column("anomaly_z", sa.Float(), nullable=True),
        sa.Column("current_rms", sa.Float(), nullable=True),
        sa.Column("threshold_rms", sa.Float(), nullable=True),
        sa.Column("slope_per_day", sa.Float(), nullable=True),
        sa.Column("rul_days", sa.Float(), nullable=True),
        sa.Column("rul_low_days", sa.Float(), nullable=True),
        sa.Column("rul_high_days", sa.Float(), nullable=True),
        sa.Column("failure_on", sa.Date(), nullable=True),
        sa.Column("recommend", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("actual_failure_on", sa.Date(), nullable=True),
        sa.Column("error_days", sa.Float(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_prediction_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["asset_prediction_model.id"],
            name=op.f("fk_asset_prediction_model_id_asset_prediction_model"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_prediction_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_prediction")),
    )
    with op.batch_alter_table("asset_prediction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_prediction_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_prediction_model_id"), ["model_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_prediction_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_prediction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_prediction_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_prediction_model_id"))
        batch_op.drop_index(batch_op.f("ix_asset_prediction_asset_id"))

    op.drop_table("asset_prediction")
    with op.batch_alter_table("asset_maintenance_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_maintenance_plan_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_maintenance_plan_asset_id"))

    op.drop_table("asset_maintenance_plan")
    with op.batch_alter_table("asset_lifecycle_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_lifecycle_change_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_lifecycle_change_asset_id"))

    op.drop_table("asset_lifecycle_change")
    with op.batch_alter_table("asset_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_failure_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_failure_asset_id"))

    op.drop_table("asset_failure")
    with op.batch_alter_table("asset_condition_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_condition_day_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_condition_day_asset_id"))

    op.drop_table("asset_condition_day")
    with op.batch_alter_table("asset_alarm_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_alarm_order_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_alarm_order_asset_id"))

    op.drop_table("asset_alarm_order")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_state"))
        batch_op.drop_index(batch_op.f("ix_asset_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_asset_code"))
        batch_op.drop_index(batch_op.f("ix_asset_class_id"))
        batch_op.drop_index(batch_op.f("ix_asset_building_id"))

    op.drop_table("asset")
    with op.batch_alter_table("asset_prediction_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_prediction_model_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_prediction_model_class_id"))

    op.drop_table("asset_prediction_model")
    with op.batch_alter_table("asset_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_class_park_id"))

    op.drop_table("asset_class")
