"""REST API of the living services under /api/v1/living: visitor passes and their QR codes, gate events, who is
in the park, the blacklist; car parks, spaces, permits, live occupancy, guidance and parking sessions; bills;
roads, vehicles, deliveries, plans and vehicles' progress."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes
from digipark.living import bills, delivery, parking, schemas, security, service, visitors

router = APIRouter(prefix="/api/v1/living")
VISITORS: list[str | Enum] = ["living: visitors and access"]
PARKING: list[str | Enum] = ["living: parking"]
BILLS: list[str | Enum] = ["living: bills"]
DELIVERY: list[str | Enum] = ["living: deliveries"]
SECURITY: list[str | Enum] = ["living: security"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
PassQuery = Annotated[ListQuery, Depends(visitors.PASS_SPEC.dependency())]
SessionQuery = Annotated[ListQuery, Depends(parking.SESSION_SPEC.dependency())]
BillQuery = Annotated[ListQuery, Depends(bills.BILL_SPEC.dependency())]
DeliveryQuery = Annotated[ListQuery, Depends(delivery.DELIVERY_SPEC.dependency())]
EventQuery = Annotated[ListQuery, Depends(security.EVENT_SPEC.dependency())]


# -- visitors ----------------------------------------------------------------------------------------------------
@router.get("/passes", response_model=Page[schemas.PassRead], tags=VISITORS)
def list_passes(db: DbSession, scope: CurrentScope, query: PassQuery) -> Any:
    """The passes you may read: staff all of the park, an enterprise its own, a resident the ones it issued."""
    rows, total = visitors.list_passes(db, scope=scope, query=query)
    return page_of([visitors.pass_read(r) for r in rows], total, query)


@router.post("/passes", response_model=schemas.PassRead, status_code=201, tags=VISITORS)
def create_pass(data: schemas.PassCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Invite a visitor for a time window (at most 31 days); optionally reserve a visitor parking space."""
    return visitors.pass_read(visitors.create_pass(db, scope=scope, data=data))


@router.get("/passes/{ident}", response_model=schemas.PassRead, tags=VISITORS)
def get_pass(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return visitors.pass_read(visitors.get_pass(db, scope=scope, ident=ident))


@router.post("/passes/{ident}/revoke", response_model=schemas.PassRead, tags=VISITORS)
def revoke_pass(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return visitors.pass_read(visitors.revoke_pass(db, scope=scope, ident=ident))


@router.get("/passes/{ident}/qr.svg", tags=VISITORS, responses={200: {"content": {"image/svg+xml": {}}}})
def pass_qr(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    """The pass's QR code, for the visitor's phone or print."""
    return Response(visitors.qr_svg(visitors.get_pass(db, scope=scope, ident=ident)), media_type="image/svg+xml")


@router.post("/gate-events", response_model=schemas.GateDecision, status_code=201, tags=VISITORS)
def gate_event(data: schemas.GateEvent, db: DbSession, scope: CurrentScope) -> Any:
    """A gate (its service account) reports a pass token or a plate; the answer says whether to open. At a car
    park's gate (`car_park_id`) a plate also opens or closes the car's parking session and tells the fee."""
    return service.gate_event(db, scope=scope, event=data)


@router.get("/in-park", response_model=list[schemas.InPark], tags=VISITORS)
def in_park(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """The visitors in the park now."""
    return visitors.in_park(db, scope=scope, park_id=park_id)


add_routes(router, visitors.BLACKLIST, "/blacklist", tags=VISITORS)


# -- parking -----------------------------------------------------------------------------------------------------
@router.get("/occupancy", response_model=list[schemas.Occupancy], tags=PARKING)
def occupancy(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """Every car park's live occupancy from its space sensors, and its free spaces."""
    return parking.occupancy(db, scope=scope, park_id=park_id)


@router.get("/guidance", response_model=list[schemas.Guidance], tags=PARKING)
def guidance(
    db: DbSession,
    scope: CurrentScope,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    park_id: ParkId = None,
) -> Any:
    """The nearest car parks with a free space, nearest first."""
    return parking.guidance(db, scope=scope, lon=lon, lat=lat, park_id=park_id)


@router.get("/parking-sessions", response_model=Page[schemas.SessionRead], tags=PARKING)
def list_sessions(db: DbSession, scope: CurrentScope, query: SessionQuery) -> Any:
    rows, total = parking.list_sessions(db, scope=scope, query=query)
    return page_of(rows, total, query)


add_routes(router, parking.CAR_PARKS, "/car-parks", tags=PARKING)
add_routes(router, parking.SPACES, "/parking-spaces", tags=PARKING)
add_routes(router, parking.PERMITS, "/parking-permits", tags=PARKING)


# -- bills -------------------------------------------------------------------------------------------------------
@router.get("/bills", response_model=Page[schemas.BillRead], tags=BILLS)
def list_bills(db: DbSession, scope: CurrentScope, query: BillQuery) -> Any:
    """Bills of units: staff all of the park's, an enterprise its own."""
    rows, total = bills.list_bills(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/bills/run", response_model=schemas.BillingResult, tags=BILLS)
def run_billing(data: schemas.BillingRun, db: DbSession, scope: CurrentScope) -> Any:
    """Bill every leased room for a month: rent and property fee by area, electricity from the tenant's meters."""
    return bills.run_billing(db, scope=scope, data=data)


@router.post("/bills/{ident}/paid", response_model=schemas.BillRead, tags=BILLS)
def mark_paid(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return bills.mark_paid(db, scope=scope, ident=ident)


# -- deliveries --------------------------------------------------------------------------------------------------
@router.get("/roads.geojson", tags=DELIVERY)
def roads(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """The park's road graph as GeoJSON."""
    return delivery.road_geojson(db, scope=scope, park_id=park_id)


@router.get("/plans/latest", response_model=schemas.PlanRead | None, tags=DELIVERY)
def latest_plan(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    """The newest delivery plan: each vehicle's route with its stops, arrival times and line (null: none yet)."""
    return delivery.latest_plan(db, scope=scope, park_id=park_id)


@router.post("/progress", response_model=schemas.VehicleRead, tags=DELIVERY)
def progress(data: schemas.Progress, db: DbSession, scope: CurrentScope) -> Any:
    """A vehicle's report: where it is, its battery, deliveries picked up and delivered (also over MQTT)."""
    return delivery.progress(db, scope=scope, data=data)


@router.get("/deliveries", response_model=Page[schemas.DeliveryRead], tags=DELIVERY)
def list_deliveries(db: DbSession, scope: CurrentScope, query: DeliveryQuery) -> Any:
    rows, total = delivery.list_deliveries(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/deliveries", response_model=schemas.DeliveryRead, status_code=201, tags=DELIVERY)
def order_delivery(data: schemas.DeliveryCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Order a delivery; the park's open deliveries are planned again at once."""
    row, _plan = delivery.order_delivery(db, scope=scope, data=data)
    return row


@router.get("/deliveries/{ident}", response_model=schemas.DeliveryRead, tags=DELIVERY)
def get_delivery(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return delivery.get_delivery(db, scope=scope, ident=ident)


@router.post("/deliveries/{ident}/cancel", response_model=schemas.DeliveryRead, tags=DELIVERY)
def cancel_delivery(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return delivery.cancel_delivery(db, scope=scope, ident=ident)


add_routes(router, delivery.NODES, "/road-nodes", tags=DELIVERY)
add_routes(router, delivery.EDGES, "/road-edges", tags=DELIVERY)
add_routes(router, delivery.VEHICLES, "/vehicles", tags=DELIVERY)


# -- security ----------------------------------------------------------------------------------------------------
@router.get("/security-events", response_model=Page[schemas.SecurityEventRead], tags=SECURITY)
def list_security_events(db: DbSession, scope: CurrentScope, query: EventQuery) -> Any:
    rows, total = security.list_events(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/security-events", response_model=schemas.SecurityEventRead, status_code=201, tags=SECURITY)
def report_security_event(data: schemas.SecurityEventCreate, db: DbSession, scope: CurrentScope) -> Any:
    """An NVR's, a gate's or a person's security event with its snapshot; opens a security work order."""
    return security.report_event(db, scope=scope, data=data)


@router.get("/security-events/{ident}", response_model=schemas.SecurityEventRead, tags=SECURITY)
def get_security_event(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return security.get_event(db, scope=scope, ident=ident)


@router.get(
    "/security-events/{ident}/snapshot",
    tags=SECURITY,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def security_snapshot(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    content, media_type = security.snapshot_of(db, scope=scope, ident=ident)
    return Response(content, media_type=media_type)


@router.post("/patrol-records", status_code=201, tags=SECURITY)
def scan_checkpoint(data: schemas.PatrolScan, db: DbSession, scope: CurrentScope) -> dict[str, Any]:
    """A guard scanned a checkpoint."""
    record = security.scan(db, scope=scope, data=data)
    return {"id": record.id, "route_id": record.route_id, "checkpoint": record.checkpoint, "at": record.at}


@router.get("/patrol-routes/{ident}/status", response_model=schemas.PatrolStatus, tags=SECURITY)
def patrol_status(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The route's current round: checkpoints visited and still missing."""
    return security.status(db, scope=scope, ident=ident)


add_routes(router, security.ROUTES, "/patrol-routes", tags=SECURITY)
