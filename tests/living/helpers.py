"""Shared helpers of the living tests: scopes of a park's accounts and a small car park with sensor points."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from digipark.living import parking
from digipark.living.models import CarPark
from digipark.living.schemas import CarParkCreate, SpaceCreate
from tests.conftest import World
from tests.workorders.helpers import other_resident, scope_of

__all__ = ["car_park", "other_resident", "scope_of"]


def car_park(
    db: Session,
    world: World,
    *,
    code: str = "P9",
    capacity: int = 4,
    visitor_spaces: int = 1,
    lon: float = 120.6,
    lat: float = 31.3,
    sensors: bool = True,
) -> CarPark:
    admin = scope_of(db, "TA", "park_admin")
    row = parking.CAR_PARKS.create(
        db,
        scope=admin,
        data=CarParkCreate(
            code=code,
            name=f"停车场{code}",
            lon=lon,
            lat=lat,
            capacity=capacity,
            free_minutes=30,
            hourly_yuan=Decimal("5"),
            daily_cap_yuan=Decimal("30"),
            monthly_yuan=Decimal("300"),
            visitor_spaces=visitor_spaces,
        ),
    )
    if sensors:
        for n, point_id in enumerate(world.a.point_ids[:2], start=1):
            parking.SPACES.create(
                db, scope=admin, data=SpaceCreate(car_park_id=row.id, code=f"{code}-{n}", point_id=point_id)
            )
    return row
