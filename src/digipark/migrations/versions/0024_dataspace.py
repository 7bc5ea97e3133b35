"""data space: datasets with their cleaning job and lineage, data products, contracts with their ODRL policy,
the hash-chained contract ledger, industrial internet identifiers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ds_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("derived_from", sa.JSON(), nullable=False),
        sa.Column("job", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_dataset_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_ds_dataset_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_dataset")),
    )
    with op.batch_alter_table("ds_dataset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_dataset_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_dataset_park_id"), ["park_id"], unique=False)

    op.create_table(
        "ds_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("max_accesses", sa.Integer(), nullable=False),
        sa.Column("max_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("published_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["ds_dataset.id"], name=op.f("fk_ds_product_dataset_id_ds_dataset"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_product_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_ds_product_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_product")),
    )
    with op.batch_alter_table("ds_product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_product_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_product_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_product_park_id"), ["park_id"], unique=False)

    op.create_table(
        "ds_contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("provider_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("consumer_enterprise_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("accesses", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_contract_consumer_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_ds_contract_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["ds_product.id"], name=op.f("fk_ds_contract_product_id_ds_product"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_contract_provider_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_contract")),
    )
    with op.batch_alter_table("ds_contract", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ds_contract_consumer_enterprise_id"), ["consumer_enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ds_contract_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_contract_product_id"), ["product_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ds_contract_provider_enterprise_id"), ["provider_enterprise_id"], unique=False
        )

    op.create_table(
        "ds_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["ds_contract.id"], name=op.f("fk_ds_ledger_contract_id_ds_contract"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_ds_ledger_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_ledger")),
        sa.UniqueConstraint("contract_id", "seq", name=op.f("uq_ds_ledger_contract_id_seq")),
    )
    with op.batch_alter_table("ds_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_ledger_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_ledger_park_id"), ["park_id"], unique=False)

    op.create_table(
        "ds_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("target_url", sa.String(length=500), nullable=True),
        sa.Column("resolutions", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_ds_identifier_device_id_device"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_identifier_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_ds_identifier_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_identifier")),
        sa.UniqueConstraint("handle", name=op.f("uq_ds_identifier_handle")),
    )
    with op.batch_alter_table("ds_identifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_identifier_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_identifier_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_identifier_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_identifier_prefix"), ["prefix"], unique=False)

    op.create_table(
        "ds_connector_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=12), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("daily_quota", sa.Integer(), nullable=False),
        sa.Column("used_today", sa.Integer(), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["ds_contract.id"],
            name=op.f("fk_ds_connector_key_contract_id_ds_contract"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_ds_connector_key_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_ds_connector_key_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ds_connector_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_ds_connector_key_key_hash")),
    )
    with op.batch_alter_table("ds_connector_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ds_connector_key_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_connector_key_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ds_connector_key_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ds_connector_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_connector_key_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_connector_key_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_ds_connector_key_contract_id"))

    op.drop_table("ds_connector_key")
    with op.batch_alter_table("ds_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_identifier_prefix"))
        batch_op.drop_index(batch_op.f("ix_ds_identifier_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_identifier_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_ds_identifier_device_id"))

    op.drop_table("ds_identifier")
    with op.batch_alter_table("ds_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_ledger_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_ledger_contract_id"))

    op.drop_table("ds_ledger")
    with op.batch_alter_table("ds_contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_contract_provider_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_ds_contract_product_id"))
        batch_op.drop_index(batch_op.f("ix_ds_contract_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_contract_consumer_enterprise_id"))

    op.drop_table("ds_contract")
    with op.batch_alter_table("ds_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_product_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_product_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_ds_product_dataset_id"))

    op.drop_table("ds_product")
    with op.batch_alter_table("ds_dataset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ds_dataset_park_id"))
        batch_op.drop_index(batch_op.f("ix_ds_dataset_enterprise_id"))

    op.drop_table("ds_dataset")
