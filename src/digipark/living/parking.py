"""Smart parking: car parks and their spaces, whose occupancy comes from the spaces' sensors through telemetry
(the newest reading of each sensor point: 1 occupied, 0 free); visitor reservations; plate events at the car
parks' gates open and close parking sessions charged by the car park's tariff and the plate's monthly permits;
guidance to the nearest car park with a free space."""

from __future__ import annotations

import builtins
import datetime as dt
import math

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import NotFound, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.crud import RecordType
from digipark.living.models import CarPark, ParkingPermit, ParkingSession, ParkingSpace, VisitorPass
from digipark.living.schemas import (
    CarParkCreate,
    CarParkRead,
    CarParkUpdate,
    Guidance,
    Occupancy,
    PermitCreate,
    PermitRead,
    PermitUpdate,
    SpaceCreate,
    SpaceRead,
    SpaceUpdate,
)
from digipark.living.tariff import Fee, PermitPeriod, Tariff, parking_fee
from digipark.living.visitors import MANAGE, VIEW
from digipark.telemetry.provides import PointLatest

OCCUPIED_AT_LEAST = 0.5  # a sensor reading of 1 is a car, 0 none


CAR_PARKS: RecordType[CarPark] = RecordType(
    name="car_park",
    model=CarPark,
    create_schema=CarParkCreate,
    update_schema=CarParkUpdate,
    read_schema=CarParkRead,
    list_spec=ListSpec(
        filters={"park_id": CarPark.park_id},
        search=[CarPark.name, CarPark.code],
        sort={"id": CarPark.id, "code": CarPark.code},
    ),
    write_permission=MANAGE,
    unique=("code",),
)


def _space_refs(
    session: Session, scope: Scope, values: dict[str, object], row: ParkingSpace | None
) -> dict[str, object]:
    point_id = values.get("point_id")
    if point_id is not None:
        from digipark.registry.models import Point

        point = session.get(Point, point_id)
        park_id = row.park_id if row is not None else scope.acting_write_park(None)
        if point is None or point.park_id != park_id:
            raise field_error("point_id", "no such point in this park")
    return values


SPACES: RecordType[ParkingSpace] = RecordType(
    name="parking_space",
    model=ParkingSpace,
    create_schema=SpaceCreate,
    update_schema=SpaceUpdate,
    read_schema=SpaceRead,
    list_spec=ListSpec(
        filters={"park_id": ParkingSpace.park_id, "car_park_id": ParkingSpace.car_park_id},
        search=[ParkingSpace.code],
        sort={"id": ParkingSpace.id, "code": ParkingSpace.code},
    ),
    write_permission=MANAGE,
    refs={"car_park_id": CarPark},
    validate=_space_refs,
)

PERMITS: RecordType[ParkingPermit] = RecordType(
    name="parking_permit",
    model=ParkingPermit,
    create_schema=PermitCreate,
    update_schema=PermitUpdate,
    read_schema=PermitRead,
    list_spec=ListSpec(
        filters={"park_id": ParkingPermit.park_id, "plate": ParkingPermit.plate},
        search=[ParkingPermit.plate, ParkingPermit.holder],
        sort={"id": ParkingPermit.id, "last_day": ParkingPermit.last_day},
    ),
    write_permission=MANAGE,
    refs={"car_park_id": CarPark},
)

SESSION_SPEC = ListSpec(
    filters={
        "park_id": ParkingSession.park_id,
        "car_park_id": ParkingSession.car_park_id,
        "plate": ParkingSession.plate,
    },
    search=[ParkingSession.plate],
    sort={"id": ParkingSession.id, "entered_at": ParkingSession.entered_at},
    default_sort="-entered_at,-id",
)


def list_sessions(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[ParkingSession], int]:
    return SESSION_SPEC.apply(session, scope.readable(ParkingSession), query)


# -- occupancy ---------------------------------------------------------------------------------------------------
def occupancy(
    session: Session, *, scope: Scope, park_id: int | None = None, at: dt.datetime | None = None
) -> builtins.list[Occupancy]:
    """Every car park of the park now: sensed and occupied spaces from the sensors' newest readings, visitor
    reservations valid now, free spaces (capacity minus occupied minus reserved, at least 0)."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    at = at or utcnow()
    parks = builtins.list(
        session.scalars(scope.readable(CarPark).where(CarPark.park_id == park).order_by(CarPark.code))
    )
    readings = session.execute(
        select(
            ParkingSpace.car_park_id,
            func.count(PointLatest.point_id),
            func.coalesce(func.sum(case((PointLatest.value >= OCCUPIED_AT_LEAST, 1), else_=0)), 0),
            func.max(PointLatest.ts),
        )
        .join(PointLatest, PointLatest.point_id == ParkingSpace.point_id)
        .where(ParkingSpace.park_id == park)
        .group_by(ParkingSpace.car_park_id)
    ).all()
    by_park = {row[0]: (int(row[1]), int(row[2]), row[3]) for row in readings}
    reserved = dict(
        session.execute(
            select(VisitorPass.car_park_id, func.count())
            .where(
                VisitorPass.park_id == park,
                VisitorPass.car_park_id.is_not(None),
                VisitorPass.revoked.is_(False),
                VisitorPass.valid_from <= at,
                VisitorPass.valid_until > at,
                VisitorPass.entered_at.is_(None),
            )
            .group_by(VisitorPass.car_park_id)
        ).all()
    )
    found = []
    for cp in parks:
        sensed, occupied, updated = by_park.get(cp.id, (0, 0, None))
        held = int(reserved.get(cp.id, 0))
        found.append(
            Occupancy(
                car_park_id=cp.id,
                code=cp.code,
                name=cp.name,
                name_en=cp.name_en,
                capacity=cp.capacity,
                sensed=sensed,
                occupied=occupied,
                free=max(0, cp.capacity - occupied - held),
                reserved=held,
                lon=cp.lon,
                lat=cp.lat,
                updated_ms=int(updated) if updated is not None else None,
            )
        )
    return found


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    radius = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


def guidance(
    session: Session, *, scope: Scope, lon: float, lat: float, park_id: int | None = None, limit: int = 3
) -> builtins.list[Guidance]:
    """The nearest car parks with a free space, nearest first."""
    options = [
        Guidance(
            car_park_id=o.car_park_id,
            name=o.name,
            free=o.free,
            distance_m=round(metres_between(lon, lat, o.lon, o.lat), 1),
        )
        for o in occupancy(session, scope=scope, park_id=park_id)
        if o.free > 0
    ]
    return sorted(options, key=lambda g: g.distance_m)[:limit]


# -- plate events: sessions and fees -----------------------------------------------------------------------------
def tariff_of(car_park: CarPark) -> Tariff:
    return Tariff(car_park.free_minutes, car_park.hourly_yuan, car_park.daily_cap_yuan)


def permits_of(session: Session, park_id: int, car_park_id: int, plate: str) -> builtins.list[PermitPeriod]:
    rows = session.scalars(
        select(ParkingPermit).where(
            ParkingPermit.park_id == park_id,
            ParkingPermit.plate == plate,
            (ParkingPermit.car_park_id.is_(None)) | (ParkingPermit.car_park_id == car_park_id),
        )
    )
    return [PermitPeriod(r.first_day, r.last_day) for r in rows]


def plate_seen(
    session: Session,
    *,
    park_id: int,
    car_park_id: int,
    plate: str,
    entering: bool,
    at: dt.datetime,
    pass_id: int | None,
) -> tuple[ParkingSession, Fee | None]:
    """A plate at a car park's gate: entering opens a session (a second entry without an exit closes the stale one
    first, uncharged), leaving closes the open one and charges it by the tariff and the plate's permits."""
    car_park = session.get(CarPark, car_park_id)
    if car_park is None or car_park.park_id != park_id:
        raise field_error("car_park_id", "no such car park in this park")
    open_session = session.scalar(
        select(ParkingSession)
        .where(
            ParkingSession.car_park_id == car_park_id, ParkingSession.plate == plate, ParkingSession.left_at.is_(None)
        )
        .order_by(ParkingSession.entered_at.desc())
        .limit(1)
    )
    if entering:
        if open_session is not None:
            open_session.left_at = at
        row = ParkingSession(park_id=park_id, car_park_id=car_park_id, plate=plate, entered_at=at, pass_id=pass_id)
        session.add(row)
        session.flush()
        return row, None
    if open_session is None:
        raise NotFound(f"{plate} has no open parking session in {car_park.name}")
    entered = (
        open_session.entered_at if open_session.entered_at.tzinfo else open_session.entered_at.replace(tzinfo=dt.UTC)
    )
    fee = parking_fee(tariff_of(car_park), entered, at, permits=permits_of(session, park_id, car_park_id, plate))
    open_session.left_at, open_session.fee_yuan = at, fee.total_yuan
    session.flush()
    return open_session, fee
