"""devices: commands to devices (device_command) and field-protocol bindings (device_binding)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=120), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("profile", sa.String(length=60), nullable=True),
        sa.Column("poll_interval_s", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_binding_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_device_binding_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_binding_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_binding")),
        sa.UniqueConstraint("protocol", "address", "unit_id", name=op.f("uq_device_binding_protocol_address_unit_id")),
    )
    with op.batch_alter_table("device_binding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_binding_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_binding_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_binding_park_id"), ["park_id"], unique=False)

    op.create_table(
        "device_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("safety", sa.Boolean(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=120), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_after_s", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_command_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_device_command_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_command_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_command")),
        sa.UniqueConstraint("device_id", "idempotency_key", name=op.f("uq_device_command_device_id_idempotency_key")),
    )
    with op.batch_alter_table("device_command", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_command_alarm_id"), ["alarm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_device_command_state_next", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_command", schema=None) as batch_op:
        batch_op.drop_index("ix_device_command_state_next")
        batch_op.drop_index(batch_op.f("ix_device_command_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_command_incident_id"))
        batch_op.drop_index(batch_op.f("ix_device_command_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_device_command_device_id"))
        batch_op.drop_index(batch_op.f("ix_device_command_alarm_id"))

    op.drop_table("device_command")
    with op.batch_alter_table("device_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_binding_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_binding_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_device_binding_device_id"))

    op.drop_table("device_binding")
