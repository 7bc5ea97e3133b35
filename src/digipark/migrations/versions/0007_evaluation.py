"""evaluation: declared indicator values with evidence, signed annual snapshots

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

A snapshot is written once per park and year (uq_evaluation_snapshot_park_id_year) and never changed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_name", sa.String(length=200), nullable=True),
        sa.Column("evidence_type", sa.String(length=100), nullable=True),
        sa.Column("evidence_size", sa.Integer(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence", sa.LargeBinary(), nullable=True),
        sa.Column("declared_by", sa.String(length=120), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_evaluation_declaration_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_declaration")),
    )
    with op.batch_alter_table("evaluation_declaration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_declaration_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_evaluation_declaration_park_id_indicator", ["park_id", "indicator"], unique=False)

    op.create_table(
        "evaluation_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("met_standards", sa.Integer(), nullable=False),
        sa.Column("met_indicators", sa.Integer(), nullable=False),
        sa.Column("indicators", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("signed_by", sa.String(length=120), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_evaluation_snapshot_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_snapshot")),
        sa.UniqueConstraint("park_id", "year", name=op.f("uq_evaluation_snapshot_park_id_year")),
    )
    with op.batch_alter_table("evaluation_snapshot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_snapshot_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_snapshot_park_id"))
    op.drop_table("evaluation_snapshot")
    with op.batch_alter_table("evaluation_declaration", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_declaration_park_id_indicator")
        batch_op.drop_index(batch_op.f("ix_evaluation_declaration_park_id"))
    op.drop_table("evaluation_declaration")
