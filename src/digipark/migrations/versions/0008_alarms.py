"""alarms: alarm rules, rule state, alarms and their events, notification contacts and deliveries

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

One open alarm per (rule, point): `alarm.open_key` ("rule:point") is unique and set to NULL when the alarm closes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alarm_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("min_severity", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_alarm_contact_enterprise_id_enterprise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_alarm_contact_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_contact")),
    )
    with op.batch_alter_table("alarm_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_contact_park_id"), ["park_id"], unique=False)

    op.create_table(
        "alarm_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("device_class", sa.String(length=60), nullable=True),
        sa.Column("quantity", sa.String(length=60), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("target_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("escalate_after_s", sa.Integer(), nullable=False),
        sa.Column("flap_window_s", sa.Integer(), nullable=False),
        sa.Column("flap_max", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_alarm_rule_building_id_building"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_alarm_rule_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_alarm_rule_park_id_park"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_alarm_rule_point_id_point"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_alarm_rule_target_enterprise_id_enterprise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_alarm_rule_zone_id_zone"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_rule")),
        sa.UniqueConstraint("park_id", "key", name=op.f("uq_alarm_rule_park_id_key")),
    )
    with op.batch_alter_table("alarm_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_rule_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_rule_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_rule_point_id"), ["point_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_rule_severity"), ["severity"], unique=False)

    op.create_table(
        "alarm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("trigger_ts", sa.BigInteger(), nullable=False),
        sa.Column("trigger_value", sa.Float(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=120), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("next_escalation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_alarm_enterprise_id_enterprise"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_alarm_park_id_park"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["point_id"], ["point.id"], name=op.f("fk_alarm_point_id_point"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alarm_rule.id"], name=op.f("fk_alarm_rule_id_alarm_rule"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm")),
        sa.UniqueConstraint("open_key", name=op.f("uq_alarm_open_key")),
    )
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_next_escalation_at"), ["next_escalation_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_alarm_park_id_state", ["park_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_point_id"), ["point_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_rule_id"), ["rule_id"], unique=False)

    op.create_table(
        "alarm_rule_state",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("flips", sa.JSON(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=True),
        sa.Column("normal_since", sa.BigInteger(), nullable=True),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_alarm_rule_state_point_id_point"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alarm_rule.id"], name=op.f("fk_alarm_rule_state_rule_id_alarm_rule"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rule_id", "point_id", name=op.f("pk_alarm_rule_state")),
    )
    op.create_table(
        "alarm_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarm.id"], name=op.f("fk_alarm_delivery_alarm_id_alarm"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["alarm_contact.id"],
            name=op.f("fk_alarm_delivery_contact_id_alarm_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_alarm_delivery_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_delivery")),
    )
    with op.batch_alter_table("alarm_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_delivery_alarm_id"), ["alarm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_delivery_park_id"), ["park_id"], unique=False)

    op.create_table(
        "alarm_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarm.id"], name=op.f("fk_alarm_event_alarm_id_alarm"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_alarm_event_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_alarm_event_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_event")),
    )
    with op.batch_alter_table("alarm_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_event_alarm_id"), ["alarm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_event_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_event_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_event_park_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_event_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_event_alarm_id"))

    op.drop_table("alarm_event")
    with op.batch_alter_table("alarm_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_delivery_park_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_delivery_alarm_id"))

    op.drop_table("alarm_delivery")
    op.drop_table("alarm_rule_state")
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_rule_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_point_id"))
        batch_op.drop_index("ix_alarm_park_id_state")
        batch_op.drop_index(batch_op.f("ix_alarm_park_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_next_escalation_at"))
        batch_op.drop_index(batch_op.f("ix_alarm_enterprise_id"))

    op.drop_table("alarm")
    with op.batch_alter_table("alarm_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_rule_severity"))
        batch_op.drop_index(batch_op.f("ix_alarm_rule_point_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_rule_park_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_rule_enterprise_id"))

    op.drop_table("alarm_rule")
    with op.batch_alter_table("alarm_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_contact_park_id"))

    op.drop_table("alarm_contact")
