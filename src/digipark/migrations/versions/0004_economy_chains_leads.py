"""economy: industry chains and investment leads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Chains (park-visible structure: chain, segments, edges), enterprises mapped to segments, local supply relations,
and the investment register: candidates outside the park, leads through the pipeline and their history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "industry_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_industry_chain_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_industry_chain")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_industry_chain_park_id_code")),
    )
    with op.batch_alter_table("industry_chain", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_industry_chain_park_id"), ["park_id"], unique=False)

    op.create_table(
        "chain_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("industry_codes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["industry_chain.id"],
            name=op.f("fk_chain_segment_chain_id_industry_chain"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_chain_segment_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_segment")),
        sa.UniqueConstraint("chain_id", "code", name=op.f("uq_chain_segment_chain_id_code")),
    )
    with op.batch_alter_table("chain_segment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chain_segment_chain_id"), ["chain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chain_segment_park_id"), ["park_id"], unique=False)

    op.create_table(
        "supply_relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("annual_value_wan_yuan", sa.Float(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["enterprise.id"],
            name=op.f("fk_supply_relation_customer_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_supply_relation_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["enterprise.id"],
            name=op.f("fk_supply_relation_supplier_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_relation")),
        sa.UniqueConstraint(
            "supplier_id", "customer_id", "product", name=op.f("uq_supply_relation_supplier_id_customer_id_product")
        ),
    )
    with op.batch_alter_table("supply_relation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supply_relation_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supply_relation_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supply_relation_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "chain_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("from_segment_id", sa.Integer(), nullable=False),
        sa.Column("to_segment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"], ["industry_chain.id"], name=op.f("fk_chain_edge_chain_id_industry_chain"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["from_segment_id"],
            ["chain_segment.id"],
            name=op.f("fk_chain_edge_from_segment_id_chain_segment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_chain_edge_park_id_park"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["to_segment_id"],
            ["chain_segment.id"],
            name=op.f("fk_chain_edge_to_segment_id_chain_segment"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_edge")),
        sa.UniqueConstraint(
            "from_segment_id", "to_segment_id", name=op.f("uq_chain_edge_from_segment_id_to_segment_id")
        ),
    )
    with op.batch_alter_table("chain_edge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chain_edge_chain_id"), ["chain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chain_edge_from_segment_id"), ["from_segment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chain_edge_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chain_edge_to_segment_id"), ["to_segment_id"], unique=False)

    op.create_table(
        "enterprise_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["industry_chain.id"],
            name=op.f("fk_enterprise_segment_chain_id_industry_chain"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_enterprise_segment_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_enterprise_segment_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["chain_segment.id"],
            name=op.f("fk_enterprise_segment_segment_id_chain_segment"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_segment")),
        sa.UniqueConstraint("enterprise_id", "segment_id", name=op.f("uq_enterprise_segment_enterprise_id_segment_id")),
    )
    with op.batch_alter_table("enterprise_segment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_segment_chain_id"), ["chain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_segment_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_segment_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_segment_segment_id"), ["segment_id"], unique=False)

    op.create_table(
        "investment_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("revenue_wan_yuan", sa.Float(), nullable=True),
        sa.Column("products", sa.String(length=500), nullable=True),
        sa.Column("land_need_m2", sa.Float(), nullable=True),
        sa.Column("floor_need_m2", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_investment_candidate_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["chain_segment.id"],
            name=op.f("fk_investment_candidate_segment_id_chain_segment"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_candidate")),
        sa.UniqueConstraint("park_id", "uscc", name=op.f("uq_investment_candidate_park_id_uscc")),
    )
    with op.batch_alter_table("investment_candidate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_investment_candidate_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_candidate_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_candidate_segment_id"), ["segment_id"], unique=False)

    op.create_table(
        "investment_lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("next_action", sa.String(length=300), nullable=True),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("contacted_on", sa.Date(), nullable=True),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("negotiating_on", sa.Date(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("lost_on", sa.Date(), nullable=True),
        sa.Column("lost_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["investment_candidate.id"],
            name=op.f("fk_investment_lead_candidate_id_investment_candidate"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["app_user.id"],
            name=op.f("fk_investment_lead_owner_user_id_app_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_investment_lead_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_lead")),
        sa.UniqueConstraint("candidate_id", name=op.f("uq_investment_lead_candidate_id")),
    )
    with op.batch_alter_table("investment_lead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_investment_lead_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_lead_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_lead_stage"), ["stage"], unique=False)

    op.create_table(
        "investment_lead_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=True),
        sa.Column("to_stage", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["app_user.id"],
            name=op.f("fk_investment_lead_event_actor_user_id_app_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["investment_lead.id"],
            name=op.f("fk_investment_lead_event_lead_id_investment_lead"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_investment_lead_event_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_lead_event")),
    )
    with op.batch_alter_table("investment_lead_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_investment_lead_event_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_lead_event_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("investment_lead_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_lead_event_park_id"))
        batch_op.drop_index(batch_op.f("ix_investment_lead_event_lead_id"))

    op.drop_table("investment_lead_event")
    with op.batch_alter_table("investment_lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_lead_stage"))
        batch_op.drop_index(batch_op.f("ix_investment_lead_park_id"))
        batch_op.drop_index(batch_op.f("ix_investment_lead_owner_user_id"))

    op.drop_table("investment_lead")
    with op.batch_alter_table("investment_candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_candidate_segment_id"))
        batch_op.drop_index(batch_op.f("ix_investment_candidate_park_id"))
        batch_op.drop_index(batch_op.f("ix_investment_candidate_name"))

    op.drop_table("investment_candidate")
    with op.batch_alter_table("enterprise_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_segment_segment_id"))
        batch_op.drop_index(batch_op.f("ix_enterprise_segment_park_id"))
        batch_op.drop_index(batch_op.f("ix_enterprise_segment_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_enterprise_segment_chain_id"))

    op.drop_table("enterprise_segment")
    with op.batch_alter_table("chain_edge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_edge_to_segment_id"))
        batch_op.drop_index(batch_op.f("ix_chain_edge_park_id"))
        batch_op.drop_index(batch_op.f("ix_chain_edge_from_segment_id"))
        batch_op.drop_index(batch_op.f("ix_chain_edge_chain_id"))

    op.drop_table("chain_edge")
    with op.batch_alter_table("supply_relation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_relation_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supply_relation_park_id"))
        batch_op.drop_index(batch_op.f("ix_supply_relation_customer_id"))

    op.drop_table("supply_relation")
    with op.batch_alter_table("chain_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_segment_park_id"))
        batch_op.drop_index(batch_op.f("ix_chain_segment_chain_id"))

    op.drop_table("chain_segment")
    with op.batch_alter_table("industry_chain", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_industry_chain_park_id"))

    op.drop_table("industry_chain")
