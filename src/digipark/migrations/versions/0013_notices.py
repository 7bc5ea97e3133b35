"""notices: park notices (drafts, publishing, audience, pinning, expiry) and their read receipts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_notice_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_park_id"), ["park_id"], unique=False)

    op.create_table(
        "notice_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("first_read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_notice_receipt_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_receipt_notice_id_notice"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_notice_receipt_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_notice_receipt_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_receipt")),
        sa.UniqueConstraint("notice_id", "user_id", name=op.f("uq_notice_receipt_notice_id_user_id")),
    )
    with op.batch_alter_table("notice_receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_receipt_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_receipt_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_receipt_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_receipt_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_receipt_user_id"))
        batch_op.drop_index(batch_op.f("ix_notice_receipt_park_id"))
        batch_op.drop_index(batch_op.f("ix_notice_receipt_notice_id"))
        batch_op.drop_index(batch_op.f("ix_notice_receipt_enterprise_id"))

    op.drop_table("notice_receipt")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_park_id"))

    op.drop_table("notice")
