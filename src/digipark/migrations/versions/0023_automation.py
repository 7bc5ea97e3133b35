"""automation and energy operations: scenes, automation rules and their firing log; energy plans with their
quotas, meter replacements and each park's billing setting

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "automation_scene",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_scene_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_scene")),
        sa.UniqueConstraint("park_id", "name", name=op.f("uq_automation_scene_park_id_name")),
    )
    with op.batch_alter_table("automation_scene", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_scene_park_id"), ["park_id"], unique=False)

    op.create_table(
        "automation_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("scene_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_rule_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["scene_id"],
            ["automation_scene.id"],
            name=op.f("fk_automation_rule_scene_id_automation_scene"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rule")),
    )
    with op.batch_alter_table("automation_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_rule_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_rule_scene_id"), ["scene_id"], unique=False)

    op.create_table(
        "automation_firing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_firing_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rule.id"],
            name=op.f("fk_automation_firing_rule_id_automation_rule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_firing")),
    )
    with op.batch_alter_table("automation_firing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_firing_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_automation_firing_rule_ts", ["rule_id", "ts"], unique=False)

    op.create_table(
        "automation_energy_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=30), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("quota", sa.Float(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_automation_energy_plan_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_automation_energy_plan_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_energy_plan_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_energy_plan")),
        sa.UniqueConstraint(
            "park_id",
            "enterprise_id",
            "building_id",
            "year",
            "carrier",
            name=op.f("uq_automation_energy_plan_park_id_enterprise_id_building_id_year_carrier"),
        ),
    )
    with op.batch_alter_table("automation_energy_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_energy_plan_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_energy_plan_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_energy_plan_park_id"), ["park_id"], unique=False)

    op.create_table(
        "automation_billing_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shared_meter_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_billing_setting_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["shared_meter_id"],
            ["energy_meter.id"],
            name=op.f("fk_automation_billing_setting_shared_meter_id_energy_meter"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_billing_setting")),
        sa.UniqueConstraint("park_id", name=op.f("uq_automation_billing_setting_park_id")),
    )
    with op.batch_alter_table("automation_billing_setting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_billing_setting_park_id"), ["park_id"], unique=False)

    op.create_table(
        "automation_meter_replacement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_final", sa.Float(), nullable=False),
        sa.Column("new_initial", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["energy_meter.id"],
            name=op.f("fk_automation_meter_replacement_meter_id_energy_meter"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_meter_replacement_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_meter_replacement")),
    )
    with op.batch_alter_table("automation_meter_replacement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_meter_replacement_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_meter_replacement_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("automation_meter_replacement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_meter_replacement_park_id"))
        batch_op.drop_index(batch_op.f("ix_automation_meter_replacement_meter_id"))

    op.drop_table("automation_meter_replacement")
    with op.batch_alter_table("automation_billing_setting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_billing_setting_park_id"))

    op.drop_table("automation_billing_setting")
    with op.batch_alter_table("automation_energy_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_energy_plan_park_id"))
        batch_op.drop_index(batch_op.f("ix_automation_energy_plan_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_automation_energy_plan_building_id"))

    op.drop_table("automation_energy_plan")
    with op.batch_alter_table("automation_firing", schema=None) as batch_op:
        batch_op.drop_index("ix_automation_firing_rule_ts")
        batch_op.drop_index(batch_op.f("ix_automation_firing_park_id"))

    op.drop_table("automation_firing")
    with op.batch_alter_table("automation_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_rule_scene_id"))
        batch_op.drop_index(batch_op.f("ix_automation_rule_park_id"))

    op.drop_table("automation_rule")
    with op.batch_alter_table("automation_scene", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_scene_park_id"))

    op.drop_table("automation_scene")
