"""duty: on-duty rosters (teams, members in roster order, shifts on a weekly pattern, date overrides); the person of
the roster an alarm delivery went to

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duty_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("lead_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_user_id"], ["app_user.id"], name=op.f("fk_duty_team_lead_user_id_app_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_duty_team_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_team")),
        sa.UniqueConstraint("park_id", "name", name=op.f("uq_duty_team_park_id_name")),
    )
    with op.batch_alter_table("duty_team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_team_park_id"), ["park_id"], unique=False)

    op.create_table(
        "duty_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_duty_member_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["duty_team.id"], name=op.f("fk_duty_member_team_id_duty_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_duty_member_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_member")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_duty_member_team_id_user_id")),
    )
    with op.batch_alter_table("duty_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_member_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_member_team_id"), ["team_id"], unique=False)

    op.create_table(
        "duty_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_duty_shift_park_id_park"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["team_id"], ["duty_team.id"], name=op.f("fk_duty_shift_team_id_duty_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shift")),
    )
    with op.batch_alter_table("duty_shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_shift_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_shift_team_id"), ["team_id"], unique=False)

    op.create_table(
        "duty_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("off", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_duty_override_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["duty_shift.id"], name=op.f("fk_duty_override_shift_id_duty_shift"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_duty_override_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_override")),
        sa.UniqueConstraint("shift_id", "on_date", name=op.f("uq_duty_override_shift_id_on_date")),
    )
    with op.batch_alter_table("duty_override", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_override_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_override_shift_id"), ["shift_id"], unique=False)

    with op.batch_alter_table("alarm_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alarm_delivery_user_id_app_user"), "app_user", ["user_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("alarm_delivery", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alarm_delivery_user_id_app_user"), type_="foreignkey")
        batch_op.drop_column("user_id")

    with op.batch_alter_table("duty_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_override_shift_id"))
        batch_op.drop_index(batch_op.f("ix_duty_override_park_id"))

    op.drop_table("duty_override")
    with op.batch_alter_table("duty_shift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_shift_team_id"))
        batch_op.drop_index(batch_op.f("ix_duty_shift_park_id"))

    op.drop_table("duty_shift")
    with op.batch_alter_table("duty_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_member_team_id"))
        batch_op.drop_index(batch_op.f("ix_duty_member_park_id"))

    op.drop_table("duty_member")
    with op.batch_alter_table("duty_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_team_park_id"))

    op.drop_table("duty_team")
