"""telemetry: readings carry their point's park, so that PostgreSQL can keep a park's readings on another server

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-07

`reading.park_id` (the point's park, written by telemetry.store). On PostgreSQL `reading` becomes a table
partitioned by LIST (park_id) whose DEFAULT partition, `reading_partitions.reading_local`, is the former table
(partitioned by month as before, with the primary key (point_id, ts)); `digipark shard attach` adds a park's
partition on another server (a postgres_fdw foreign table, telemetry.shards). The parent has no primary key: a
unique index on a partitioned table cannot cover a foreign partition; every partition keeps its own (the local
one here, the remote table there), and (point_id, ts) lies in one partition since a point stays in its park.
Existing readings get their point's park (one pass over the table); readings of points deleted since are dropped
(they were never read, and retention would have dropped them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0049"
down_revision: str | None = "0048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL = "UPDATE reading r SET park_id = p.park_id FROM point p WHERE p.id = r.point_id"
ORPHANS = "DELETE FROM reading WHERE park_id IS NULL"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.add_column("reading", sa.Column("park_id", sa.Integer(), nullable=True))
        op.execute("UPDATE reading SET park_id = (SELECT p.park_id FROM point p WHERE p.id = reading.point_id)")
        op.execute(ORPHANS)
        with op.batch_alter_table("reading") as batch_op:
            batch_op.alter_column("park_id", existing_type=sa.Integer(), nullable=False)
        return
    op.execute("ALTER TABLE reading ADD COLUMN park_id integer")
    op.execute(FILL)
    op.execute(ORPHANS)
    op.execute("ALTER TABLE reading ALTER COLUMN park_id SET NOT NULL")
    op.execute("CREATE SCHEMA IF NOT EXISTS reading_partitions")
    op.execute("ALTER TABLE reading SET SCHEMA reading_partitions")
    op.execute("ALTER TABLE reading_partitions.reading RENAME TO reading_local")
    op.execute(
        """
        CREATE TABLE reading (
            point_id INTEGER NOT NULL,
            ts BIGINT NOT NULL,
            value DOUBLE PRECISION NOT NULL,
            quality SMALLINT NOT NULL,
            park_id INTEGER NOT NULL
        ) PARTITION BY LIST (park_id)
        """
    )
    op.execute("ALTER TABLE reading ATTACH PARTITION reading_partitions.reading_local DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("reading") as batch_op:
            batch_op.drop_column("park_id")
        return
    shards = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT count(*) FROM pg_inherits i JOIN pg_foreign_table f ON f.ftrelid = i.inhrelid "
                "WHERE i.inhparent = 'reading'::regclass"
            )
        )
        .scalar_one()
    )
    if shards:
        raise RuntimeError("parks' readings are on other servers: `digipark shard detach` each park first")
    op.execute("ALTER TABLE reading DETACH PARTITION reading_partitions.reading_local")
    op.execute("DROP TABLE reading")
    op.execute("ALTER TABLE reading_partitions.reading_local RENAME TO reading")
    op.execute("ALTER TABLE reading_partitions.reading SET SCHEMA public")
    op.execute("ALTER TABLE reading DROP COLUMN park_id")
