"""work orders and living services: work orders with their teams, dispatch rules and photos; visitor passes,
gate events and the blacklist; car parks, sensor-fed spaces, permits and parking sessions; bills of units; the
park's road graph, delivery vehicles, deliveries and plans; security events, patrol routes and patrol records

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_blacklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_access_blacklist_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_blacklist")),
    )
    with op.batch_alter_table("access_blacklist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_blacklist_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_blacklist_value"), ["value"], unique=False)

    op.create_table(
        "car_park",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("free_minutes", sa.Integer(), nullable=False),
        sa.Column("hourly_yuan", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("daily_cap_yuan", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("monthly_yuan", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("visitor_spaces", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_car_park_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_car_park")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_car_park_park_id_code")),
    )
    with op.batch_alter_table("car_park", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_car_park_park_id"), ["park_id"], unique=False)

    op.create_table(
        "delivery_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("unassigned", sa.JSON(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("solve_ms", sa.Integer(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_delivery_plan_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_plan")),
    )
    with op.batch_alter_table("delivery_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_plan_made_at"), ["made_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_plan_park_id"), ["park_id"], unique=False)

    op.create_table(
        "patrol_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("checkpoints", sa.JSON(), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_patrol_route_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_route")),
    )
    with op.batch_alter_table("patrol_route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_route_park_id"), ["park_id"], unique=False)

    op.create_table(
        "road_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_road_node_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_node")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_road_node_park_id_code")),
    )
    with op.batch_alter_table("road_node", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_road_node_park_id"), ["park_id"], unique=False)

    op.create_table(
        "work_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("lead", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_work_team_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_team")),
    )
    with op.batch_alter_table("work_team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_team_park_id"), ["park_id"], unique=False)

    op.create_table(
        "delivery_vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("speed_mps", sa.Float(), nullable=False),
        sa.Column("range_m", sa.Float(), nullable=False),
        sa.Column("depot_node_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_node_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("battery_pct", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["depot_node_id"],
            ["road_node.id"],
            name=op.f("fk_delivery_vehicle_depot_node_id_road_node"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["last_node_id"],
            ["road_node.id"],
            name=op.f("fk_delivery_vehicle_last_node_id_road_node"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_delivery_vehicle_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_vehicle")),
        sa.UniqueConstraint("park_id", "code", name=op.f("uq_delivery_vehicle_park_id_code")),
    )
    with op.batch_alter_table("delivery_vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_vehicle_park_id"), ["park_id"], unique=False)

    op.create_table(
        "parking_permit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_permit_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_parking_permit_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_permit")),
    )
    with op.batch_alter_table("parking_permit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_permit_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_permit_plate"), ["plate"], unique=False)

    op.create_table(
        "patrol_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("guard", sa.String(length=80), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_patrol_record_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["patrol_route.id"], name=op.f("fk_patrol_record_route_id_patrol_route"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_record")),
    )
    with op.batch_alter_table("patrol_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_record_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_record_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_record_route_id"), ["route_id"], unique=False)

    op.create_table(
        "road_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("a_id", sa.Integer(), nullable=False),
        sa.Column("b_id", sa.Integer(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["a_id"], ["road_node.id"], name=op.f("fk_road_edge_a_id_road_node"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["b_id"], ["road_node.id"], name=op.f("fk_road_edge_b_id_road_node"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_road_edge_park_id_park"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edge")),
    )
    with op.batch_alter_table("road_edge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_road_edge_a_id"), ["a_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_edge_b_id"), ["b_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_edge_park_id"), ["park_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("requester_user_id", sa.Integer(), nullable=True),
        sa.Column("requester_name", sa.String(length=80), nullable=False),
        sa.Column("pickup_node_id", sa.Integer(), nullable=True),
        sa.Column("dropoff_node_id", sa.Integer(), nullable=False),
        sa.Column("load", sa.Integer(), nullable=False),
        sa.Column("earliest", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dropoff_node_id"],
            ["road_node.id"],
            name=op.f("fk_delivery_dropoff_node_id_road_node"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_delivery_park_id_park"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["pickup_node_id"], ["road_node.id"], name=op.f("fk_delivery_pickup_node_id_road_node"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["requester_user_id"],
            ["app_user.id"],
            name=op.f("fk_delivery_requester_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["delivery_vehicle.id"],
            name=op.f("fk_delivery_vehicle_id_delivery_vehicle"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_requester_user_id"), ["requester_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_state"), ["state"], unique=False)

    op.create_table(
        "visitor_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("visitor_name", sa.String(length=80), nullable=False),
        sa.Column("visitor_phone", sa.String(length=40), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("host_user_id", sa.Integer(), nullable=True),
        sa.Column("host_name", sa.String(length=80), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_visitor_pass_car_park_id_car_park"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_visitor_pass_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_user_id"], ["app_user.id"], name=op.f("fk_visitor_pass_host_user_id_app_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_visitor_pass_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_pass")),
        sa.UniqueConstraint("token", name=op.f("uq_visitor_pass_token")),
    )
    with op.batch_alter_table("visitor_pass", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visitor_pass_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_pass_host_user_id"), ["host_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_pass_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_pass_plate"), ["plate"], unique=False)

    op.create_table(
        "access_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("pass_id", sa.Integer(), nullable=True),
        sa.Column("car_park_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_access_event_car_park_id_car_park"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_access_event_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["visitor_pass.id"], name=op.f("fk_access_event_pass_id_visitor_pass"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_event")),
    )
    with op.batch_alter_table("access_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_event_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_event_pass_id"), ["pass_id"], unique=False)

    op.create_table(
        "parking_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fee_yuan", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("pass_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_session_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_parking_session_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["visitor_pass.id"], name=op.f("fk_parking_session_pass_id_visitor_pass"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_session")),
    )
    with op.batch_alter_table("parking_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_session_car_park_id"), ["car_park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_session_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_session_plate"), ["plate"], unique=False)

    op.create_table(
        "work_dispatch_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_work_dispatch_rule_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_work_dispatch_rule_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["work_team.id"], name=op.f("fk_work_dispatch_rule_team_id_work_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_dispatch_rule")),
    )
    with op.batch_alter_table("work_dispatch_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_dispatch_rule_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_dispatch_rule_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_dispatch_rule_team_id"), ["team_id"], unique=False)

    op.create_table(
        "living_bill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit_price_yuan", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_living_bill_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_living_bill_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_living_bill_room_id_room"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_living_bill")),
        sa.UniqueConstraint(
            "enterprise_id", "room_id", "month", "kind", name=op.f("uq_living_bill_enterprise_id_room_id_month_kind")
        ),
    )
    with op.batch_alter_table("living_bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_living_bill_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_living_bill_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_living_bill_room_id"), ["room_id"], unique=False)

    op.create_table(
        "work_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("origin_kind", sa.String(length=20), nullable=False),
        sa.Column("origin_ref", sa.String(length=80), nullable=True),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=80), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("floor_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completion_note", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_work_order_building_id_building"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_work_order_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["floor_id"], ["floor.id"], name=op.f("fk_work_order_floor_id_floor"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_work_order_park_id_park"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["app_user.id"],
            name=op.f("fk_work_order_reporter_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_work_order_room_id_room"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["team_id"], ["work_team.id"], name=op.f("fk_work_order_team_id_work_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
    )
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_reporter_user_id"), ["reporter_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_team_id"), ["team_id"], unique=False)

    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("snapshot", sa.LargeBinary(), nullable=True),
        sa.Column("snapshot_type", sa.String(length=40), nullable=True),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_security_event_building_id_building"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_security_event_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_security_event_work_order_id_work_order"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_event")),
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_security_event_park_id"), ["park_id"], unique=False)

    op.create_table(
        "work_order_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["work_order.id"], name=op.f("fk_work_order_photo_order_id_work_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_work_order_photo_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_photo")),
    )
    with op.batch_alter_table("work_order_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_photo_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_photo_park_id"), ["park_id"], unique=False)

    op.create_table(
        "parking_space",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_space_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_parking_space_park_id_park"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_parking_space_point_id_point"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_space")),
        sa.UniqueConstraint("car_park_id", "code", name=op.f("uq_parking_space_car_park_id_code")),
    )
    with op.batch_alter_table("parking_space", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_space_car_park_id"), ["car_park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_space_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_space_point_id"), ["point_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parking_space", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_space_point_id"))
        batch_op.drop_index(batch_op.f("ix_parking_space_park_id"))
        batch_op.drop_index(batch_op.f("ix_parking_space_car_park_id"))

    op.drop_table("parking_space")
    with op.batch_alter_table("work_order_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_photo_park_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_photo_order_id"))

    op.drop_table("work_order_photo")
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_event_park_id"))
        batch_op.drop_index(batch_op.f("ix_security_event_at"))

    op.drop_table("security_event")
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_team_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_state"))
        batch_op.drop_index(batch_op.f("ix_work_order_reporter_user_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_park_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_code"))
        batch_op.drop_index(batch_op.f("ix_work_order_building_id"))

    op.drop_table("work_order")
    with op.batch_alter_table("living_bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_living_bill_room_id"))
        batch_op.drop_index(batch_op.f("ix_living_bill_park_id"))
        batch_op.drop_index(batch_op.f("ix_living_bill_enterprise_id"))

    op.drop_table("living_bill")
    with op.batch_alter_table("work_dispatch_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_dispatch_rule_team_id"))
        batch_op.drop_index(batch_op.f("ix_work_dispatch_rule_park_id"))
        batch_op.drop_index(batch_op.f("ix_work_dispatch_rule_building_id"))

    op.drop_table("work_dispatch_rule")
    with op.batch_alter_table("parking_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_session_plate"))
        batch_op.drop_index(batch_op.f("ix_parking_session_park_id"))
        batch_op.drop_index(batch_op.f("ix_parking_session_car_park_id"))

    op.drop_table("parking_session")
    with op.batch_alter_table("access_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_event_pass_id"))
        batch_op.drop_index(batch_op.f("ix_access_event_park_id"))
        batch_op.drop_index(batch_op.f("ix_access_event_at"))

    op.drop_table("access_event")
    with op.batch_alter_table("visitor_pass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visitor_pass_plate"))
        batch_op.drop_index(batch_op.f("ix_visitor_pass_park_id"))
        batch_op.drop_index(batch_op.f("ix_visitor_pass_host_user_id"))
        batch_op.drop_index(batch_op.f("ix_visitor_pass_enterprise_id"))

    op.drop_table("visitor_pass")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_state"))
        batch_op.drop_index(batch_op.f("ix_delivery_requester_user_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_park_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("road_edge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_edge_park_id"))
        batch_op.drop_index(batch_op.f("ix_road_edge_b_id"))
        batch_op.drop_index(batch_op.f("ix_road_edge_a_id"))

    op.drop_table("road_edge")
    with op.batch_alter_table("patrol_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_record_route_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_record_park_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_record_at"))

    op.drop_table("patrol_record")
    with op.batch_alter_table("parking_permit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_permit_plate"))
        batch_op.drop_index(batch_op.f("ix_parking_permit_park_id"))

    op.drop_table("parking_permit")
    with op.batch_alter_table("delivery_vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_vehicle_park_id"))

    op.drop_table("delivery_vehicle")
    with op.batch_alter_table("work_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_team_park_id"))

    op.drop_table("work_team")
    with op.batch_alter_table("road_node", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_node_park_id"))

    op.drop_table("road_node")
    with op.batch_alter_table("patrol_route", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_route_park_id"))

    op.drop_table("patrol_route")
    with op.batch_alter_table("delivery_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_plan_park_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_plan_made_at"))

    op.drop_table("delivery_plan")
    with op.batch_alter_table("car_park", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_car_park_park_id"))

    op.drop_table("car_park")
    with op.batch_alter_table("access_blacklist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_blacklist_value"))
        batch_op.drop_index(batch_op.f("ix_access_blacklist_park_id"))

    op.drop_table("access_blacklist")
