"""The building view: each floor of a building drawn from the registry's rooms (a strip per floor, each room as
wide as its share of the floor's area), coloured by tenant, with the open work orders per room, the building's
active alarms and the newest values of its sensors — each as the caller may read them."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.provides import active_counts
from digipark.auth.scope import Scope
from digipark.living.visitors import VIEW
from digipark.registry.models import Building, Device, Enterprise, Floor, Point, Room
from digipark.telemetry.provides import PointLatest
from digipark.workorders.provides import open_orders_by_room

WIDTH = 760.0
ROW = 70.0
GAP = 26.0
PALETTE = ("#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f")
VACANT = "#eeeeee"


@dataclasses.dataclass(frozen=True)
class RoomBox:
    room_id: int
    code: str
    x: float
    y: float
    width: float
    height: float
    colour: str
    tenant: str | None
    open_orders: int


@dataclasses.dataclass(frozen=True)
class FloorPlan:
    floor_id: int
    label: str
    y: float
    rooms: tuple[RoomBox, ...]


def building_view(session: Session, *, scope: Scope, ident: int) -> dict[str, Any]:
    scope.require(VIEW)
    building = scope.get_or_404(session, Building, ident)
    floors = [*session.scalars(select(Floor).where(Floor.building_id == building.id).order_by(Floor.level.desc()))]
    rooms = [*session.scalars(scope.readable(Room).where(Room.building_id == building.id).order_by(Room.code))]
    tenants = {
        e.id: e.name
        for e in session.scalars(
            scope.readable(Enterprise).where(Enterprise.id.in_({r.enterprise_id for r in rooms if r.enterprise_id}))
        )
    }
    orders = open_orders_by_room(session, scope=scope, building_id=building.id) if scope.can("workorders.view") else {}
    plans: list[FloorPlan] = []
    y = 0.0
    for floor in floors:
        on_floor = [r for r in rooms if r.floor_id == floor.id]
        total = sum(max(r.area_m2, 1.0) for r in on_floor) or 1.0
        x = 0.0
        boxes = []
        for room in on_floor:
            width = WIDTH * max(room.area_m2, 1.0) / total
            tenant = tenants.get(room.enterprise_id) if room.enterprise_id else None
            colour = PALETTE[room.enterprise_id % len(PALETTE)] if room.enterprise_id else VACANT
            boxes.append(
                RoomBox(
                    room.id,
                    room.code,
                    round(x, 1),
                    y,
                    round(width, 1),
                    ROW,
                    colour,
                    tenant,
                    len(orders.get(room.id, [])),
                )
            )
            x += width
        plans.append(FloorPlan(floor.id, floor.name or f"{floor.level}F", y, tuple(boxes)))
        y += ROW + GAP
    alarms = (
        [c for c in active_counts(session, scope=scope, park_id=building.park_id) if c.building_id == building.id]
        if scope.can("alarm.view")
        else []
    )
    readings = session.execute(
        select(Device.name, Point.name, Point.unit, PointLatest.value, PointLatest.ts)
        .select_from(Point)
        .join(Device, Device.id == Point.device_id)
        .join(PointLatest, PointLatest.point_id == Point.id)
        .where(scope.condition(Point), Device.building_id == building.id)
        .order_by(Device.name, Point.name)
        .limit(60)
    ).all()
    return {
        "building": building,
        "floors": plans,
        "height": max(y, ROW),
        "width": WIDTH,
        "legend": sorted({(b.tenant, b.colour) for f in plans for b in f.rooms if b.tenant}),
        "orders": [o for found in orders.values() for o in found],
        "alarms": alarms,
        "readings": readings,
    }
