"""services: the service catalogue, bookings of shared resources (one row per held slot and unit, unique: no double
booking), maintenance windows, usage; group purchasing (demands, rounds, suppliers, quotes) and joint selling
listings; partner relations, the demand board and supplier shares; shipments; finance applications

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purchase_supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_purchase_supplier_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_supplier")),
    )
    with op.batch_alter_table("purchase_supplier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_supplier_park_id"), ["park_id"], unique=False)

    op.create_table(
        "board_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("industry_codes", sa.JSON(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_board_post_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_board_post_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_post")),
    )
    with op.batch_alter_table("board_post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_post_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_post_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_post_park_id"), ["park_id"], unique=False)

    op.create_table(
        "partner_relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_enterprise_id", sa.Integer(), nullable=False),
        sa.Column("goods", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_partner_relation_customer_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_partner_relation_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_partner_relation_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_relation")),
        sa.UniqueConstraint(
            "enterprise_id",
            "customer_enterprise_id",
            "goods",
            name=op.f("uq_partner_relation_enterprise_id_customer_enterprise_id_goods"),
        ),
    )
    with op.batch_alter_table("partner_relation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_relation_customer_enterprise_id"), ["customer_enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_partner_relation_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_relation_park_id"), ["park_id"], unique=False)

    op.create_table(
        "purchase_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("total_quantity", sa.Float(), nullable=False),
        sa.Column("demand_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("awarded_unit_price_yuan", sa.Float(), nullable=True),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_purchase_round_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["purchase_supplier.id"],
            name=op.f("fk_purchase_round_supplier_id_purchase_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_round")),
    )
    with op.batch_alter_table("purchase_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_round_park_id"), ["park_id"], unique=False)

    op.create_table(
        "sales_listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("unit_price_yuan", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_sales_listing_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_sales_listing_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_listing")),
    )
    with op.batch_alter_table("sales_listing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_listing_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_listing_park_id"), ["park_id"], unique=False)

    op.create_table(
        "service_offering",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Float(), nullable=True),
        sa.Column("capacity_unit", sa.String(length=30), nullable=True),
        sa.Column("unit_price_yuan", sa.Float(), nullable=True),
        sa.Column("price_unit", sa.String(length=20), nullable=False),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.Column("bookable", sa.Boolean(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("cancel_hours", sa.Integer(), nullable=False),
        sa.Column("transformation_entry_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_service_offering_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_service_offering_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_offering")),
    )
    with op.batch_alter_table("service_offering", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_offering_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_offering_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_service_offering_park_id_kind", ["park_id", "kind"], unique=False)

    op.create_table(
        "supplier_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_enterprise_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("forecast_order_qty", sa.Float(), nullable=False),
        sa.Column("capacity_qty", sa.Float(), nullable=False),
        sa.Column("stock_qty", sa.Float(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_supplier_share_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lead_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_supplier_share_lead_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_supplier_share_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_share")),
        sa.UniqueConstraint(
            "enterprise_id",
            "lead_enterprise_id",
            "item",
            "period",
            name=op.f("uq_supplier_share_enterprise_id_lead_enterprise_id_item_period"),
        ),
    )
    with op.batch_alter_table("supplier_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_share_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supplier_share_lead_enterprise_id"), ["lead_enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supplier_share_park_id"), ["park_id"], unique=False)

    op.create_table(
        "finance_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("provider_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("amount_wan_yuan", sa.Float(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_by", sa.String(length=120), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=True),
        sa.Column("profile_shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_finance_application_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["service_offering.id"],
            name=op.f("fk_finance_application_offering_id_service_offering"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_finance_application_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_finance_application_provider_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_application")),
    )
    with op.batch_alter_table("finance_application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_application_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_application_offering_id"), ["offering_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_application_park_id"), ["park_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_finance_application_provider_enterprise_id"), ["provider_enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_finance_application_status"), ["status"], unique=False)

    op.create_table(
        "purchase_demand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("last_unit_price_yuan", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("awarded_unit_price_yuan", sa.Float(), nullable=True),
        sa.Column("delivered_quantity", sa.Float(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_purchase_demand_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_purchase_demand_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["purchase_round.id"],
            name=op.f("fk_purchase_demand_round_id_purchase_round"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_demand")),
    )
    with op.batch_alter_table("purchase_demand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_demand_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_purchase_demand_park_id"), ["park_id"], unique=False)
        batch_op.create_index(
            "ix_purchase_demand_park_id_category_period", ["park_id", "category", "period"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_purchase_demand_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_purchase_demand_status"), ["status"], unique=False)

    op.create_table(
        "purchase_quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("unit_price_yuan", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_purchase_quote_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["purchase_round.id"],
            name=op.f("fk_purchase_quote_round_id_purchase_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["purchase_supplier.id"],
            name=op.f("fk_purchase_quote_supplier_id_purchase_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_quote")),
        sa.UniqueConstraint("round_id", "supplier_id", name=op.f("uq_purchase_quote_round_id_supplier_id")),
    )
    with op.batch_alter_table("purchase_quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_quote_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_purchase_quote_round_id"), ["round_id"], unique=False)

    op.create_table(
        "service_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("provider_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_service_booking_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["service_offering.id"],
            name=op.f("fk_service_booking_offering_id_service_offering"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_service_booking_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_service_booking_provider_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_booking")),
    )
    with op.batch_alter_table("service_booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_booking_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index("ix_service_booking_offering_id_starts_at", ["offering_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_booking_park_id"), ["park_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_service_booking_provider_enterprise_id"), ["provider_enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_service_booking_status"), ["status"], unique=False)

    op.create_table(
        "service_maintenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["service_offering.id"],
            name=op.f("fk_service_maintenance_offering_id_service_offering"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_service_maintenance_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_maintenance")),
    )
    with op.batch_alter_table("service_maintenance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_maintenance_offering_id"), ["offering_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_maintenance_park_id"), ["park_id"], unique=False)

    op.create_table(
        "service_booking_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_no", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("maintenance_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["service_booking.id"],
            name=op.f("fk_service_booking_slot_booking_id_service_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["service_maintenance.id"],
            name=op.f("fk_service_booking_slot_maintenance_id_service_maintenance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["service_offering.id"],
            name=op.f("fk_service_booking_slot_offering_id_service_offering"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_service_booking_slot_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_booking_slot")),
        sa.UniqueConstraint(
            "offering_id", "slot_start", "unit_no", name=op.f("uq_service_booking_slot_offering_id_slot_start_unit_no")
        ),
    )
    with op.batch_alter_table("service_booking_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_booking_slot_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_booking_slot_maintenance_id"), ["maintenance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_booking_slot_park_id"), ["park_id"], unique=False)

    op.create_table(
        "service_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("provider_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("amount_yuan", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["service_booking.id"],
            name=op.f("fk_service_usage_booking_id_service_booking"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_service_usage_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["service_offering.id"],
            name=op.f("fk_service_usage_offering_id_service_offering"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_service_usage_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_service_usage_provider_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_usage")),
    )
    with op.batch_alter_table("service_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_usage_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_usage_offering_id"), ["offering_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_usage_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_service_usage_park_id_used_on", ["park_id", "used_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_service_usage_provider_enterprise_id"), ["provider_enterprise_id"], unique=False
        )

    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("consignee", sa.String(length=200), nullable=False),
        sa.Column("carrier", sa.String(length=200), nullable=True),
        sa.Column("plate", sa.String(length=20), nullable=True),
        sa.Column("goods", sa.String(length=200), nullable=False),
        sa.Column("weight_t", sa.Float(), nullable=True),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dock_booking_id", sa.Integer(), nullable=True),
        sa.Column("gate_events", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dock_booking_id"],
            ["service_booking.id"],
            name=op.f("fk_shipment_dock_booking_id_service_booking"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_shipment_enterprise_id_enterprise"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_shipment_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
    )
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipment_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_park_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_enterprise_id"))

    op.drop_table("shipment")
    with op.batch_alter_table("service_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_usage_provider_enterprise_id"))
        batch_op.drop_index("ix_service_usage_park_id_used_on")
        batch_op.drop_index(batch_op.f("ix_service_usage_park_id"))
        batch_op.drop_index(batch_op.f("ix_service_usage_offering_id"))
        batch_op.drop_index(batch_op.f("ix_service_usage_enterprise_id"))

    op.drop_table("service_usage")
    with op.batch_alter_table("service_booking_slot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_booking_slot_park_id"))
        batch_op.drop_index(batch_op.f("ix_service_booking_slot_maintenance_id"))
        batch_op.drop_index(batch_op.f("ix_service_booking_slot_booking_id"))

    op.drop_table("service_booking_slot")
    with op.batch_alter_table("service_maintenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_maintenance_park_id"))
        batch_op.drop_index(batch_op.f("ix_service_maintenance_offering_id"))

    op.drop_table("service_maintenance")
    with op.batch_alter_table("service_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_booking_status"))
        batch_op.drop_index(batch_op.f("ix_service_booking_provider_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_service_booking_park_id"))
        batch_op.drop_index("ix_service_booking_offering_id_starts_at")
        batch_op.drop_index(batch_op.f("ix_service_booking_enterprise_id"))

    op.drop_table("service_booking")
    with op.batch_alter_table("purchase_quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_quote_round_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_quote_park_id"))

    op.drop_table("purchase_quote")
    with op.batch_alter_table("purchase_demand", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_demand_status"))
        batch_op.drop_index(batch_op.f("ix_purchase_demand_round_id"))
        batch_op.drop_index("ix_purchase_demand_park_id_category_period")
        batch_op.drop_index(batch_op.f("ix_purchase_demand_park_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_demand_enterprise_id"))

    op.drop_table("purchase_demand")
    with op.batch_alter_table("finance_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finance_application_status"))
        batch_op.drop_index(batch_op.f("ix_finance_application_provider_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_finance_application_park_id"))
        batch_op.drop_index(batch_op.f("ix_finance_application_offering_id"))
        batch_op.drop_index(batch_op.f("ix_finance_application_enterprise_id"))

    op.drop_table("finance_application")
    with op.batch_alter_table("supplier_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_share_park_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_share_lead_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_share_enterprise_id"))

    op.drop_table("supplier_share")
    with op.batch_alter_table("service_offering", schema=None) as batch_op:
        batch_op.drop_index("ix_service_offering_park_id_kind")
        batch_op.drop_index(batch_op.f("ix_service_offering_park_id"))
        batch_op.drop_index(batch_op.f("ix_service_offering_enterprise_id"))

    op.drop_table("service_offering")
    with op.batch_alter_table("sales_listing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_listing_park_id"))
        batch_op.drop_index(batch_op.f("ix_sales_listing_enterprise_id"))

    op.drop_table("sales_listing")
    with op.batch_alter_table("purchase_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_round_park_id"))

    op.drop_table("purchase_round")
    with op.batch_alter_table("partner_relation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_relation_park_id"))
        batch_op.drop_index(batch_op.f("ix_partner_relation_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_partner_relation_customer_enterprise_id"))

    op.drop_table("partner_relation")
    with op.batch_alter_table("board_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_post_park_id"))
        batch_op.drop_index(batch_op.f("ix_board_post_kind"))
        batch_op.drop_index(batch_op.f("ix_board_post_enterprise_id"))

    op.drop_table("board_post")
    with op.batch_alter_table("purchase_supplier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_supplier_park_id"))

    op.drop_table("purchase_supplier")
