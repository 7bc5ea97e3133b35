"""cybersec: log sources of the syslog listener (allow-list and tokens), the ICS self-assessment against
《工业控制系统网络安全防护指南》 with its rectification tasks, and the emergency incident a security incident was
handed over to

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cyber_ics_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessor", sa.String(length=100), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_ics_assessment_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_ics_assessment_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_ics_assessment")),
    )
    with op.batch_alter_table("cyber_ics_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_ics_assessment_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_ics_assessment_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_log_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("network", sa.String(length=50), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_log_source_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_log_source_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_log_source")),
        sa.UniqueConstraint("park_id", "name", name=op.f("uq_cyber_log_source_park_id_name")),
    )
    with op.batch_alter_table("cyber_log_source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_log_source_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_log_source_park_id"), ["park_id"], unique=False)

    op.create_table(
        "cyber_ics_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["cyber_ics_assessment.id"],
            name=op.f("fk_cyber_ics_task_assessment_id_cyber_ics_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_cyber_ics_task_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_cyber_ics_task_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cyber_ics_task")),
    )
    with op.batch_alter_table("cyber_ics_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cyber_ics_task_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_ics_task_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cyber_ics_task_park_id"), ["park_id"], unique=False)

    with op.batch_alter_table("cyber_incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("safety_incident_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cyber_incident", schema=None) as batch_op:
        batch_op.drop_column("safety_incident_id")

    with op.batch_alter_table("cyber_ics_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_ics_task_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_ics_task_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_ics_task_assessment_id"))

    op.drop_table("cyber_ics_task")
    with op.batch_alter_table("cyber_log_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_log_source_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_log_source_enterprise_id"))

    op.drop_table("cyber_log_source")
    with op.batch_alter_table("cyber_ics_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cyber_ics_assessment_park_id"))
        batch_op.drop_index(batch_op.f("ix_cyber_ics_assessment_enterprise_id"))

    op.drop_table("cyber_ics_assessment")
