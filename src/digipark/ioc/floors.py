"""The floor view of a building: its floors, and on the chosen one the rooms coloured by the enterprise renting
them, each with the sensor points of the devices placed in it (registry: `Device.room_id`) and their newest values
(telemetry's `PointLatest`; the page keeps them live over telemetry's point stream). Read-only; rooms, enterprises
and devices as the caller may read them (an enterprise user sees its own rooms only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.registry.models import Building, Device, Enterprise, Floor, Point, Room
from digipark.telemetry.provides import PointLatest

TENANT_COLOURS = (
    "#2563eb",
    "#16a34a",
    "#d97706",
    "#9333ea",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#dc2626",
    "#4f46e5",
    "#0d9488",
)
VACANT = "#475569"
MAX_POINTS = 200  # the point stream's limit


def tenant_colour(enterprise_id: int | None) -> str:
    return VACANT if enterprise_id is None else TENANT_COLOURS[enterprise_id % len(TENANT_COLOURS)]


def floor_view(session: Session, *, scope: Scope, building_id: int, level: int | None = None) -> dict[str, Any]:
    """{"building", "floors", "floor" (the chosen one: `level`, else the ground floor, else the lowest), "rooms",
    "tenants", "point_ids"}; 404 for a building the caller may not read."""
    building = scope.get_or_404(session, Building, building_id)
    floors = list(session.scalars(scope.readable(Floor).where(Floor.building_id == building.id).order_by(Floor.level)))
    chosen = next((f for f in floors if f.level == level), None)
    if chosen is None:
        chosen = next((f for f in floors if f.level == 1), floors[0] if floors else None)
    rooms: list[Room] = []
    if chosen is not None:
        rooms = list(session.scalars(scope.readable(Room).where(Room.floor_id == chosen.id).order_by(Room.code)))
    tenant_ids = {r.enterprise_id for r in rooms if r.enterprise_id is not None}
    names: dict[int, str] = {}
    if tenant_ids:
        names = {
            int(e.id): e.name for e in session.scalars(scope.readable(Enterprise).where(Enterprise.id.in_(tenant_ids)))
        }
    points_by_room: dict[int, list[dict[str, Any]]] = {}
    point_ids: list[int] = []
    if rooms:
        devices = scope.readable(Device, select(Device.id)).where(Device.room_id.in_([r.id for r in rooms]))
        found = session.execute(
            select(Point.id, Point.name, Point.unit, Point.quantity, Device.room_id, PointLatest.value, PointLatest.ts)
            .join(Device, Device.id == Point.device_id)
            .outerjoin(PointLatest, PointLatest.point_id == Point.id)
            .where(Point.device_id.in_(devices))
            .order_by(Device.room_id, Point.id)
        ).all()
        for pid, name, unit, quantity, room_id, value, ts in found:
            if len(point_ids) >= MAX_POINTS:
                break
            point_ids.append(int(pid))
            points_by_room.setdefault(int(room_id or 0), []).append(
                {
                    "id": int(pid),
                    "name": name,
                    "unit": unit,
                    "quantity": quantity,
                    "value": None if value is None else float(value),
                    "ts": None if ts is None else int(ts),
                }
            )
    total = sum(r.area_m2 for r in rooms) or 1.0
    shown_rooms = [
        {
            "id": r.id,
            "code": r.code,
            "area_m2": r.area_m2,
            "share": r.area_m2 / total,
            "use": r.use,
            "enterprise_id": r.enterprise_id,
            "tenant": names.get(r.enterprise_id) if r.enterprise_id is not None else None,
            "colour": tenant_colour(r.enterprise_id),
            "points": points_by_room.get(r.id, []),
        }
        for r in rooms
    ]
    tenants = sorted(
        {(r["enterprise_id"], r["tenant"] or "", r["colour"]) for r in shown_rooms if r["enterprise_id"] is not None},
        key=lambda t: t[1],
    )
    return {
        "building": {"id": building.id, "name": building.name, "code": building.code, "floors": building.floors},
        "floors": [{"id": f.id, "level": f.level, "name": f.name} for f in floors],
        "floor": None if chosen is None else {"id": chosen.id, "level": chosen.level, "name": chosen.name},
        "rooms": shown_rooms,
        "tenants": [{"enterprise_id": t[0], "name": t[1], "colour": t[2]} for t in tenants],
        "point_ids": point_ids,
    }
