"""safety: risk points, major hazard sources, hidden dangers, emergency plans, incidents, resources, drills

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

The risk register (LEC / LS, four colours), GB 18218-2018 major hazard sources with their substances and grade,
hidden dangers (found → assigned → rectified → verified), emergency plans and resources (teams, supplies,
shelters), incidents and drills with photos, response tasks, a timeline and the report pushes to the regional
command.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_emergency_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("plan_type", sa.String(length=20), nullable=False),
        sa.Column("incident_kinds", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("auto_open_severity", sa.String(length=10), nullable=True),
        sa.Column("version", sa.String(length=20), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_emergency_plan_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_emergency_plan_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_emergency_plan")),
    )
    with op.batch_alter_table("safety_emergency_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_emergency_plan_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_emergency_plan_park_id"), ["park_id"], unique=False)

    op.create_table(
        "safety_emergency_resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("contact", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("owner_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_safety_emergency_resource_building_id_building"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_emergency_resource_owner_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_emergency_resource_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_safety_emergency_resource_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_emergency_resource")),
    )
    with op.batch_alter_table("safety_emergency_resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_emergency_resource_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_emergency_resource_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_emergency_resource_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_emergency_resource_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "safety_hazard_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_kind", sa.String(length=20), nullable=False),
        sa.Column("exposed_people", sa.Integer(), nullable=False),
        sa.Column("substances", sa.JSON(), nullable=False),
        sa.Column("s_value", sa.Float(), nullable=False),
        sa.Column("is_major", sa.Boolean(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("r_value", sa.Float(), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("responsible_person", sa.String(length=100), nullable=True),
        sa.Column("point_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_safety_hazard_source_building_id_building"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_hazard_source_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_hazard_source_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_safety_hazard_source_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_hazard_source")),
    )
    with op.batch_alter_table("safety_hazard_source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_hazard_source_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hazard_source_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hazard_source_is_major"), ["is_major"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hazard_source_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hazard_source_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "safety_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=120), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("deaths", sa.Integer(), nullable=False),
        sa.Column("injuries", sa.Integer(), nullable=False),
        sa.Column("report_pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_safety_incident_building_id_building"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_incident_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_incident_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["safety_emergency_plan.id"],
            name=op.f("fk_safety_incident_plan_id_safety_emergency_plan"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_safety_incident_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_incident")),
        sa.UniqueConstraint("code", name=op.f("uq_safety_incident_code")),
    )
    with op.batch_alter_table("safety_incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_incident_alarm_id"), ["alarm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_safety_incident_park_id_status", ["park_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "safety_risk_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("responsible_person", sa.String(length=100), nullable=False),
        sa.Column("responsible_phone", sa.String(length=40), nullable=True),
        sa.Column("hazards", sa.JSON(), nullable=False),
        sa.Column("controls", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=3), nullable=False),
        sa.Column("l_value", sa.Float(), nullable=False),
        sa.Column("e_value", sa.Float(), nullable=True),
        sa.Column("c_value", sa.Float(), nullable=True),
        sa.Column("s_value", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("point_ids", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_safety_risk_point_building_id_building"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_risk_point_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_risk_point_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_safety_risk_point_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_risk_point")),
    )
    with op.batch_alter_table("safety_risk_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_risk_point_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_risk_point_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_risk_point_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_safety_risk_point_park_id_level", ["park_id", "level"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_risk_point_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "safety_hidden_danger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("risk_point_id", sa.Integer(), nullable=True),
        sa.Column("found_by", sa.String(length=120), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("assignee", sa.String(length=120), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("rectified_by", sa.String(length=120), nullable=True),
        sa.Column("rectified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rectification", sa.Text(), nullable=True),
        sa.Column("verified_by", sa.String(length=120), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_safety_hidden_danger_building_id_building"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_hidden_danger_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_hidden_danger_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["risk_point_id"],
            ["safety_risk_point.id"],
            name=op.f("fk_safety_hidden_danger_risk_point_id_safety_risk_point"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_safety_hidden_danger_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_hidden_danger")),
    )
    with op.batch_alter_table("safety_hidden_danger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_hidden_danger_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hidden_danger_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hidden_danger_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hidden_danger_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_safety_hidden_danger_park_id_status", ["park_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hidden_danger_risk_point_id"), ["risk_point_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_hidden_danger_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "safety_incident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_incident_event_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["safety_incident.id"],
            name=op.f("fk_safety_incident_event_incident_id_safety_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_incident_event_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_incident_event")),
    )
    with op.batch_alter_table("safety_incident_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_incident_event_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_event_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_event_park_id"), ["park_id"], unique=False)

    op.create_table(
        "safety_incident_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_incident_photo_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["safety_incident.id"],
            name=op.f("fk_safety_incident_photo_incident_id_safety_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_incident_photo_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_incident_photo")),
    )
    with op.batch_alter_table("safety_incident_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_incident_photo_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_photo_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_photo_park_id"), ["park_id"], unique=False)

    op.create_table(
        "safety_incident_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=120), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("assigned_by", sa.String(length=120), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_incident_task_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["safety_incident.id"],
            name=op.f("fk_safety_incident_task_incident_id_safety_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_incident_task_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["safety_emergency_resource.id"],
            name=op.f("fk_safety_incident_task_team_id_safety_emergency_resource"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_incident_task")),
    )
    with op.batch_alter_table("safety_incident_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_incident_task_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_task_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_incident_task_park_id"), ["park_id"], unique=False)

    op.create_table(
        "safety_report_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_safety_report_push_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["safety_incident.id"],
            name=op.f("fk_safety_report_push_incident_id_safety_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_safety_report_push_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_report_push")),
    )
    with op.batch_alter_table("safety_report_push", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_report_push_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_report_push_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_report_push_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_report_push", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_report_push_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_report_push_incident_id"))
        batch_op.drop_index(batch_op.f("ix_safety_report_push_enterprise_id"))

    op.drop_table("safety_report_push")
    with op.batch_alter_table("safety_incident_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_incident_task_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_task_incident_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_task_enterprise_id"))

    op.drop_table("safety_incident_task")
    with op.batch_alter_table("safety_incident_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_incident_photo_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_photo_incident_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_photo_enterprise_id"))

    op.drop_table("safety_incident_photo")
    with op.batch_alter_table("safety_incident_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_incident_event_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_event_incident_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_event_enterprise_id"))

    op.drop_table("safety_incident_event")
    with op.batch_alter_table("safety_hidden_danger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_hidden_danger_zone_id"))
        batch_op.drop_index(batch_op.f("ix_safety_hidden_danger_risk_point_id"))
        batch_op.drop_index("ix_safety_hidden_danger_park_id_status")
        batch_op.drop_index(batch_op.f("ix_safety_hidden_danger_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_hidden_danger_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_safety_hidden_danger_deadline"))
        batch_op.drop_index(batch_op.f("ix_safety_hidden_danger_building_id"))

    op.drop_table("safety_hidden_danger")
    with op.batch_alter_table("safety_risk_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_risk_point_zone_id"))
        batch_op.drop_index("ix_safety_risk_point_park_id_level")
        batch_op.drop_index(batch_op.f("ix_safety_risk_point_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_risk_point_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_safety_risk_point_building_id"))

    op.drop_table("safety_risk_point")
    with op.batch_alter_table("safety_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_incident_zone_id"))
        batch_op.drop_index("ix_safety_incident_park_id_status")
        batch_op.drop_index(batch_op.f("ix_safety_incident_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_building_id"))
        batch_op.drop_index(batch_op.f("ix_safety_incident_alarm_id"))

    op.drop_table("safety_incident")
    with op.batch_alter_table("safety_hazard_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_hazard_source_zone_id"))
        batch_op.drop_index(batch_op.f("ix_safety_hazard_source_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_hazard_source_is_major"))
        batch_op.drop_index(batch_op.f("ix_safety_hazard_source_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_safety_hazard_source_building_id"))

    op.drop_table("safety_hazard_source")
    with op.batch_alter_table("safety_emergency_resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_emergency_resource_zone_id"))
        batch_op.drop_index(batch_op.f("ix_safety_emergency_resource_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_emergency_resource_kind"))
        batch_op.drop_index(batch_op.f("ix_safety_emergency_resource_building_id"))

    op.drop_table("safety_emergency_resource")
    with op.batch_alter_table("safety_emergency_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_emergency_plan_park_id"))
        batch_op.drop_index(batch_op.f("ix_safety_emergency_plan_enterprise_id"))

    op.drop_table("safety_emergency_plan")
