"""English names of what the park names itself on the operations pages: asset classes, assets, spare parts,
maintenance plans, work orders the platform opens, compute resources, ICS assets, vulnerability advisories' titles,
pollution outlets, alarm rules (and an alarm's text in English), safety incidents and drills (shown on English
pages; optional, the name is the fallback)

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("asset_class", "name_en", 100),
    ("asset", "name_en", 200),
    ("asset_spare_part", "name_en", 200),
    ("asset_maintenance_plan", "name_en", 200),
    ("work_order", "title_en", 200),
    ("cyber_compute_resource", "name_en", 200),
    ("cyber_ics_asset", "name_en", 200),
    ("cyber_advisory", "title_en", 300),
    ("env_outlet", "name_en", 200),
    ("alarm_rule", "name_en", 200),
    ("alarm", "message_en", 500),
    ("safety_incident", "title_en", 200),
)


def upgrade() -> None:
    for table, column, length in COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(length=length), nullable=True))


def downgrade() -> None:
    for table, column, _length in reversed(COLUMNS):
        op.drop_column(table, column)
