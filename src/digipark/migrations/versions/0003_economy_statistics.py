"""economy: monthly statistics, corrections, reminders, qualifications, intellectual property, products

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The dashboard reads a park's statistics of a range of months through ix_monthly_statistic_park_id_period.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_statistic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("output_value_wan_yuan", sa.Float(), nullable=False),
        sa.Column("sales_revenue_wan_yuan", sa.Float(), nullable=False),
        sa.Column("tax_paid_wan_yuan", sa.Float(), nullable=False),
        sa.Column("total_profit_wan_yuan", sa.Float(), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("rnd_spending_wan_yuan", sa.Float(), nullable=False),
        sa.Column("electricity_kwh", sa.Float(), nullable=False),
        sa.Column("export_value_wan_yuan", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_monthly_statistic_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_monthly_statistic_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_statistic")),
        sa.UniqueConstraint("enterprise_id", "period", name=op.f("uq_monthly_statistic_enterprise_id_period")),
    )
    with op.batch_alter_table("monthly_statistic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monthly_statistic_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_monthly_statistic_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_monthly_statistic_park_id_period", ["park_id", "period"], unique=False)

    op.create_table(
        "monthly_statistic_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("corrected_by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_monthly_statistic_revision_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_monthly_statistic_revision_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["monthly_statistic.id"],
            name=op.f("fk_monthly_statistic_revision_statistic_id_monthly_statistic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_statistic_revision")),
        sa.UniqueConstraint(
            "statistic_id", "revision", name=op.f("uq_monthly_statistic_revision_statistic_id_revision")
        ),
    )
    with op.batch_alter_table("monthly_statistic_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monthly_statistic_revision_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_monthly_statistic_revision_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_monthly_statistic_revision_statistic_id"), ["statistic_id"], unique=False)

    op.create_table(
        "statistic_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sent_by", sa.String(length=120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_statistic_reminder_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_statistic_reminder_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistic_reminder")),
    )
    with op.batch_alter_table("statistic_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statistic_reminder_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statistic_reminder_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_statistic_reminder_park_id_period", ["park_id", "period"], unique=False)

    op.create_table(
        "qualification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("certificate_no", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_qualification_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_qualification_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification")),
    )
    with op.batch_alter_table("qualification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qualification_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_qualification_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_qualification_park_id"), ["park_id"], unique=False)

    op.create_table(
        "intellectual_property",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("granted_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_intellectual_property_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_intellectual_property_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intellectual_property")),
    )
    with op.batch_alter_table("intellectual_property", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intellectual_property_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intellectual_property_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_intellectual_property_park_id"), ["park_id"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("annual_output", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_product_enterprise_id_enterprise"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_product_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    # dropping a table drops its indexes
    for table in (
        "product",
        "intellectual_property",
        "qualification",
        "statistic_reminder",
        "monthly_statistic_revision",
        "monthly_statistic",
    ):
        op.drop_table(table)
