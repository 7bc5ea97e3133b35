"""The demo park's living services (declared in living.module): a car park for each lot of parking sensors (its
spaces fed by the sensors the demo's simulator drives), monthly permits, visitor passes, a road graph between the
buildings with pedestrian paths, a delivery fleet of vans, unmanned vehicles and robots, and the day's deliveries
planned."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role, User
from digipark.auth.scope import system_scope
from digipark.living import security
from digipark.living.delivery import replan_park
from digipark.living.models import (
    CarPark,
    Delivery,
    DeliveryKind,
    DeliveryState,
    DeliveryVehicle,
    ParkingPermit,
    ParkingSpace,
    RoadEdge,
    RoadNode,
    VehicleKind,
    VisitorPass,
)
from digipark.living.parking import metres_between
from digipark.living.schemas import Checkpoint, PatrolRouteCreate, SecurityEventCreate
from digipark.registry.models import Building, Device, Point

# car parks' tariffs (park policy): free minutes, yuan per started hour, cap per day, monthly permit
TARIFF = (30, Decimal("5.00"), Decimal("30.00"), Decimal("300.00"))
FLEET = (
    ("VAN-01", VehicleKind.VAN, 40, 8.0, 120_000.0),
    ("VAN-02", VehicleKind.VAN, 40, 8.0, 120_000.0),
    ("UGV-01", VehicleKind.UNMANNED, 12, 4.0, 30_000.0),
    ("UGV-02", VehicleKind.UNMANNED, 12, 4.0, 30_000.0),
    ("ROBOT-01", VehicleKind.ROBOT, 4, 1.5, 8_000.0),
    ("ROBOT-02", VehicleKind.ROBOT, 4, 1.5, 8_000.0),
)
VISITORS = (
    ("张磊", "13800138001", "苏E·A1234", "商务洽谈"),
    ("王芳", "13900139002", None, "设备验收"),
    ("赵强", "13700137003", "苏E·B5678", "技术交流"),
    ("孙丽", "13600136004", None, "面试"),
)


def _centre(footprint: dict[str, Any] | None) -> tuple[float, float] | None:
    if not footprint or footprint.get("type") != "Polygon":
        return None
    ring = footprint["coordinates"][0]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def _car_parks(session: Session, park_id: int) -> list[CarPark]:
    sensors = session.execute(
        select(Device, Point)
        .join(Point, Point.device_id == Device.id)
        .where(Device.park_id == park_id, Device.kind == "parking_sensor", Point.quantity == "occupancy")
        .order_by(Device.code)
    ).all()
    lots: dict[str, list[tuple[Device, Point]]] = {}
    for device, point in sensors:
        lot = (device.location or device.code).split(" ")[0]
        lots.setdefault(lot, []).append((device, point))
    free_minutes, hourly, cap, monthly = TARIFF
    found = []
    for n, (lot, members) in enumerate(lots.items(), start=1):
        lons = [d.lon for d, _ in members if d.lon is not None]
        lats = [d.lat for d, _ in members if d.lat is not None]
        english = members[0][0].name_en or ""  # a sensor's English name starts with its car park's (sim.park_plan)
        car_park = CarPark(
            park_id=park_id,
            code=f"P{n}",
            name=lot,
            name_en=english.split(" Space ")[0] if " Space " in english else None,
            lon=sum(lons) / len(lons) if lons else 0.0,
            lat=sum(lats) / len(lats) if lats else 0.0,
            capacity=len(members),
            free_minutes=free_minutes,
            hourly_yuan=hourly,
            daily_cap_yuan=cap,
            monthly_yuan=monthly,
            visitor_spaces=2,
        )
        session.add(car_park)
        session.flush()
        for k, (_device, point) in enumerate(members, start=1):
            session.add(
                ParkingSpace(
                    park_id=park_id, car_park_id=car_park.id, code=f"{car_park.code}-{k:03d}", point_id=point.id
                )
            )
        found.append(car_park)
    return found


def _roads(session: Session, park_id: int, rng: random.Random) -> list[RoadNode]:
    """A node at every building's door and a depot; each joined to its three nearest (a road), a few of the
    shortest links between neighbours are pedestrian paths only robots use."""
    buildings = [*session.scalars(select(Building).where(Building.park_id == park_id).order_by(Building.code))]
    places = [(b.code, b.name, c) for b in buildings if (c := _centre(b.footprint)) is not None]
    if not places:
        return []
    lon = sum(c[0] for _, _, c in places) / len(places)
    lat = sum(c[1] for _, _, c in places) / len(places)
    nodes = [RoadNode(park_id=park_id, code="DEPOT", name="园区物流中心", lon=lon, lat=lat)]
    nodes += [
        RoadNode(park_id=park_id, code=code[:20], name=name[:100], lon=c[0], lat=c[1]) for code, name, c in places
    ]
    session.add_all(nodes)
    session.flush()
    joined: set[tuple[int, int]] = set()
    for node in nodes:
        nearest = sorted((metres_between(node.lon, node.lat, o.lon, o.lat), o.id) for o in nodes if o.id != node.id)[:3]
        for k, (length, other) in enumerate(nearest):
            key = (min(node.id, other), max(node.id, other))
            if key in joined:
                continue
            joined.add(key)
            restricted = k == 0 and rng.random() < 0.25
            session.add(
                RoadEdge(
                    park_id=park_id, a_id=key[0], b_id=key[1], length_m=round(length * 1.2, 1), restricted=restricted
                )
            )
    # the depot reaches every node: a ring road keeps the graph connected
    ordered = sorted(nodes[1:], key=lambda n: math.atan2(n.lat - lat, n.lon - lon))
    for a, b in zip(ordered, ordered[1:] + ordered[:1], strict=False):
        key = (min(a.id, b.id), max(a.id, b.id))
        if key not in joined and a.id != b.id:
            joined.add(key)
            session.add(
                RoadEdge(
                    park_id=park_id,
                    a_id=key[0],
                    b_id=key[1],
                    length_m=round(1.2 * metres_between(a.lon, a.lat, b.lon, b.lat), 1),
                    restricted=False,
                )
            )
    session.flush()
    return nodes


def build_living_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The living services of the demo park (none when it has car parks already)."""
    if session.scalar(select(func.count()).select_from(CarPark).where(CarPark.park_id == park_id)):
        return {"car_parks": 0}
    rng = random.Random(seed)
    car_parks = _car_parks(session, park_id)
    users = [*session.scalars(select(User).where(User.park_id == park_id).order_by(User.id))]
    hosts = [u for u in users if u.role in (Role.RESIDENT, Role.ENTERPRISE)] or users
    morning = dt.datetime.combine(as_of, dt.time(1, 0), tzinfo=dt.UTC)  # 09:00 in Shanghai
    # passes and permits are live state: valid around the real day a newcomer looks, not the demo's statistics day
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    today = max(as_of, now.date())
    for n, (name, phone, plate, purpose) in enumerate(VISITORS):
        host = hosts[n % len(hosts)] if hosts else None
        start = now + dt.timedelta(hours=2 * n - 3)  # two valid now, two expected later today
        session.add(
            VisitorPass(
                park_id=park_id,
                token=f"{rng.getrandbits(128):032x}",
                visitor_name=name,
                visitor_phone=phone,
                plate=plate,
                purpose=purpose,
                host_user_id=host.id if host else None,
                host_name=host.display_name if host else "园区",
                enterprise_id=host.enterprise_id if host else None,
                valid_from=start,
                valid_until=start + dt.timedelta(hours=4),
                revoked=False,
                car_park_id=car_parks[0].id if plate and car_parks else None,
            )
        )
    for n in range(6):
        session.add(
            ParkingPermit(
                park_id=park_id,
                plate=f"苏E·{rng.randint(10000, 99999)}",
                car_park_id=car_parks[n % len(car_parks)].id if car_parks else None,
                first_day=today.replace(day=1),
                last_day=(today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1),
                holder="园区企业员工月卡",
            )
        )
    nodes = _roads(session, park_id, rng)
    deliveries = 0
    if len(nodes) > 2:
        depot = nodes[0]
        for code, kind, capacity, speed, range_m in FLEET:
            session.add(
                DeliveryVehicle(
                    park_id=park_id,
                    code=code,
                    kind=kind.value,
                    capacity=capacity,
                    speed_mps=speed,
                    range_m=range_m,
                    depot_node_id=depot.id,
                    active=True,
                    battery_pct=round(rng.uniform(55, 100), 0),
                )
            )
        session.flush()
        kinds = (DeliveryKind.PARCEL, DeliveryKind.MEAL, DeliveryKind.MATERIAL)
        for n in range(14):
            wanted = kinds[n % 3]
            start = now + dt.timedelta(minutes=rng.randrange(0, 240, 15))
            pickup = rng.choice(nodes[1:]).id if wanted == DeliveryKind.MEAL else None
            session.add(
                Delivery(
                    park_id=park_id,
                    kind=wanted.value,
                    description={"parcel": "快递包裹", "meal": "午餐外卖", "material": "生产物料"}[wanted.value],
                    requester_user_id=hosts[n % len(hosts)].id if hosts else None,
                    requester_name=hosts[n % len(hosts)].display_name if hosts else "园区",
                    pickup_node_id=pickup,
                    dropoff_node_id=rng.choice(nodes[1:]).id,
                    load={"parcel": 1, "meal": 1, "material": 6}[wanted.value],
                    earliest=start,
                    latest=start + dt.timedelta(hours=2),
                    state=DeliveryState.WAITING.value,
                )
            )
            deliveries += 1
        session.flush()
        replan_park(session, park_id=park_id, now=now, budget_s=1.0)
    _security(session, park_id, nodes, morning)
    return {
        "car_parks": len(car_parks),
        "road_nodes": len(nodes),
        "deliveries": deliveries,
        "visitor_passes": len(VISITORS),
    }


def _security(session: Session, park_id: int, nodes: list[RoadNode], morning: dt.datetime) -> None:
    """A night patrol along the first buildings and two camera events of the morning (each raises an alarm and
    opens a security work order through the work-order mechanism)."""
    scope = system_scope(park_id)
    checkpoints = [
        Checkpoint(code=f"C{n}", name=(node.name or node.code)[:200]) for n, node in enumerate(nodes[1:7], start=1)
    ]
    if checkpoints:
        security.ROUTES.create(
            session,
            scope=scope,
            data=PatrolRouteCreate(name="夜间巡更路线", checkpoints=checkpoints, every_minutes=120),
        )
    for kind, source, hours, location in (
        ("loitering", "CAM-N03", 0.5, "北门外"),
        ("helmet", "CAM-W12", 2.0, "西区施工现场"),
    ):
        security.report_event(
            session,
            scope=scope,
            data=SecurityEventCreate(
                kind=kind,
                source=source,
                at=morning + dt.timedelta(hours=hours),
                location=location,
            ),
        )
