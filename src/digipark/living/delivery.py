"""Deliveries in the park: the road graph (nodes and two-way roads, some restricted to robots), the delivery
fleet, delivery orders with pick-up/drop-off and time windows, and plans: every new order re-plans the park's open
deliveries with `routing.solve`; vehicles report their progress (over HTTP or MQTT: `progress`)."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import time
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.crud import RecordType
from digipark.living import routing
from digipark.living.models import (
    Delivery,
    DeliveryPlan,
    DeliveryState,
    DeliveryVehicle,
    RoadEdge,
    RoadNode,
    VehicleKind,
)
from digipark.living.parking import metres_between
from digipark.living.schemas import (
    DeliveryCreate,
    EdgeCreate,
    EdgeRead,
    EdgeUpdate,
    NodeCreate,
    NodeRead,
    NodeUpdate,
    Progress,
    VehicleCreate,
    VehicleRead,
    VehicleUpdate,
)
from digipark.living.visitors import MANAGE, VIEW

ORDER = "living.deliver"  # members order deliveries
PLAN_BUDGET_S = 2.0
HORIZON = dt.timedelta(hours=12)
OPEN_STATES = (DeliveryState.WAITING.value, DeliveryState.PLANNED.value, DeliveryState.PICKED_UP.value)

NODES: RecordType[RoadNode] = RecordType(
    name="road_node",
    model=RoadNode,
    create_schema=NodeCreate,
    update_schema=NodeUpdate,
    read_schema=NodeRead,
    list_spec=ListSpec(
        filters={"park_id": RoadNode.park_id},
        search=[RoadNode.code, RoadNode.name],
        sort={"id": RoadNode.id, "code": RoadNode.code},
    ),
    write_permission=MANAGE,
    unique=("code",),
)


def _edge_length(session: Session, scope: Scope, values: dict[str, Any], row: RoadEdge | None) -> dict[str, Any]:
    a_id = values.get("a_id", row.a_id if row else None)
    b_id = values.get("b_id", row.b_id if row else None)
    if a_id == b_id:
        raise field_error("b_id", "a road joins two different nodes")
    if values.get("length_m") is None and row is None:
        a, b = session.get(RoadNode, a_id), session.get(RoadNode, b_id)
        assert a is not None and b is not None  # the refs check found them
        values["length_m"] = round(metres_between(a.lon, a.lat, b.lon, b.lat), 1)
    elif "length_m" in values and values["length_m"] is None:
        values.pop("length_m")
    return values


EDGES: RecordType[RoadEdge] = RecordType(
    name="road_edge",
    model=RoadEdge,
    create_schema=EdgeCreate,
    update_schema=EdgeUpdate,
    read_schema=EdgeRead,
    list_spec=ListSpec(
        filters={"park_id": RoadEdge.park_id, "restricted": RoadEdge.restricted}, sort={"id": RoadEdge.id}
    ),
    write_permission=MANAGE,
    refs={"a_id": RoadNode, "b_id": RoadNode},
    validate=_edge_length,
)

VEHICLES: RecordType[DeliveryVehicle] = RecordType(
    name="delivery_vehicle",
    model=DeliveryVehicle,
    create_schema=VehicleCreate,
    update_schema=VehicleUpdate,
    read_schema=VehicleRead,
    list_spec=ListSpec(
        filters={"park_id": DeliveryVehicle.park_id, "kind": DeliveryVehicle.kind, "active": DeliveryVehicle.active},
        search=[DeliveryVehicle.code],
        sort={"id": DeliveryVehicle.id, "code": DeliveryVehicle.code},
    ),
    write_permission=MANAGE,
    refs={"depot_node_id": RoadNode},
    unique=("code",),
)


# -- deliveries --------------------------------------------------------------------------------------------------
def read_condition(scope: Scope) -> ColumnElement[bool]:
    """Staff read every delivery of the park; others the ones they ordered."""
    if not scope.can(VIEW):
        return false()
    if scope.is_staff:
        return true()
    return Delivery.requester_user_id == scope.user_id if scope.user_id is not None else false()


DELIVERY_SPEC = ListSpec(
    filters={
        "park_id": Delivery.park_id,
        "state": Delivery.state,
        "kind": Delivery.kind,
        "vehicle_id": Delivery.vehicle_id,
    },
    search=[Delivery.description],
    sort={"id": Delivery.id, "earliest": Delivery.earliest, "latest": Delivery.latest},
    default_sort="-id",
)


def list_deliveries(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Delivery], int]:
    return DELIVERY_SPEC.apply(session, scope.readable(Delivery).where(read_condition(scope)), query)


def get_delivery(session: Session, *, scope: Scope, ident: int) -> Delivery:
    row: Delivery | None = session.scalar(scope.readable(Delivery).where(read_condition(scope), Delivery.id == ident))
    if row is None:
        raise NotFound(f"delivery {ident} not found")
    return row


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def order_delivery(
    session: Session, *, scope: Scope, data: DeliveryCreate, replan: bool = True
) -> tuple[Delivery, DeliveryPlan | None]:
    """Order a delivery (every member of the park, in its own park) and re-plan the park's open deliveries."""
    scope.require(ORDER)
    if scope.is_staff:
        park_id = scope.acting_write_park(data.park_id)
    elif scope.park_id is None or (data.park_id is not None and data.park_id != scope.park_id):
        raise NotFound(f"park {data.park_id} not found")
    else:
        park_id = scope.park_id
    for field in ("pickup_node_id", "dropoff_node_id"):
        node_id = getattr(data, field)
        if node_id is not None:
            node = session.get(RoadNode, node_id)
            if node is None or node.park_id != park_id:
                raise field_error(field, "no such road node in this park")
    earliest, latest = _aware(data.earliest), _aware(data.latest)
    if latest <= earliest:
        raise field_error("latest", "must be after earliest")
    if latest <= utcnow():
        raise field_error("latest", "already past")
    row = Delivery(
        park_id=park_id,
        kind=data.kind.value,
        description=data.description,
        requester_user_id=scope.user_id,
        requester_name=scope.username,
        pickup_node_id=data.pickup_node_id,
        dropoff_node_id=data.dropoff_node_id,
        load=data.load,
        earliest=earliest,
        latest=latest,
        state=DeliveryState.WAITING.value,
    )
    session.add(row)
    session.flush()
    plan = replan_park(session, park_id=park_id) if replan else None
    return row, plan


def _graph(session: Session, park_id: int) -> tuple[dict[int, RoadNode], routing.RoadGraph]:
    nodes = {n.id: n for n in session.scalars(select(RoadNode).where(RoadNode.park_id == park_id))}
    edges = tuple(
        routing.Edge(e.a_id, e.b_id, e.length_m, e.restricted)
        for e in session.scalars(select(RoadEdge).where(RoadEdge.park_id == park_id))
    )
    return nodes, routing.RoadGraph(tuple(nodes), edges)


def replan_park(
    session: Session, *, park_id: int, now: dt.datetime | None = None, budget_s: float = PLAN_BUDGET_S
) -> DeliveryPlan:
    """Plan every open delivery not yet picked up with the park's active vehicles, from now (a system step; the
    caller has checked who asks). Deliveries no vehicle can serve stay waiting."""
    now = now or utcnow()
    nodes, graph = _graph(session, park_id)
    vehicles = builtins.list(
        session.scalars(
            select(DeliveryVehicle)
            .where(DeliveryVehicle.park_id == park_id, DeliveryVehicle.active.is_(True))
            .order_by(DeliveryVehicle.id)
        )
    )
    deliveries = builtins.list(
        session.scalars(
            select(Delivery)
            .where(
                Delivery.park_id == park_id,
                Delivery.state.in_((DeliveryState.WAITING.value, DeliveryState.PLANNED.value)),
            )
            .order_by(Delivery.id)
        )
    )
    places: list[int] = sorted({v.depot_node_id for v in vehicles})
    for d in deliveries:
        for node_id in (d.pickup_node_id, d.dropoff_node_id):
            if node_id is not None and node_id not in places:
                places.append(node_id)
    index = {node_id: i for i, node_id in enumerate(places)}
    distances: dict[str, list[list[float]]] = {}
    paths: dict[str, list[list[list[int]]]] = {}
    for profile, restricted_ok in (("road", False), ("path", True)):
        distances[profile], paths[profile] = graph.matrix(places, restricted_ok=restricted_ok)
    horizon_s = int(HORIZON.total_seconds())

    def seconds(moment: dt.datetime) -> int:
        return max(0, min(horizon_s, int((_aware(moment) - now).total_seconds())))

    tasks = tuple(
        routing.Task(
            str(d.id),
            index[d.dropoff_node_id],
            d.load,
            (seconds(d.earliest), seconds(d.latest)),
            pickup=index[d.pickup_node_id] if d.pickup_node_id is not None else None,
            pickup_window=(0, seconds(d.latest)) if d.pickup_node_id is not None else None,
            service_s=60,
        )
        for d in deliveries
        if _aware(d.latest) > now
    )
    fleet = tuple(
        routing.Vehicle(
            v.code,
            index[v.depot_node_id],
            v.capacity,
            v.speed_mps,
            v.range_m,
            may_use_restricted=v.kind == VehicleKind.ROBOT.value,
            profile="path" if v.kind == VehicleKind.ROBOT.value else "road",
        )
        for v in vehicles
    )
    started = time.perf_counter()
    if tasks and fleet:
        plan = routing.solve(routing.Problem(len(places), distances, fleet, tasks, horizon_s), time_limit_s=budget_s)
    else:
        plan = routing.Plan((), tuple(t.ident for t in tasks), 0.0)
    solve_ms = int((time.perf_counter() - started) * 1000)
    by_code = {v.code: v for v in vehicles}
    by_id = {d.id: d for d in deliveries}
    routes: list[dict[str, Any]] = []
    for route in plan.routes:
        vehicle = by_code[route.vehicle]
        profile = "path" if vehicle.kind == VehicleKind.ROBOT.value else "road"
        stops = []
        line: list[list[float]] = []
        for previous, visit in zip(route.visits, route.visits[1:], strict=False):
            for node_id in paths[profile][previous.place][visit.place][(1 if line else 0) :]:
                line.append([nodes[node_id].lon, nodes[node_id].lat])
        for visit in route.visits:
            eta = now + dt.timedelta(seconds=visit.arrival_s)
            stops.append(
                {
                    "node_id": places[visit.place],
                    "delivery_id": int(visit.task) if visit.task else None,
                    "kind": visit.kind,
                    "eta": eta.isoformat(),
                }
            )
            if visit.task and visit.kind == "dropoff":
                d = by_id[int(visit.task)]
                d.state, d.vehicle_id, d.eta = DeliveryState.PLANNED.value, vehicle.id, eta
        routes.append(
            {
                "vehicle_id": vehicle.id,
                "vehicle": vehicle.code,
                "kind": vehicle.kind,
                "distance_m": round(route.distance_m, 1),
                "stops": stops,
                "geometry": {"type": "LineString", "coordinates": line},
            }
        )
    for ident in plan.unassigned:
        d = by_id[int(ident)]
        d.state, d.vehicle_id, d.eta = DeliveryState.WAITING.value, None, None
    row = DeliveryPlan(
        park_id=park_id,
        made_at=utcnow(),
        starts_at=now,
        routes=routes,
        unassigned=[int(i) for i in plan.unassigned],
        distance_m=round(plan.distance_m, 1),
        solve_ms=solve_ms,
    )
    session.add(row)
    session.flush()
    return row


def latest_plan(session: Session, *, scope: Scope, park_id: int | None = None) -> DeliveryPlan | None:
    scope.require(MANAGE)
    park = scope.acting_park(park_id)
    found: DeliveryPlan | None = session.scalar(
        scope.readable(DeliveryPlan)
        .where(DeliveryPlan.park_id == park)
        .order_by(DeliveryPlan.made_at.desc(), DeliveryPlan.id.desc())
        .limit(1)
    )
    return found


def road_geojson(session: Session, *, scope: Scope, park_id: int | None = None) -> dict[str, Any]:
    """The park's roads as a GeoJSON FeatureCollection (restricted roads marked)."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    nodes = {n.id: n for n in session.scalars(scope.readable(RoadNode).where(RoadNode.park_id == park))}
    features = [
        {
            "type": "Feature",
            "properties": {"id": e.id, "name": e.name, "length_m": e.length_m, "restricted": e.restricted},
            "geometry": {
                "type": "LineString",
                "coordinates": [[nodes[e.a_id].lon, nodes[e.a_id].lat], [nodes[e.b_id].lon, nodes[e.b_id].lat]],
            },
        }
        for e in session.scalars(scope.readable(RoadEdge).where(RoadEdge.park_id == park))
        if e.a_id in nodes and e.b_id in nodes
    ]
    features += [
        {
            "type": "Feature",
            "properties": {"id": n.id, "code": n.code, "name": n.name},
            "geometry": {"type": "Point", "coordinates": [n.lon, n.lat]},
        }
        for n in nodes.values()
    ]
    return {"type": "FeatureCollection", "features": features}


def progress(session: Session, *, scope: Scope, data: Progress) -> DeliveryVehicle:
    """A vehicle reports where it is and what it picked up or delivered (its service account, or staff)."""
    scope.require(MANAGE)
    park_id = scope.acting_write_park(data.park_id)
    vehicle = session.scalar(
        select(DeliveryVehicle).where(DeliveryVehicle.park_id == park_id, DeliveryVehicle.code == data.vehicle)
    )
    if vehicle is None:
        raise field_error("vehicle", "no such vehicle in this park")
    if data.node is not None:
        node = session.scalar(select(RoadNode).where(RoadNode.park_id == park_id, RoadNode.code == data.node))
        if node is None:
            raise field_error("node", "no such road node in this park")
        vehicle.last_node_id = node.id
    vehicle.last_seen_at = _aware(data.at) if data.at else utcnow()
    if data.battery_pct is not None:
        vehicle.battery_pct = data.battery_pct
    for ident, state in [(i, DeliveryState.PICKED_UP) for i in data.picked_up] + [
        (i, DeliveryState.DELIVERED) for i in data.delivered
    ]:
        delivery = session.get(Delivery, ident)
        if delivery is None or delivery.park_id != park_id or delivery.vehicle_id != vehicle.id:
            raise field_error(
                "delivered" if state == DeliveryState.DELIVERED else "picked_up",
                f"delivery {ident} is not on this vehicle",
            )
        delivery.state = state.value
    session.flush()
    return vehicle


def cancel_delivery(session: Session, *, scope: Scope, ident: int) -> Delivery:
    row = get_delivery(session, scope=scope, ident=ident)
    if not (scope.user_id is not None and row.requester_user_id == scope.user_id) and not (
        scope.can(MANAGE) and row.park_id in scope.write_parks
    ):
        raise PermissionDenied("only who ordered it or park staff cancel a delivery")
    if row.state not in OPEN_STATES:
        raise Conflict(f"delivery {ident} is {row.state}")
    row.state = DeliveryState.CANCELLED.value
    session.flush()
    return row


# -- the park's deliveries now (the operations centre's map, through `provides`) ---------------------------------
@dataclasses.dataclass(frozen=True)
class DeliveryNow:
    """An open delivery where it is now and where it goes (WGS-84 longitude and latitude of road nodes).

    `at`: the vehicle's last reported node once picked up; before that the pick-up node (the vehicle's depot when
    the delivery has no pick-up node and a vehicle is planned for it); None when no place is known yet."""

    delivery_id: int
    kind: str
    state: str
    description: str | None
    vehicle: str | None
    eta: dt.datetime | None
    at: tuple[float, float] | None
    destination: tuple[float, float]
    destination_name: str


def current_deliveries(
    session: Session, *, scope: Scope, park_id: int | None = None, limit: int = 500
) -> builtins.list[DeliveryNow]:
    """The park's open deliveries (waiting, planned, picked up) the caller reads (staff: all of the park; a member:
    the ones they ordered), with their position and destination, earliest deadline first."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    rows = builtins.list(
        session.scalars(
            scope.readable(Delivery)
            .where(read_condition(scope), Delivery.park_id == park, Delivery.state.in_(OPEN_STATES))
            .order_by(Delivery.latest, Delivery.id)
            .limit(limit)
        )
    )
    if not rows:
        return []
    nodes = {n.id: n for n in session.scalars(select(RoadNode).where(RoadNode.park_id == park))}
    vehicles = {v.id: v for v in session.scalars(select(DeliveryVehicle).where(DeliveryVehicle.park_id == park))}

    def place(node_id: int | None) -> tuple[float, float] | None:
        node = nodes.get(node_id) if node_id is not None else None
        return (node.lon, node.lat) if node is not None else None

    found = []
    for d in rows:
        vehicle = vehicles.get(d.vehicle_id) if d.vehicle_id is not None else None
        if d.state == DeliveryState.PICKED_UP.value and vehicle is not None and vehicle.last_node_id is not None:
            at = place(vehicle.last_node_id)
        elif d.pickup_node_id is not None:
            at = place(d.pickup_node_id)
        else:
            at = place(vehicle.depot_node_id) if vehicle is not None else None
        destination = nodes.get(d.dropoff_node_id)
        if destination is None:
            continue
        found.append(
            DeliveryNow(
                delivery_id=d.id,
                kind=d.kind,
                state=d.state,
                description=d.description,
                vehicle=vehicle.code if vehicle is not None else None,
                eta=d.eta,
                at=at,
                destination=(destination.lon, destination.lat),
                destination_name=destination.name or destination.code,
            )
        )
    return found
