"""approvals: versioned approval definitions (BPMN, DMN, form), applications with their serialised workflow, their
tasks with deadlines, reviewers' departments, uploaded and decision documents, and submissions reported upward

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("dmn_xml", sa.JSON(), nullable=False),
        sa.Column("form_schema", sa.JSON(), nullable=False),
        sa.Column("bpmn_sha256", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("published_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_approval_definition_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_definition")),
        sa.UniqueConstraint("park_id", "key", "version", name=op.f("uq_approval_definition_park_id_key_version")),
    )
    with op.batch_alter_table("approval_definition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_definition_park_id"), ["park_id"], unique=False)

    op.create_table(
        "approval_upward_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("submitted_by", sa.String(length=80), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_approval_upward_submission_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_upward_submission")),
    )
    with op.batch_alter_table("approval_upward_submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_upward_submission_park_id"), ["park_id"], unique=False)

    op.create_table(
        "approval_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("applicant", sa.String(length=80), nullable=False),
        sa.Column("form_data", sa.JSON(), nullable=False),
        sa.Column("platform_data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("workflow", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amount_wan_yuan", sa.Float(), nullable=True),
        sa.Column("decision_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["approval_definition.id"],
            name=op.f("fk_approval_instance_definition_id_approval_definition"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_approval_instance_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_approval_instance_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_instance")),
    )
    with op.batch_alter_table("approval_instance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_instance_definition_id"), ["definition_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_instance_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_instance_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_instance_process_key"), ["process_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_instance_state"), ["state"], unique=False)

    op.create_table(
        "approval_department_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_approval_department_member_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_approval_department_member_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_department_member")),
        sa.UniqueConstraint("user_id", "department", name=op.f("uq_approval_department_member_user_id_department")),
    )
    with op.batch_alter_table("approval_department_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_department_member_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_department_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "approval_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_approval_document_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["approval_instance.id"],
            name=op.f("fk_approval_document_instance_id_approval_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_approval_document_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_document")),
    )
    with op.batch_alter_table("approval_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_document_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_document_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_document_park_id"), ["park_id"], unique=False)

    op.create_table(
        "approval_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("spiff_task_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("completed_by", sa.String(length=80), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_approval_task_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["approval_instance.id"],
            name=op.f("fk_approval_task_instance_id_approval_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_approval_task_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_task")),
        sa.UniqueConstraint("instance_id", "spiff_task_id", name=op.f("uq_approval_task_instance_id_spiff_task_id")),
    )
    with op.batch_alter_table("approval_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_task_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_task_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_task_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_task_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_task_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("approval_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_task_state"))
        batch_op.drop_index(batch_op.f("ix_approval_task_park_id"))
        batch_op.drop_index(batch_op.f("ix_approval_task_instance_id"))
        batch_op.drop_index(batch_op.f("ix_approval_task_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_approval_task_department"))

    op.drop_table("approval_task")
    with op.batch_alter_table("approval_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_document_park_id"))
        batch_op.drop_index(batch_op.f("ix_approval_document_instance_id"))
        batch_op.drop_index(batch_op.f("ix_approval_document_enterprise_id"))

    op.drop_table("approval_document")
    with op.batch_alter_table("approval_department_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_department_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_approval_department_member_park_id"))

    op.drop_table("approval_department_member")
    with op.batch_alter_table("approval_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_instance_state"))
        batch_op.drop_index(batch_op.f("ix_approval_instance_process_key"))
        batch_op.drop_index(batch_op.f("ix_approval_instance_park_id"))
        batch_op.drop_index(batch_op.f("ix_approval_instance_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_approval_instance_definition_id"))

    op.drop_table("approval_instance")
    with op.batch_alter_table("approval_upward_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_upward_submission_park_id"))

    op.drop_table("approval_upward_submission")
    with op.batch_alter_table("approval_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_definition_park_id"))

    op.drop_table("approval_definition")
