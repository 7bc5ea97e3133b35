"""dataspace: collection jobs with schedules and their runs, the NGSI-LD entity changes waiting for notification.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner(table: str) -> list[Any]:
    return [
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=f"fk_{table}_enterprise_id_enterprise", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=f"fk_{table}_park_id_park", ondelete="RESTRICT"),
    ]


def upgrade() -> None:
    op.create_table(
        "ds_ngsi_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("entity_type", sa.String(length=255), nullable=False),
        sa.Column("attrs", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_ds_ngsi_change_park_id_park", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_ds_ngsi_change"),
    )
    op.create_index("ix_ds_ngsi_change_park_id", "ds_ngsi_change", ["park_id"])
    op.create_table(
        "ds_collection_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=1000), nullable=True),
        sa.Column("upload_rows", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=True),
        sa.Column("every_minutes", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *_owner("ds_collection_job"),
        sa.PrimaryKeyConstraint("id", name="pk_ds_collection_job"),
    )
    op.create_index("ix_ds_collection_job_enterprise_id", "ds_collection_job", ["enterprise_id"])
    op.create_index("ix_ds_collection_job_park_id", "ds_collection_job", ["park_id"])
    op.create_index("ix_ds_collection_job_next_run_at", "ds_collection_job", ["next_run_at"])
    op.create_table(
        "ds_collection_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("window", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_kept", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("started_by", sa.String(length=80), nullable=False),
        *_owner("ds_collection_run"),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ds_collection_job.id"],
            name="fk_ds_collection_run_job_id_ds_collection_job",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["ds_dataset.id"], name="fk_ds_collection_run_dataset_id_ds_dataset", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ds_collection_run"),
        sa.UniqueConstraint("job_id", "window", name="uq_ds_collection_run_job_id_window"),
    )
    op.create_index("ix_ds_collection_run_enterprise_id", "ds_collection_run", ["enterprise_id"])
    op.create_index("ix_ds_collection_run_park_id", "ds_collection_run", ["park_id"])
    op.create_index("ix_ds_collection_run_job_id", "ds_collection_run", ["job_id"])


def downgrade() -> None:
    op.drop_table("ds_collection_run")
    op.drop_table("ds_collection_job")
    op.drop_table("ds_ngsi_change")
