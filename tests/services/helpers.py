"""Scopes and rows the services tests share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.services import catalogue
from digipark.services.common import zone
from digipark.services.models import ServiceOffering
from digipark.services.schemas import OfferingCreate
from tests.conftest import ParkWorld


def scope(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(
        role=role,
        username=f"svc-{role.value}-{enterprise}",
        user_id=None,
        park_id=park.park_id,
        enterprise_id=enterprise,
    )


def admin(park: ParkWorld) -> Scope:
    return scope(park, Role.PARK_ADMIN)


def enterprise(park: ParkWorld, index: int) -> Scope:
    return scope(park, Role.ENTERPRISE, park.enterprise_ids[index])


def machine(
    db: Session, park: ParkWorld, *, units: int = 1, provider: int | None = None, **extra: Any
) -> ServiceOffering:
    """A shared CNC centre (hourly, 60-minute slots) of the park, or of enterprise `provider`."""
    values: dict[str, Any] = {
        "kind": "shared_equipment",
        "name": f"五轴加工中心 {units}",
        "provider_name": "园区共享制造中心",
        "capacity": units,
        "capacity_unit": "台",
        "unit_price_yuan": 180.0,
        "price_unit": "hour",
        "bookable": True,
        "units": units,
        "cancel_hours": 24,
        "enterprise_id": provider,
        **extra,
    }
    return catalogue.OFFERINGS.create(db, scope=admin(park), data=OfferingCreate(**values))


def at(days: int, hour: int) -> dt.datetime:
    """`hour`:00 local time, `days` days from today."""
    day = dt.datetime.now(zone()).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), zone())


def new_enterprise(
    db: Session, park: ParkWorld, name: str, industry_code: str = "3311", *, above_scale: bool = True, serial: int = 1
) -> int:
    """Another enterprise of the park (the world has two)."""
    from digipark.core.codes import make_uscc
    from digipark.registry import schemas as rs
    from digipark.registry import service as registry

    row = registry.create(
        db,
        scope=admin(park),
        kind=registry.KINDS["enterprise"],
        data=rs.EnterpriseCreate(
            name=name,
            uscc=make_uscc("9", "1", "320500", f"XC{park.park_id:02d}{serial:04d}"),
            industry_code=industry_code,
            above_scale=above_scale,
            industrial=True,
        ),
    )
    return int(row.id)
