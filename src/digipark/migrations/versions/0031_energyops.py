"""automation: prepaid electricity accounts of the enterprises and their entries (top-ups, bill deductions)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 00:54:14.779877
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "automation_prepaid_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Float(), nullable=False),
        sa.Column("low_balance", sa.Float(), nullable=False),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_automation_prepaid_account_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_prepaid_account_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_prepaid_account")),
        sa.UniqueConstraint(
            "park_id", "enterprise_id", name=op.f("uq_automation_prepaid_account_park_id_enterprise_id")
        ),
    )
    with op.batch_alter_table("automation_prepaid_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_prepaid_account_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_automation_prepaid_account_park_id"), ["park_id"], unique=False)

    op.create_table(
        "automation_prepaid_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("balance_after", sa.Float(), nullable=False),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["automation_prepaid_account.id"],
            name=op.f("fk_automation_prepaid_entry_account_id_automation_prepaid_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_automation_prepaid_entry_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_automation_prepaid_entry_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_prepaid_entry")),
        sa.UniqueConstraint(
            "account_id", "kind", "month", name=op.f("uq_automation_prepaid_entry_account_id_kind_month")
        ),
    )
    with op.batch_alter_table("automation_prepaid_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_prepaid_entry_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_prepaid_entry_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_prepaid_entry_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("automation_prepaid_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_prepaid_entry_park_id"))
        batch_op.drop_index(batch_op.f("ix_automation_prepaid_entry_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_automation_prepaid_entry_account_id"))

    op.drop_table("automation_prepaid_entry")
    with op.batch_alter_table("automation_prepaid_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_prepaid_account_park_id"))
        batch_op.drop_index(batch_op.f("ix_automation_prepaid_account_enterprise_id"))

    op.drop_table("automation_prepaid_account")
