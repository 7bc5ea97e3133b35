"""Living services: visitor passes and gate events, blacklist, car parks with sensor-fed spaces, permits and
parking sessions, bills of units, the park's road graph, delivery vehicles, deliveries and their plans."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, LargeBinary, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility

Money = Numeric(12, 2)


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Decision(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class PassState(enum.StrEnum):
    NOT_YET = "not_yet"
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


class BillKind(enum.StrEnum):
    RENT = "rent"
    PROPERTY_FEE = "property_fee"
    ELECTRICITY = "electricity"


class BillStatus(enum.StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"


class VehicleKind(enum.StrEnum):
    VAN = "van"
    UNMANNED = "unmanned"  # an unmanned delivery vehicle on park roads
    ROBOT = "robot"  # a delivery robot, may use pedestrian paths


class DeliveryKind(enum.StrEnum):
    PARCEL = "parcel"
    MEAL = "meal"
    MATERIAL = "material"


class DeliveryState(enum.StrEnum):
    WAITING = "waiting"  # not in a plan yet (or no vehicle can serve it)
    PLANNED = "planned"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# -- visitors and access -----------------------------------------------------------------------------------------
class VisitorPass(Audited, TimestampMixin, ParkScoped, Base):
    """An invitation: the visitor may pass the gates between `valid_from` and `valid_until` with the pass's QR
    code (its `token`) or the plate. Who reads it: `living.visitors.read_condition`."""

    __tablename__ = "visitor_pass"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    visitor_name: Mapped[str] = mapped_column(String(80))
    visitor_phone: Mapped[str | None] = mapped_column(String(40))
    plate: Mapped[str | None] = mapped_column(String(16), index=True)
    purpose: Mapped[str | None] = mapped_column(String(200))
    host_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    host_name: Mapped[str] = mapped_column(String(80))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="SET NULL"), index=True)
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    car_park_id: Mapped[int | None] = mapped_column(
        ForeignKey("car_park.id", ondelete="SET NULL"), doc="a space reserved for the visitor's car"
    )
    entered_at: Mapped[dt.datetime | None]
    left_at: Mapped[dt.datetime | None]


class BlacklistEntry(Audited, TimestampMixin, ParkScoped, Base):
    """A person (by phone) or a plate the gates refuse."""

    __tablename__ = "access_blacklist"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), doc="phone or plate")
    value: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(200))


class AccessEvent(ParkScoped, Base):
    """A gate's report of a pass or plate and what it decided. Not audited: the event is the record."""

    __tablename__ = "access_event"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    gate: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(4))
    at: Mapped[dt.datetime] = mapped_column(index=True)
    token: Mapped[str | None] = mapped_column(String(40))
    plate: Mapped[str | None] = mapped_column(String(16))
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("visitor_pass.id", ondelete="SET NULL"), index=True)
    car_park_id: Mapped[int | None] = mapped_column(ForeignKey("car_park.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(60))


# -- parking -----------------------------------------------------------------------------------------------------
class CarPark(Audited, TimestampMixin, ParkScoped, Base):
    """A car park with its tariff (park policy): free minutes, yuan per started hour, a cap per local day."""

    __tablename__ = "car_park"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100), doc="shown on English pages")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    free_minutes: Mapped[int] = mapped_column(Integer, default=30)
    hourly_yuan: Mapped[Decimal] = mapped_column(Money)
    daily_cap_yuan: Mapped[Decimal | None] = mapped_column(Money)
    monthly_yuan: Mapped[Decimal | None] = mapped_column(Money, doc="price of a monthly permit")
    visitor_spaces: Mapped[int] = mapped_column(Integer, default=0, doc="spaces visitors may reserve")


class ParkingSpace(Audited, TimestampMixin, ParkScoped, Base):
    """One space; `point_id` is its occupancy sensor's telemetry point (1 occupied, 0 free)."""

    __tablename__ = "parking_space"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("car_park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    car_park_id: Mapped[int] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    point_id: Mapped[int | None] = mapped_column(ForeignKey("point.id", ondelete="SET NULL"), index=True)


class ParkingPermit(Audited, TimestampMixin, ParkScoped, Base):
    """A monthly permit: the plate parks free on the days first..last (in one car park, or any when None)."""

    __tablename__ = "parking_permit"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    car_park_id: Mapped[int | None] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    holder: Mapped[str | None] = mapped_column(String(100))


class ParkingSession(Audited, ParkScoped, Base):
    """A car's stay in a car park, from the plate seen at the entry to the exit, with its fee."""

    __tablename__ = "parking_session"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    car_park_id: Mapped[int] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    entered_at: Mapped[dt.datetime]
    left_at: Mapped[dt.datetime | None]
    fee_yuan: Mapped[Decimal | None] = mapped_column(Money)
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("visitor_pass.id", ondelete="SET NULL"))


# -- bills -------------------------------------------------------------------------------------------------------
class Bill(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A bill of a unit's tenant for one month: rent, property fee, or electricity re-billed from its meters."""

    __tablename__ = "living_bill"
    __table_args__ = (UniqueConstraint("enterprise_id", "room_id", "month", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"), index=True)
    month: Mapped[dt.date] = mapped_column(Date, doc="the first day of the billed month")
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float | None] = mapped_column(Float, doc="m² for rent and fee, kWh for electricity")
    unit_price_yuan: Mapped[Decimal] = mapped_column(Money)
    amount_yuan: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(10), default=BillStatus.UNPAID.value)
    paid_at: Mapped[dt.datetime | None]


# -- roads, vehicles, deliveries ---------------------------------------------------------------------------------
class RoadNode(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "road_node"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(100))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class RoadEdge(Audited, TimestampMixin, ParkScoped, Base):
    """A two-way road between two nodes; `restricted`: pedestrian paths and lanes only robots may use."""

    __tablename__ = "road_edge"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="CASCADE"), index=True)
    length_m: Mapped[float] = mapped_column(Float)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(100))


class DeliveryVehicle(Audited, TimestampMixin, ParkScoped, Base):
    __tablename__ = "delivery_vehicle"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(Integer, doc="load units (parcels or boxes)")
    speed_mps: Mapped[float] = mapped_column(Float)
    range_m: Mapped[float] = mapped_column(Float, doc="distance on a full battery or tank")
    depot_node_id: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_node_id: Mapped[int | None] = mapped_column(ForeignKey("road_node.id", ondelete="SET NULL"))
    last_seen_at: Mapped[dt.datetime | None]
    battery_pct: Mapped[float | None] = mapped_column(Float)


class Delivery(Audited, TimestampMixin, ParkScoped, Base):
    """Carry `load` from a pick-up node (None: the depot) to a drop-off node within the time windows."""

    __tablename__ = "delivery"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(200))
    requester_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    requester_name: Mapped[str] = mapped_column(String(80))
    pickup_node_id: Mapped[int | None] = mapped_column(ForeignKey("road_node.id", ondelete="RESTRICT"))
    dropoff_node_id: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="RESTRICT"))
    load: Mapped[int] = mapped_column(Integer, default=1)
    earliest: Mapped[dt.datetime]
    latest: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.WAITING.value, index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_vehicle.id", ondelete="SET NULL"))
    eta: Mapped[dt.datetime | None]


class DeliveryPlan(ParkScoped, Base):
    """A plan of every open delivery, made when one arrives: the routes as the planner returned them."""

    __tablename__ = "delivery_plan"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    made_at: Mapped[dt.datetime] = mapped_column(index=True)
    starts_at: Mapped[dt.datetime]
    routes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    unassigned: Mapped[list[int]] = mapped_column(JSON)
    distance_m: Mapped[float] = mapped_column(Float)
    solve_ms: Mapped[int] = mapped_column(Integer)


# -- security ----------------------------------------------------------------------------------------------------
class SecurityKind(enum.StrEnum):
    INTRUSION = "intrusion"  # 区域入侵
    LOITERING = "loitering"  # 徘徊
    SMOKE = "smoke"  # 烟火
    HELMET = "helmet"  # 未戴安全帽
    FORCED_DOOR = "forced_door"  # 门禁强开
    OTHER = "other"


class SecurityEvent(Audited, TimestampMixin, ParkScoped, Base):
    """An event of camera analytics (an NVR), an access-control gate, or a person, with its snapshot; each opens a
    security work order for the security team."""

    __tablename__ = "security_event"
    __visibility__ = Visibility.STAFF
    __audit_exclude__ = frozenset({"snapshot"})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40), doc="camera or gate code, or who reported it")
    at: Mapped[dt.datetime] = mapped_column(index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="SET NULL"))
    location: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    snapshot: Mapped[bytes | None] = mapped_column(LargeBinary)
    snapshot_type: Mapped[str | None] = mapped_column(String(40))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id", ondelete="SET NULL"))


class PatrolRoute(Audited, TimestampMixin, ParkScoped, Base):
    """A guards' round: its checkpoints in order (codes and names) and how often it is walked."""

    __tablename__ = "patrol_route"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    checkpoints: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    every_minutes: Mapped[int] = mapped_column(Integer, default=120)


class PatrolRecord(ParkScoped, Base):
    """A guard reached a checkpoint (scanned its tag). Not audited: the record is the event."""

    __tablename__ = "patrol_record"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_route.id", ondelete="CASCADE"), index=True)
    checkpoint: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(index=True)
    guard: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(200))
