"""English names and texts shown on English pages: duty teams and shifts, data products, investment candidates,
approval processes with their applications and steps, service offerings, the transformation catalogue, car parks
and land parcels' users

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, type)
COLUMNS: tuple[tuple[str, str, sa.types.TypeEngine[Any]], ...] = (
    ("duty_team", "name_en", sa.String(length=120)),
    ("duty_shift", "name_en", sa.String(length=120)),
    ("ds_product", "title_en", sa.String(length=200)),
    ("investment_candidate", "name_en", sa.String(length=200)),
    ("approval_definition", "name_en", sa.String(length=200)),
    ("approval_instance", "title_en", sa.String(length=200)),
    ("approval_task", "title_en", sa.String(length=200)),
    ("service_offering", "name_en", sa.String(length=200)),
    ("service_offering", "provider_name_en", sa.String(length=200)),
    ("service_offering", "capacity_unit_en", sa.String(length=30)),
    ("digital_catalogue_entry", "name_en", sa.String(length=200)),
    ("digital_catalogue_entry", "provider_en", sa.String(length=200)),
    ("digital_catalogue_entry", "description_en", sa.Text()),
    ("digital_catalogue_entry", "price_note_en", sa.String(length=200)),
    ("car_park", "name_en", sa.String(length=100)),
    ("land_parcel", "owner_en", sa.String(length=200)),
)


def upgrade() -> None:
    for table, column, kind in COLUMNS:
        op.add_column(table, sa.Column(column, kind, nullable=True))


def downgrade() -> None:
    for table, column, _kind in reversed(COLUMNS):
        op.drop_column(table, column)
