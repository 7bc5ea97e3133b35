"""Input and output of living services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from digipark.living.models import (
    BillKind,
    BillStatus,
    Decision,
    DeliveryKind,
    DeliveryState,
    Direction,
    PassState,
    SecurityKind,
    VehicleKind,
)

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Plate = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=5, max_length=16)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{5,40}$")]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Yuan = Annotated[Decimal, Field(ge=0, le=10**8, max_digits=12, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- visitors ----------------------------------------------------------------------------------------------------
class PassCreate(Strict):
    visitor_name: Name
    visitor_phone: Phone | None = None
    plate: Plate | None = None
    purpose: Short | None = None
    valid_from: dt.datetime
    valid_until: dt.datetime
    car_park_id: Id | None = Field(None, description="reserve a visitor space in this car park")
    park_id: Id | None = None


class PassRead(Read):
    id: int
    park_id: int
    token: str
    visitor_name: str
    visitor_phone: str | None
    plate: str | None
    purpose: str | None
    host_user_id: int | None
    host_name: str
    enterprise_id: int | None
    valid_from: dt.datetime
    valid_until: dt.datetime
    revoked: bool
    car_park_id: int | None
    entered_at: dt.datetime | None
    left_at: dt.datetime | None
    state: PassState


class GateEvent(Strict):
    gate: Code
    direction: Direction
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=40)] | None = None
    plate: Plate | None = None
    car_park_id: Id | None = Field(None, description="the car park whose gate this is (plate events)")
    at: dt.datetime | None = Field(None, description="when the gate saw it; default: now")


class GateDecision(BaseModel):
    event_id: int
    decision: Decision
    reason: str
    pass_id: int | None
    session_id: int | None = None
    fee_yuan: Decimal | None = None


class InPark(BaseModel):
    pass_id: int
    visitor_name: str
    host_name: str
    plate: str | None
    entered_at: dt.datetime
    valid_until: dt.datetime


class BlacklistCreate(Strict):
    kind: Annotated[str, StringConstraints(pattern=r"^(phone|plate)$")]
    value: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=5, max_length=40)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    park_id: Id | None = None


class BlacklistUpdate(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None


class BlacklistRead(Read):
    id: int
    park_id: int
    kind: str
    value: str
    reason: str


# -- parking -----------------------------------------------------------------------------------------------------
class CarParkCreate(Strict):
    code: Code
    name: Name
    name_en: Name | None = None
    lon: Lon
    lat: Lat
    capacity: Annotated[int, Field(ge=1, le=100000)]
    free_minutes: Annotated[int, Field(ge=0, le=1440)] = 30
    hourly_yuan: Yuan
    daily_cap_yuan: Yuan | None = None
    monthly_yuan: Yuan | None = None
    visitor_spaces: Annotated[int, Field(ge=0, le=100000)] = 0
    park_id: Id | None = None


class CarParkUpdate(Strict):
    name: Name | None = None
    name_en: Name | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    capacity: Annotated[int, Field(ge=1, le=100000)] | None = None
    free_minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    hourly_yuan: Yuan | None = None
    daily_cap_yuan: Yuan | None = None
    monthly_yuan: Yuan | None = None
    visitor_spaces: Annotated[int, Field(ge=0, le=100000)] | None = None


class CarParkRead(Read):
    id: int
    park_id: int
    code: str
    name: str
    name_en: str | None = None
    lon: float
    lat: float
    capacity: int
    free_minutes: int
    hourly_yuan: Decimal
    daily_cap_yuan: Decimal | None
    monthly_yuan: Decimal | None
    visitor_spaces: int


class SpaceCreate(Strict):
    car_park_id: Id
    code: Code
    point_id: Id | None = None
    park_id: Id | None = None


class SpaceUpdate(Strict):
    code: Code | None = None
    point_id: Id | None = None


class SpaceRead(Read):
    id: int
    park_id: int
    car_park_id: int
    code: str
    point_id: int | None


class PermitCreate(Strict):
    plate: Plate
    car_park_id: Id | None = None
    first_day: dt.date
    last_day: dt.date
    holder: Short | None = None
    park_id: Id | None = None


class PermitUpdate(Strict):
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    holder: Short | None = None


class PermitRead(Read):
    id: int
    park_id: int
    plate: str
    car_park_id: int | None
    first_day: dt.date
    last_day: dt.date
    holder: str | None


class Occupancy(BaseModel):
    car_park_id: int
    code: str
    name: str
    name_en: str | None = None
    capacity: int
    sensed: int  # spaces with a sensor reading
    occupied: int
    free: int
    reserved: int  # visitor reservations valid now
    lon: float
    lat: float
    updated_ms: int | None


class Guidance(BaseModel):
    car_park_id: int
    name: str
    free: int
    distance_m: float


class SessionRead(Read):
    id: int
    park_id: int
    car_park_id: int
    plate: str
    entered_at: dt.datetime
    left_at: dt.datetime | None
    fee_yuan: Decimal | None
    pass_id: int | None


# -- bills -------------------------------------------------------------------------------------------------------
class BillRead(Read):
    id: int
    park_id: int
    enterprise_id: int | None
    room_id: int | None
    month: dt.date
    kind: BillKind
    quantity: float | None
    unit_price_yuan: Decimal
    amount_yuan: Decimal
    status: BillStatus
    paid_at: dt.datetime | None


class BillingRun(Strict):
    month: dt.date = Field(description="any day of the month to bill")
    rent_yuan_per_m2: Yuan
    property_fee_yuan_per_m2: Yuan
    electricity_yuan_per_kwh: Yuan
    park_id: Id | None = None


class BillingResult(BaseModel):
    created: int
    skipped: int
    total_yuan: Decimal


# -- roads, vehicles, deliveries ---------------------------------------------------------------------------------
class NodeCreate(Strict):
    code: Code
    name: Short | None = None
    lon: Lon
    lat: Lat
    park_id: Id | None = None


class NodeUpdate(Strict):
    name: Short | None = None
    lon: Lon | None = None
    lat: Lat | None = None


class NodeRead(Read):
    id: int
    park_id: int
    code: str
    name: str | None
    lon: float
    lat: float


class EdgeCreate(Strict):
    a_id: Id
    b_id: Id
    length_m: Annotated[float, Field(gt=0, le=100000)] | None = Field(None, description="default: straight line")
    restricted: bool = False
    name: Short | None = None
    park_id: Id | None = None


class EdgeUpdate(Strict):
    length_m: Annotated[float, Field(gt=0, le=100000)] | None = None
    restricted: bool | None = None
    name: Short | None = None


class EdgeRead(Read):
    id: int
    park_id: int
    a_id: int
    b_id: int
    length_m: float
    restricted: bool
    name: str | None


class VehicleCreate(Strict):
    code: Code
    kind: VehicleKind
    capacity: Annotated[int, Field(ge=1, le=10000)]
    speed_mps: Annotated[float, Field(gt=0, le=40)]
    range_m: Annotated[float, Field(gt=0, le=10**6)]
    depot_node_id: Id
    active: bool = True
    park_id: Id | None = None


class VehicleUpdate(Strict):
    capacity: Annotated[int, Field(ge=1, le=10000)] | None = None
    speed_mps: Annotated[float, Field(gt=0, le=40)] | None = None
    range_m: Annotated[float, Field(gt=0, le=10**6)] | None = None
    active: bool | None = None


class VehicleRead(Read):
    id: int
    park_id: int
    code: str
    kind: VehicleKind
    capacity: int
    speed_mps: float
    range_m: float
    depot_node_id: int
    active: bool
    last_node_id: int | None
    last_seen_at: dt.datetime | None
    battery_pct: float | None


class DeliveryCreate(Strict):
    kind: DeliveryKind = DeliveryKind.PARCEL
    description: Short | None = None
    pickup_node_id: Id | None = Field(None, description="none: loaded at the vehicle's depot")
    dropoff_node_id: Id
    load: Annotated[int, Field(ge=1, le=1000)] = 1
    earliest: dt.datetime
    latest: dt.datetime
    park_id: Id | None = None


class DeliveryRead(Read):
    id: int
    park_id: int
    kind: DeliveryKind
    description: str | None
    requester_user_id: int | None
    requester_name: str
    pickup_node_id: int | None
    dropoff_node_id: int
    load: int
    earliest: dt.datetime
    latest: dt.datetime
    state: DeliveryState
    vehicle_id: int | None
    eta: dt.datetime | None


class Progress(Strict):
    """A vehicle's report (HTTP or MQTT): where it is, its battery, and deliveries picked up or delivered."""

    vehicle: Code
    node: Code | None = None
    battery_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    picked_up: list[Id] = Field(default_factory=list, max_length=100)
    delivered: list[Id] = Field(default_factory=list, max_length=100)
    at: dt.datetime | None = None
    park_id: Id | None = None


class PlanRead(Read):
    id: int
    park_id: int
    made_at: dt.datetime
    starts_at: dt.datetime
    routes: list[dict[str, Any]]
    unassigned: list[int]
    distance_m: float
    solve_ms: int


# -- security ----------------------------------------------------------------------------------------------------
class SecurityEventCreate(Strict):
    kind: SecurityKind
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    at: dt.datetime | None = None
    building_id: Id | None = None
    location: Short | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    snapshot_base64: Annotated[str, StringConstraints(max_length=7_000_000)] | None = Field(
        None, description="the camera's snapshot, JPEG or PNG, base64"
    )


class SecurityEventRead(Read):
    id: int
    park_id: int
    kind: SecurityKind
    source: str
    at: dt.datetime
    building_id: int | None
    location: str | None
    note: str | None
    snapshot_type: str | None
    work_order_id: int | None


class Checkpoint(Strict):
    code: Code
    name: Short


class PatrolRouteCreate(Strict):
    name: Name
    checkpoints: list[Checkpoint] = Field(min_length=1, max_length=100)
    every_minutes: Annotated[int, Field(ge=5, le=1440)] = 120
    park_id: Id | None = None


class PatrolRouteUpdate(Strict):
    name: Name | None = None
    checkpoints: list[Checkpoint] | None = Field(None, min_length=1, max_length=100)
    every_minutes: Annotated[int, Field(ge=5, le=1440)] | None = None


class PatrolRouteRead(Read):
    id: int
    park_id: int
    name: str
    checkpoints: list[dict[str, Any]]
    every_minutes: int


class PatrolScan(Strict):
    route_id: Id
    checkpoint: Code
    at: dt.datetime | None = None
    note: Short | None = None


class PatrolStatus(BaseModel):
    route_id: int
    round_started: dt.datetime
    visited: list[str]
    missing: list[str]
    last_scan: dt.datetime | None
