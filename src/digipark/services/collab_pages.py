"""Supply-chain and logistics pages. Supply chain: a lead enterprise's shortages ahead at its suppliers and the
forecasts, capacity and stock they shared with it (with their consent); a supplier's own shares with the consent to
share them; publishing scenarios and capabilities (and needs, capacity offers) on the demand board. Logistics: an
enterprise's shipments in and out with the gate events staff record, and the dock schedule of the park's loading
bays (bookable logistics services). Reads and writes go through the services' functions and the caller's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.errors import DomainError
from digipark.core.listing import ListQuery
from digipark.services import booking, logistics, supply_chain
from digipark.services.catalogue import OFFERINGS
from digipark.services.common import READ_ALL, USE, WRITE, today, zone
from digipark.services.models import BookingStatus, PostKind, SupplierShare
from digipark.services.pages import POST_KINDS, STATUSES, Ident, _errors, _reader, _status, enterprise_names, month_of
from digipark.services.schemas import PostCreate, ShareCreate, ShareUpdate, ShipmentCreate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)

DIRECTIONS = {"in": N_("Inbound"), "out": N_("Outbound")}
SHIPMENT_STATUSES = {
    "planned": N_("Planned"),
    "arrived": N_("Arrived"),
    "loading": N_("Loading"),
    "departed": N_("Departed"),
    "cancelled": N_("Cancelled"),
}
GATE_EVENTS = {
    "arrived": N_("Arrived"),
    "loading": N_("Loading"),
    "departed": N_("Departed"),
    "cancelled": N_("Cancelled"),
}
DOCK_DAYS = 3


def _customers(page: Page, own: int, shares: list[SupplierShare]) -> list[tuple[int, str]]:
    """The lead enterprises a supplier may share with: its customers (declared or platform relations) and those it
    already shares with."""
    relations = supply_chain.RELATIONS.list(
        page.db, scope=page.scope, query=ListQuery(page_size=500, filters={"enterprise_id": own})
    )[0]
    ids = {r.customer_enterprise_id for r in relations} | {s.lead_enterprise_id for s in shares}
    return sorted(enterprise_names(page, ids - {own}).items(), key=lambda kv: (kv[1], kv[0]))


def _local(at: object) -> str:
    """A gate event's time (stored as UTC ISO text) in the park's time zone."""
    try:
        return dt.datetime.fromisoformat(str(at)).astimezone(zone()).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(at)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


# -- supply chain ----------------------------------------------------------------------------------------------------
@router.get("/services/supply-chain", response_class=HTMLResponse, name="service_supply_chain")
def supply_chain_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    return _supply_chain(page, {}, {})


def _supply_chain(
    page: Page, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200
) -> HTMLResponse:
    scope = page.scope
    own = scope.enterprise_id if scope.own_enterprise_only else None
    shares = supply_chain.SHARES.list(page.db, scope=scope, query=ListQuery(page_size=500, sort="period,id"))[0]
    leads = sorted({s.lead_enterprise_id for s in shares if s.shared})
    lead = own
    if own is None and scope.can(READ_ALL):
        chosen = _int(page.request.query_params.get("lead"))
        lead = chosen if chosen in leads else (leads[0] if leads else None)
    shortages = supply_chain.shortages(page.db, scope=scope, lead_enterprise_id=lead) if lead is not None else []
    this_month = today().replace(day=1)
    shared_with_lead = [
        s for s in shares if lead is not None and s.lead_enterprise_id == lead and s.shared and s.period >= this_month
    ]
    mine = [s for s in shares if own is not None and s.enterprise_id == own]
    posts = supply_chain.POSTS.list(
        page.db,
        scope=scope,
        query=ListQuery(page_size=100, sort="-id", filters={"enterprise_id": own} if own is not None else {}),
    )[0]
    published = [p for p in posts if p.kind in (PostKind.SCENARIO, PostKind.CAPABILITY)]
    names = enterprise_names(
        page,
        {s.enterprise_id for s in shares}
        | {s.lead_enterprise_id for s in shares}
        | {p.enterprise_id for p in published}
        | {lead},
    )
    return page.render(
        "services/supply_chain.html",
        {
            "tab": "supply_chain",
            "lead": lead,
            "leads": leads,
            "choose_lead": own is None,
            "shortages": shortages,
            "shared_with_lead": [_share_row(s) for s in shared_with_lead],
            "mine": [_share_row(s) for s in mine],
            "published": published,
            "post_kinds": POST_KINDS,
            "names": names,
            "partners": _customers(page, own, mine) if own is not None else [],
            "may_write": own is not None and scope.can(USE),
            "values": values,
            "errors": errors,
            "saved": page.request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


def _share_row(s: SupplierShare) -> dict[str, Any]:
    return {"share": s, "gap": s.capacity_qty + s.stock_qty - s.forecast_order_qty}


@router.post("/services/supply-chain/shares", response_class=HTMLResponse)
def add_share(page: CurrentPage, form: FormFields) -> Response:
    """A supplier records its forecast orders, capacity and stock of an item for a month for a lead enterprise;
    shared with it only when the supplier ticks its consent."""
    _reader(page)
    page.scope.require(USE)
    page.check_csrf(form)
    try:
        period = month_of(form.get("period", ""))
    except ValueError:
        return _supply_chain(page, form, {"period": page.gettext("Give a month.")}, status_code=422)
    try:
        with page.db.begin_nested():
            supply_chain.SHARES.create(
                page.db,
                scope=page.scope,
                data=ShareCreate(
                    lead_enterprise_id=form.get("lead_enterprise_id", ""),
                    item=form.get("item", ""),
                    unit=form.get("unit", ""),
                    period=period,
                    forecast_order_qty=form.get("forecast_order_qty", ""),
                    capacity_qty=form.get("capacity_qty", ""),
                    stock_qty=form.get("stock_qty", ""),
                    shared=form.get("shared") == "1",
                ),
            )
    except (ValidationError, DomainError) as exc:
        return _supply_chain(page, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse("/services/supply-chain?saved=1", status_code=303)


@router.post("/services/supply-chain/shares/{ident}/consent", response_class=HTMLResponse)
def share_consent(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """The supplier gives (shared=1) or withdraws (shared=0) its consent to show a share to its lead enterprise."""
    _reader(page)
    page.scope.require(USE)
    page.check_csrf(form)
    with page.db.begin_nested():
        supply_chain.SHARES.update(
            page.db, scope=page.scope, ident=ident, data=ShareUpdate(shared=form.get("shared") == "1")
        )
    return RedirectResponse("/services/supply-chain?saved=1", status_code=303)


@router.post("/services/supply-chain/posts", response_class=HTMLResponse)
def publish_post(page: CurrentPage, form: FormFields) -> Response:
    """An enterprise publishes on the demand board: an open scenario or a shared capability (a lead enterprise's),
    a need or a capacity offer."""
    _reader(page)
    page.scope.require(USE)
    page.check_csrf(form)

    def words(raw: str) -> list[str]:
        return [w.strip() for w in raw.replace("，", ",").replace("、", ",").split(",") if w.strip()]

    try:
        with page.db.begin_nested():
            supply_chain.POSTS.create(
                page.db,
                scope=page.scope,
                data=PostCreate(
                    kind=form.get("kind", ""),
                    title=form.get("title", ""),
                    description=form.get("description") or None,
                    products=words(form.get("products", "")),
                    industry_codes=words(form.get("industry_codes", "")),
                    quantity=form.get("quantity") or None,
                    unit=form.get("unit") or None,
                    needed_by=form.get("needed_by") or None,
                ),
            )
    except (ValidationError, DomainError) as exc:
        return _supply_chain(page, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse("/services/board", status_code=303)


# -- logistics -------------------------------------------------------------------------------------------------------
@router.get("/services/logistics", response_class=HTMLResponse, name="service_logistics")
def logistics_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    return _logistics(page, {}, {})


def _logistics(page: Page, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200) -> HTMLResponse:
    scope = page.scope
    direction = page.request.query_params.get("direction", "")
    filters: dict[str, Any] = {"direction": direction} if direction in DIRECTIONS else {}
    shipments = logistics.SHIPMENTS.list(
        page.db, scope=scope, query=ListQuery(page_size=200, sort="-expected_at,-id", filters=filters)
    )[0]
    staff = scope.can(WRITE)
    docks = OFFERINGS.list(
        page.db,
        scope=scope,
        query=ListQuery(page_size=50, sort="name", filters={"kind": "logistics", "bookable": True, "active": True}),
    )[0]
    dock_names = {d.id: d.name for d in docks}
    start = today()
    schedule = []
    dock_bookings = []
    for dock in docks:
        slots = booking.calendar(page.db, scope=scope, offering_id=dock.id, day=start, days=DOCK_DAYS)
        rows: dict[dt.date, list[dict[str, Any]]] = {}
        for slot in slots:
            local = slot.starts_at.astimezone(zone())
            rows.setdefault(local.date(), []).append(
                {
                    "time": local.strftime("%H:%M"),
                    "free": slot.free_units,
                    "maintenance": slot.maintenance,
                    "full": slot.free_units == 0 and not slot.maintenance,
                }
            )
        schedule.append({"dock": dock, "days": sorted(rows.items())})
        found = booking.list_bookings(
            page.db, scope=scope, query=ListQuery(page_size=100, sort="starts_at,id", filters={"offering_id": dock.id})
        )[0]
        horizon = dt.datetime.combine(start + dt.timedelta(days=DOCK_DAYS), dt.time(), zone())
        since = dt.datetime.combine(start, dt.time(), zone())
        dock_bookings += [
            b
            for b in found
            if b.status in (BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.CHECKED_IN)
            and since <= b.starts_at.astimezone(zone()) < horizon
        ]
    dock_bookings.sort(key=lambda b: (b.starts_at, b.id))
    own = scope.enterprise_id if scope.own_enterprise_only else None
    return page.render(
        "services/logistics.html",
        {
            "tab": "logistics",
            "direction": direction,
            "directions": DIRECTIONS,
            "shipments": [
                {
                    "shipment": s,
                    "direction": page.label(DIRECTIONS, s.direction),
                    "status": page.label(SHIPMENT_STATUSES, s.status),
                    "next": [(k, page.label(GATE_EVENTS, k)) for k in sorted(logistics.NEXT.get(s.status, ()))],
                    "events": [
                        {**e, "label": page.label(GATE_EVENTS, str(e.get("kind"))), "local": _local(e.get("at"))}
                        for e in (s.gate_events or [])
                    ],
                }
                for s in shipments
            ],
            "staff": staff,
            "names": enterprise_names(
                page, {s.enterprise_id for s in shipments} | {b.enterprise_id for b in dock_bookings}
            ),
            "schedule": schedule,
            "dock_bookings": [
                {
                    "booking": b,
                    "dock": dock_names.get(b.offering_id, ""),
                    "status": page.label(STATUSES, b.status),
                }
                for b in dock_bookings
            ],
            "own_dock_bookings": [
                {
                    "id": b.id,
                    "label": f"{dock_names.get(b.offering_id, '')} {b.starts_at.astimezone(zone()):%m-%d %H:%M}",
                }
                for b in dock_bookings
                if own is not None and b.enterprise_id == own
            ],
            "may_ship": own is not None and scope.can(USE),
            "values": values,
            "errors": errors,
            "saved": page.request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.post("/services/logistics/shipments", response_class=HTMLResponse)
def add_shipment(page: CurrentPage, form: FormFields) -> Response:
    """An enterprise announces a shipment into or out of the park (with its dock booking, if it has one)."""
    _reader(page)
    page.scope.require(USE)
    page.check_csrf(form)
    expected: dt.datetime | None = None
    if form.get("expected_at"):
        try:
            expected = dt.datetime.fromisoformat(form["expected_at"]).replace(tzinfo=zone())
        except ValueError:
            return _logistics(page, form, {"expected_at": page.gettext("Give a day and a time.")}, status_code=422)
    try:
        with page.db.begin_nested():
            logistics.SHIPMENTS.create(
                page.db,
                scope=page.scope,
                data=ShipmentCreate(
                    direction=form.get("direction", ""),
                    consignee=form.get("consignee", ""),
                    carrier=form.get("carrier") or None,
                    plate=form.get("plate") or None,
                    goods=form.get("goods", ""),
                    weight_t=form.get("weight_t") or None,
                    expected_at=expected,
                    dock_booking_id=form.get("dock_booking_id") or None,
                ),
            )
    except (ValidationError, DomainError) as exc:
        return _logistics(page, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse("/services/logistics?saved=1", status_code=303)


@router.post("/services/logistics/shipments/{ident}/gate", response_class=HTMLResponse)
def gate_event(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """The gate (park staff) records a shipment arriving, loading, leaving or cancelled."""
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    kind = form.get("kind", "")
    gate = (form.get("gate") or "1").strip()[:40] or "1"
    if kind not in GATE_EVENTS:
        return _logistics(page, form, {"": page.gettext("Choose what happened at the gate.")}, status_code=422)
    try:
        with page.db.begin_nested():
            logistics.gate_event(page.db, scope=page.scope, ident=ident, kind=kind, gate=gate)
    except DomainError as exc:
        return _logistics(page, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse("/services/logistics?saved=1", status_code=303)
