"""Shared helpers of the environment tests: role scopes, a wastewater monitor of an enterprise and its points,
readings written through the telemetry store (which keeps the hour rollups)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Point
from digipark.telemetry.store import ReadingRow, write_readings
from tests.conftest import ParkWorld

TZ = ZoneInfo("Asia/Shanghai")


def scope_of(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(
        role=role, username=f"env-test-{role.value}", user_id=None, park_id=park.park_id, enterprise_id=enterprise
    )


def admin(park: ParkWorld) -> Scope:
    return scope_of(park, Role.PARK_ADMIN)


def own(park: ParkWorld, index: int = 0) -> Scope:
    return scope_of(park, Role.ENTERPRISE, park.enterprise_ids[index])


def wastewater_points(db: Session, park: ParkWorld, code: str = "WW1", index: int = 0) -> dict[str, int]:
    """A wastewater monitor of enterprise `index`: point key -> id (cod_mgl, nh3n_mgl, ph, flow_m3h)."""
    device = registry.create(
        db,
        scope=system_scope(park.park_id),
        kind=registry.KINDS["device"],
        data=registry_schemas.DeviceCreate(
            code=code,
            name="废水排放口在线监测",
            kind="wastewater_monitor",
            enterprise_id=park.enterprise_ids[index],
            building_id=park.building_id,
        ),
    )
    return {key: ident for ident, key in db.execute(select(Point.id, Point.key).where(Point.device_id == device.id))}


def local_ms(day: dt.date, hour: int, minute: int = 0) -> int:
    return int(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).timestamp() * 1000)


def write(db: Session, point_id: int, day: dt.date, values: dict[int, float], minute: int = 30) -> None:
    """One reading per listed local hour of `day` (at :30), through the telemetry store."""
    write_readings(db, [ReadingRow(point_id, local_ms(day, hour, minute), value) for hour, value in values.items()])
