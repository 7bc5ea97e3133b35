"""telemetry: raw readings, rollups, latest values, device traffic, rejections, dead letters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

On PostgreSQL `reading` is partitioned by range of `ts` (epoch ms), one partition per UTC month, created on
demand by telemetry.store in schema `reading_partitions` (out of `public`, so that schema comparisons see only
declared tables) and dropped whole by telemetry.retention; on SQLite it is a plain table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READING_POSTGRESQL = """
CREATE TABLE reading (
    point_id INTEGER NOT NULL,
    ts BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    quality SMALLINT NOT NULL,
    CONSTRAINT pk_reading PRIMARY KEY (point_id, ts)
) PARTITION BY RANGE (ts)
"""


def _rollup_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("bad_count", sa.Integer(), nullable=False),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("sum", sa.Float(), nullable=True),
        sa.Column("first_ts", sa.BigInteger(), nullable=True),
        sa.Column("first_value", sa.Float(), nullable=True),
        sa.Column("last_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("delta", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["point_id"], ["point.id"], name=op.f(f"fk_{name}_point_id_point"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("point_id", "bucket", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_dead_letter_device_id_device"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_dead_letter_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
    )
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dead_letter_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dead_letter_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_dead_letter_park_id_status_id", ["park_id", "status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dead_letter_reason"), ["reason"], unique=False)
        batch_op.create_index(batch_op.f("ix_dead_letter_token"), ["token"], unique=False)

    op.create_table(
        "device_rejection",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_rejection_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_device_rejection_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_rejection_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("device_id", "reason", name=op.f("pk_device_rejection")),
    )
    with op.batch_alter_table("device_rejection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_rejection_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_rejection_park_id"), ["park_id"], unique=False)

    op.create_table(
        "device_traffic",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_ms", sa.BigInteger(), nullable=True),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("readings", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("bad_quality", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_traffic_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_device_traffic_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_device_traffic_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_traffic")),
    )
    with op.batch_alter_table("device_traffic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_traffic_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_traffic_park_id"), ["park_id"], unique=False)

    op.create_table(
        "point_latest",
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_point_latest_point_id_point"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("point_id", name=op.f("pk_point_latest")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(READING_POSTGRESQL)
        op.execute("CREATE SCHEMA IF NOT EXISTS reading_partitions")  # where telemetry.store puts the partitions
    else:
        op.create_table(
            "reading",
            sa.Column("point_id", sa.Integer(), nullable=False),
            sa.Column("ts", sa.BigInteger(), nullable=False),
            sa.Column("value", sa.Float(), nullable=False),
            sa.Column("quality", sa.SmallInteger(), nullable=False),
            sa.PrimaryKeyConstraint("point_id", "ts", name=op.f("pk_reading")),
        )
    for name in ("rollup_15m", "rollup_1h", "rollup_1d", "rollup_1mo"):
        _rollup_table(name)
    op.create_table(
        "rollup_group",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=60), nullable=False),
        sa.Column("resolution", sa.String(length=4), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("bad_count", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("sum", sa.Float(), nullable=True),
        sa.Column("delta", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "park_id", "enterprise_id", "quantity", "resolution", "bucket", name=op.f("pk_rollup_group")
        ),
    )
    if bind.dialect.name == "postgresql":
        # rows updated by every batch: room on each page keeps those updates HOT (no new index entries)
        for name in ("rollup_15m", "rollup_1h", "rollup_1d", "rollup_1mo", "rollup_group", "point_latest"):
            op.execute(f"ALTER TABLE {name} SET (fillfactor = 70)")


def downgrade() -> None:
    op.drop_table("rollup_group")
    op.drop_table("rollup_1mo")
    op.drop_table("rollup_1h")
    op.drop_table("rollup_1d")
    op.drop_table("rollup_15m")
    op.drop_table("reading")  # drops its partitions too
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SCHEMA IF EXISTS reading_partitions CASCADE")
    op.drop_table("point_latest")
    with op.batch_alter_table("device_traffic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_traffic_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_traffic_enterprise_id"))

    op.drop_table("device_traffic")
    with op.batch_alter_table("device_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_rejection_park_id"))
        batch_op.drop_index(batch_op.f("ix_device_rejection_enterprise_id"))

    op.drop_table("device_rejection")
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letter_token"))
        batch_op.drop_index(batch_op.f("ix_dead_letter_reason"))
        batch_op.drop_index("ix_dead_letter_park_id_status_id")
        batch_op.drop_index(batch_op.f("ix_dead_letter_park_id"))
        batch_op.drop_index(batch_op.f("ix_dead_letter_device_id"))

    op.drop_table("dead_letter")
