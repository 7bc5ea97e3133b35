"""Deliveries: a new order re-plans the park's open deliveries; the plan keeps to the roads a vehicle may use;
vehicles report progress; who reads which delivery; the living provider for indicator S2.1; bills."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from digipark.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.living import bills, delivery, provides
from digipark.living.models import Delivery, DeliveryState
from digipark.living.schemas import BillingRun, DeliveryCreate, EdgeCreate, NodeCreate, Progress, VehicleCreate
from tests.conftest import World
from tests.living.helpers import other_resident, scope_of


def _network(db: Session) -> dict[str, int]:
    """depot -- A -- B, and C behind a pedestrian path from B: only the robot reaches C."""
    admin = scope_of(db, "TA", "park_admin")
    ids = {}
    for code, lon in (("DEPOT", 120.600), ("A", 120.602), ("B", 120.604), ("C", 120.605)):
        ids[code] = delivery.NODES.create(db, scope=admin, data=NodeCreate(code=code, lon=lon, lat=31.3)).id
    for a, b, restricted in (("DEPOT", "A", False), ("A", "B", False), ("B", "C", True)):
        delivery.EDGES.create(db, scope=admin, data=EdgeCreate(a_id=ids[a], b_id=ids[b], restricted=restricted))
    delivery.VEHICLES.create(
        db,
        scope=admin,
        data=VehicleCreate(
            code="VAN", kind="van", capacity=10, speed_mps=5, range_m=50_000, depot_node_id=ids["DEPOT"]
        ),
    )
    return ids


def _order(db: Session, account: str, node: int, **fields: object) -> tuple[Delivery, object]:
    now = dt.datetime.now(dt.UTC)
    data = DeliveryCreate(dropoff_node_id=node, earliest=now, latest=now + dt.timedelta(hours=2), **fields)  # type: ignore[arg-type]
    return delivery.order_delivery(db, scope=scope_of(db, "TA", account), data=data)


def test_a_new_order_replans_and_keeps_to_allowed_roads(db: Session) -> None:
    ids = _network(db)
    row, plan = _order(db, "resident", ids["B"])
    assert plan is not None and row.state == DeliveryState.PLANNED.value and row.eta is not None
    assert [r["vehicle"] for r in plan.routes] == ["VAN"]  # type: ignore[attr-defined]
    behind, plan = _order(db, "resident", ids["C"])
    assert behind.state == DeliveryState.WAITING.value and behind.id in plan.unassigned  # type: ignore[attr-defined]
    # a robot may use the path: the next order's plan serves it
    delivery.VEHICLES.create(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        data=VehicleCreate(
            code="BOT", kind="robot", capacity=2, speed_mps=1.5, range_m=5_000, depot_node_id=ids["DEPOT"]
        ),
    )
    _order(db, "enterprise", ids["A"])
    db.refresh(behind)
    assert behind.state == DeliveryState.PLANNED.value
    latest = delivery.latest_plan(db, scope=scope_of(db, "TA", "operator"))
    assert latest is not None
    robot_route = next(r for r in latest.routes if r["vehicle"] == "BOT")
    assert behind.id in [s["delivery_id"] for s in robot_route["stops"]]
    assert robot_route["geometry"]["coordinates"][0] == [120.600, 31.3]
    van_route = next(r for r in latest.routes if r["vehicle"] == "VAN")
    assert behind.id not in [s["delivery_id"] for s in van_route["stops"]]


def test_progress_and_who_reads_deliveries(db: Session, world: World) -> None:
    ids = _network(db)
    mine, _ = _order(db, "resident", ids["B"])
    assert mine.vehicle_id is not None
    with pytest.raises(NotFound):
        delivery.get_delivery(db, scope=other_resident(db, world), ident=mine.id)
    rows, _ = delivery.list_deliveries(db, scope=scope_of(db, "TA", "enterprise"), query=ListQuery(page_size=100))
    assert mine.id not in {r.id for r in rows}
    with pytest.raises(PermissionDenied):
        delivery.progress(db, scope=scope_of(db, "TA", "resident"), data=Progress(vehicle="VAN", delivered=[mine.id]))
    delivery.progress(
        db,
        scope=scope_of(db, "TA", "operator"),
        data=Progress(vehicle="VAN", node="B", battery_pct=80, delivered=[mine.id]),
    )
    assert mine.state == DeliveryState.DELIVERED.value
    with pytest.raises(ValidationFailed):  # not on that vehicle
        delivery.progress(
            db, scope=scope_of(db, "TA", "operator"), data=Progress(vehicle="VAN", delivered=[mine.id + 1000])
        )


def test_living_service_in_use(db: Session, world: World) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    before = provides.online_service_counts(db, world.a.park_id, since)
    ids = _network(db)
    _order(db, "resident", ids["A"])
    after = provides.online_service_counts(db, world.a.park_id, since)
    assert after["deliveries"] == before["deliveries"] + 1
    assert provides.living_service_in_use(db, world.a.park_id, since)
    assert not provides.living_service_in_use(db, world.a.park_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))


def test_billing_a_month(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    run = BillingRun(
        month=dt.date(2026, 4, 15),
        rent_yuan_per_m2=Decimal("40"),
        property_fee_yuan_per_m2=Decimal("5"),
        electricity_yuan_per_kwh=Decimal("0.8"),
    )
    first = bills.run_billing(db, scope=admin, data=run)
    again = bills.run_billing(db, scope=admin, data=run)
    assert first.created > 0 and again.created == 0 and again.skipped == first.created
    own, _ = bills.list_bills(db, scope=scope_of(db, "TA", "enterprise"), query=ListQuery(page_size=500))
    assert own and all(b.enterprise_id == world.a.enterprise_ids[0] for b in own)
    rent = next(b for b in own if b.kind == "rent")
    with pytest.raises(PermissionDenied):
        bills.mark_paid(db, scope=scope_of(db, "TA", "enterprise"), ident=rent.id)
    bills.mark_paid(db, scope=admin, ident=rent.id)
    assert rent.status == "paid"
    with pytest.raises(PermissionDenied):
        bills.list_bills(db, scope=scope_of(db, "TA", "resident"), query=ListQuery())


def test_current_deliveries_for_the_map_say_where_each_is_and_where_it_goes(db: Session, world: World) -> None:
    ids = _network(db)
    mine, _ = _order(db, "resident", ids["B"], description="午餐")
    theirs, _ = _order(db, "enterprise", ids["A"])
    done, _ = _order(db, "resident", ids["A"])
    operator = scope_of(db, "TA", "operator")
    delivery.progress(db, scope=operator, data=Progress(vehicle="VAN", node="A", picked_up=[mine.id]))
    delivery.progress(db, scope=operator, data=Progress(vehicle="VAN", delivered=[done.id]))
    seen = {d.delivery_id: d for d in provides.current_deliveries(db, scope=operator, park_id=world.a.park_id)}
    assert set(seen) == {mine.id, theirs.id}  # open ones only: the delivered one is gone
    moving = seen[mine.id]
    assert moving.state == DeliveryState.PICKED_UP.value and moving.vehicle == "VAN"
    assert moving.at == (120.602, 31.3) and moving.destination == (120.604, 31.3)  # at A (reported), to B
    assert moving.description == "午餐" and moving.eta is not None
    assert seen[theirs.id].at == (120.600, 31.3)  # planned from the van's depot
    # a resident sees only what they ordered; another park's member nothing of this park
    resident = provides.current_deliveries(db, scope=scope_of(db, "TA", "resident"))
    assert [d.delivery_id for d in resident] == [mine.id]
    assert provides.current_deliveries(db, scope=other_resident(db, world)) == []
    with pytest.raises(DomainError) as refused:  # another park's operator asks for this park's deliveries
        provides.current_deliveries(db, scope=scope_of(db, "TB", "operator"), park_id=world.a.park_id)
    assert refused.value.status in (403, 404)
