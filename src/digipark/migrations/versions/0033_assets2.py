"""assets: monthly rent invoices of in-force leases (month, days covered, pro-rated amount, issued/paid)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_lease_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lease_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_lease_invoice_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_asset_lease_invoice_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lease_id"],
            ["asset_lease.id"],
            name=op.f("fk_asset_lease_invoice_lease_id_asset_lease"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_asset_lease_invoice_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_lease_invoice")),
        sa.UniqueConstraint("lease_id", "month", name=op.f("uq_asset_lease_invoice_lease_id_month")),
    )
    with op.batch_alter_table("asset_lease_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_lease_invoice_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lease_invoice_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lease_invoice_lease_id"), ["lease_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_lease_invoice_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_lease_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_lease_invoice_park_id"))
        batch_op.drop_index(batch_op.f("ix_asset_lease_invoice_lease_id"))
        batch_op.drop_index(batch_op.f("ix_asset_lease_invoice_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_asset_lease_invoice_asset_id"))
    op.drop_table("asset_lease_invoice")
