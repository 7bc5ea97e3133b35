"""workorders living

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-06 14:51:39.896791
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0020'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('work_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('lead', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['park_id'], ['park.id'], name=op.f('fk_work_team_park_id_park'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_team'))
    )
    with op.batch_alter_table('work_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_team_park_id'), ['park_id'], unique=False)

    op.create_table('work_dispatch_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_work_dispatch_rule_building_id_building'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['park_id'], ['park.id'], name=op.f('fk_work_dispatch_rule_park_id_park'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['team_id'], ['work_team.id'], name=op.f('fk_work_dispatch_rule_team_id_work_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_dispatch_rule'))
    )
    with op.batch_alter_table('work_dispatch_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_dispatch_rule_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_dispatch_rule_park_id'), ['park_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_dispatch_rule_team_id'), ['team_id'], unique=False)

    op.create_table('work_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('origin_kind', sa.String(length=20), nullable=False),
    sa.Column('origin_ref', sa.String(length=80), nullable=True),
    sa.Column('reporter_user_id', sa.Integer(), nullable=True),
    sa.Column('reporter_name', sa.String(length=80), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('floor_id', sa.Integer(), nullable=True),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completion_note', sa.Text(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_work_order_building_id_building'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_work_order_enterprise_id_enterprise'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['floor_id'], ['floor.id'], name=op.f('fk_work_order_floor_id_floor'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['park_id'], ['park.id'], name=op.f('fk_work_order_park_id_park'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporter_user_id'], ['app_user.id'], name=op.f('fk_work_order_reporter_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_work_order_room_id_room'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['work_team.id'], name=op.f('fk_work_order_team_id_work_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_park_id'), ['park_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_reporter_user_id'), ['reporter_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_team_id'), ['team_id'], unique=False)

    op.create_table('work_order_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=80), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_work_order_photo_order_id_work_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['park_id'], ['park.id'], name=op.f('fk_work_order_photo_park_id_park'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_photo'))
    )
    with op.batch_alter_table('work_order_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_photo_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_photo_park_id'), ['park_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_order_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_photo_park_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_photo_order_id'))

    op.drop_table('work_order_photo')
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_team_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_state'))
        batch_op.drop_index(batch_op.f('ix_work_order_reporter_user_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_park_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_code'))
        batch_op.drop_index(batch_op.f('ix_work_order_building_id'))

    op.drop_table('work_order')
    with op.batch_alter_table('work_dispatch_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_dispatch_rule_team_id'))
        batch_op.drop_index(batch_op.f('ix_work_dispatch_rule_park_id'))
        batch_op.drop_index(batch_op.f('ix_work_dispatch_rule_building_id'))

    op.drop_table('work_dispatch_rule')
    with op.batch_alter_table('work_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_team_park_id'))

    op.drop_table('work_team')
