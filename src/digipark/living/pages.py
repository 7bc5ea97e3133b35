"""Living-service pages: the overview (what a resident, an enterprise or staff can use), visitor passes with their
QR code, car parks with live occupancy and guidance, and the delivery map with each vehicle's route."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from digipark.core.config import get_settings
from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.core.listing import ListQuery
from digipark.living import buildings, delivery, parking, visitors
from digipark.living.models import DeliveryVehicle, RoadNode
from digipark.living.schemas import PassCreate
from digipark.registry.models import Building
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

PASS_STATES = {
    "not_yet": N_("Not yet valid"),
    "valid": N_("Valid"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
}
GATE_REASONS = {  # visitors.check_access's reasons
    "exit": N_("Leaving the park"),
    "blacklisted": N_("On the blacklist"),
    "no pass": N_("No pass"),
    "pass not_yet": N_("Pass not yet valid"),
    "pass expired": N_("Pass expired"),
    "pass revoked": N_("Pass revoked"),
    "valid pass": N_("Valid pass"),
}
VEHICLE_KINDS = {"van": N_("Van"), "unmanned": N_("Unmanned vehicle"), "robot": N_("Delivery robot")}
DELIVERY_STATES = {
    "waiting": N_("Waiting for a vehicle"),
    "planned": N_("Planned"),
    "picked_up": N_("Picked up"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
}
DELIVERY_KINDS = {"parcel": N_("Parcel"), "meal": N_("Meal"), "material": N_("Material")}
ROUTE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _member(page: Page) -> int:
    page.scope.require(visitors.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


def _local(value: dt.datetime) -> str:
    zone = zoneinfo.ZoneInfo(get_settings().timezone)
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


@router.get("/living", response_class=HTMLResponse, name="living")
def overview(page: CurrentPage) -> HTMLResponse:
    park_id = _member(page)
    passes, _ = visitors.list_passes(page.db, scope=page.scope, query=ListQuery(page_size=10))
    staff = page.scope.can(visitors.GATE)
    return page.render(
        "living/overview.html",
        {
            "passes": [visitors.pass_read(p) for p in passes],
            "occupancy": parking.occupancy(page.db, scope=page.scope, park_id=park_id),
            "in_park": visitors.in_park(page.db, scope=page.scope, park_id=park_id) if staff else None,
            "events": visitors.events(page.db, scope=page.scope, park_id=park_id, limit=10) if staff else None,
            "staff": staff,
            "may_invite": page.scope.can(visitors.INVITE),
            "may_report": page.scope.can("workorders.report"),
            "may_see_bills": page.scope.can("living.bills.view"),
            "pass_states": PASS_STATES,
            "gate_reasons": GATE_REASONS,
            "buildings": [
                *page.db.scalars(
                    page.scope.readable(Building).where(Building.park_id == park_id).order_by(Building.code).limit(50)
                )
            ],
        },
    )


# -- visitor passes ----------------------------------------------------------------------------------------------
def _pass_form(
    page: Page, values: dict[str, Any], errors: dict[str, str] | None = None, status_code: int = 200
) -> HTMLResponse:
    park_id = _member(page)
    return page.render(
        "living/pass_form.html",
        {
            "values": values,
            "errors": errors or {},
            "car_parks": [o for o in parking.occupancy(page.db, scope=page.scope, park_id=park_id)],
        },
        status_code=status_code,
    )


@router.get("/living/passes/new", response_class=HTMLResponse, name="living_pass_new")
def new_pass(page: CurrentPage) -> HTMLResponse:
    _member(page)
    page.scope.require(visitors.INVITE)
    start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return _pass_form(page, {"valid_from": _local(start), "valid_until": _local(start + dt.timedelta(hours=4))})


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return {str(e["loc"][0]) if e["loc"] else "": e["msg"] for e in exc.errors()}
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if exc.errors:
        return {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors}
    return {"": exc.detail}


def _local_input(value: str) -> dt.datetime | str:
    """A datetime-local input (Asia/Shanghai) as an aware datetime; bad text is left for the schema to refuse."""
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=zoneinfo.ZoneInfo(get_settings().timezone))
    except ValueError:
        return value


@router.post("/living/passes/new", response_class=HTMLResponse)
def create_pass(page: CurrentPage, form: FormFields) -> Response:
    _member(page)
    page.scope.require(visitors.INVITE)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            data = PassCreate(
                visitor_name=form.get("visitor_name", ""),
                visitor_phone=form.get("visitor_phone") or None,
                plate=form.get("plate") or None,
                purpose=form.get("purpose") or None,
                valid_from=_local_input(form.get("valid_from", "")),
                valid_until=_local_input(form.get("valid_until", "")),
                car_park_id=int(form["car_park_id"]) if form.get("car_park_id", "").isdigit() else None,
            )
            row = visitors.create_pass(page.db, scope=page.scope, data=data)
    except (ValidationError, DomainError) as exc:
        return _pass_form(page, form, _errors(exc), exc.status if isinstance(exc, DomainError) else 422)
    return RedirectResponse(f"/living/passes/{row.id}?saved=1", status_code=303)


@router.get("/living/passes/{ident}", response_class=HTMLResponse, name="living_pass")
def pass_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _member(page)
    row = visitors.get_pass(page.db, scope=page.scope, ident=ident)
    return page.render(
        "living/pass.html",
        {
            "item": visitors.pass_read(row),
            "pass_states": PASS_STATES,
            "saved": page.request.query_params.get("saved") == "1",
        },
    )


@router.get("/living/passes/{ident}/qr.svg", name="living_pass_qr")
def pass_qr(ident: Ident, page: CurrentPage) -> Response:
    _member(page)
    row = visitors.get_pass(page.db, scope=page.scope, ident=ident)
    return Response(visitors.qr_svg(row), media_type="image/svg+xml")


@router.post("/living/passes/{ident}/revoke")
def revoke_pass(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _member(page)
    page.check_csrf(form)
    visitors.revoke_pass(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/living/passes/{ident}?saved=1", status_code=303)


# -- parking -----------------------------------------------------------------------------------------------------
@router.get("/living/parking", response_class=HTMLResponse, name="living_parking")
def parking_page(page: CurrentPage) -> HTMLResponse:
    park_id = _member(page)
    return page.render(
        "living/parking.html",
        {"occupancy": parking.occupancy(page.db, scope=page.scope, park_id=park_id)},
    )


# -- deliveries --------------------------------------------------------------------------------------------------
def _projection(points: list[tuple[float, float]], width: float = 800, height: float = 520, pad: float = 24) -> Any:
    if not points:
        return lambda lon, lat: (0.0, 0.0)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    span_x = max(east - west, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round(pad + (lon - west) * scale, 1), round(height - pad - (lat - south) * scale, 1)

    return project


@router.get("/living/deliveries", response_class=HTMLResponse, name="living_deliveries")
def deliveries_page(page: CurrentPage) -> HTMLResponse:
    park_id = _member(page)
    page.scope.require(visitors.MANAGE)
    roads = delivery.road_geojson(page.db, scope=page.scope, park_id=park_id)
    plan = delivery.latest_plan(page.db, scope=page.scope, park_id=park_id)
    nodes = {n.id: n for n in page.db.scalars(select(RoadNode).where(RoadNode.park_id == park_id))}
    project = _projection([(n.lon, n.lat) for n in nodes.values()])
    lines = [
        {
            "points": " ".join(f"{x},{y}" for x, y in (project(*c) for c in f["geometry"]["coordinates"])),
            "restricted": f["properties"]["restricted"],
        }
        for f in roads["features"]
        if f["geometry"]["type"] == "LineString"
    ]
    routes = []
    for i, route in enumerate(plan.routes if plan else []):
        coords = route["geometry"]["coordinates"]
        routes.append(
            {
                "vehicle": route["vehicle"],
                "kind": route["kind"],
                "colour": ROUTE_COLOURS[i % len(ROUTE_COLOURS)],
                "distance_m": route["distance_m"],
                "stops": [s for s in route["stops"] if s["delivery_id"]],
                "points": " ".join(f"{x},{y}" for x, y in (project(*c) for c in coords)),
            }
        )
    points = [{"code": n.code, "name": n.name, "xy": project(n.lon, n.lat)} for n in nodes.values()]
    vehicles = [
        *page.db.scalars(
            select(DeliveryVehicle).where(DeliveryVehicle.park_id == park_id).order_by(DeliveryVehicle.code)
        )
    ]
    rows, _total = delivery.list_deliveries(
        page.db, scope=page.scope, query=ListQuery(page_size=50, filters={"state": "planned"})
    )
    return page.render(
        "living/deliveries.html",
        {
            "lines": lines,
            "routes": routes,
            "points": points,
            "plan": plan,
            "vehicles": vehicles,
            "vehicle_kinds": VEHICLE_KINDS,
            "deliveries": rows,
            "delivery_states": DELIVERY_STATES,
            "nodes": nodes,
        },
    )


@router.get("/living/deliveries/{ident}", response_class=HTMLResponse, name="living_delivery")
def delivery_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    """One delivery (the operations centre's map opens it): what, from where to where, its vehicle and expected
    arrival. Staff read every delivery of the park, a member the ones they ordered."""
    _member(page)
    row = delivery.get_delivery(page.db, scope=page.scope, ident=ident)
    node_ids = [n for n in (row.pickup_node_id, row.dropoff_node_id) if n is not None]
    nodes = {n.id: n for n in page.db.scalars(select(RoadNode).where(RoadNode.id.in_(node_ids)))}
    vehicle = page.db.get(DeliveryVehicle, row.vehicle_id) if row.vehicle_id is not None else None
    return page.render(
        "living/delivery.html",
        {
            "d": row,
            "pickup": nodes.get(row.pickup_node_id) if row.pickup_node_id is not None else None,
            "dropoff": nodes.get(row.dropoff_node_id),
            "vehicle": vehicle if vehicle is not None and vehicle.park_id == row.park_id else None,
            "delivery_states": DELIVERY_STATES,
            "delivery_kinds": DELIVERY_KINDS,
            "may_see_map": page.scope.can(visitors.MANAGE),
        },
    )


# -- building view -----------------------------------------------------------------------------------------------
@router.get("/living/buildings/{ident}", response_class=HTMLResponse, name="living_building")
def building_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _member(page)
    return page.render("living/building.html", buildings.building_view(page.db, scope=page.scope, ident=ident))
