"""Asset pages: the register (with each machine's health and outlook), and an asset's page — its data, net book
value and depreciation, lifecycle, maintenance plans, condition chart, the newest prediction and the work order it
recommends (staff open it with one click)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from digipark.assets import (
    attributes,
    costs,
    depreciation,
    documents,
    form_steps,
    geo,
    lease_invoices,
    leases,
    monitoring,
    parts,
    reliability,
    service,
    utilisation,
)
from digipark.assets.models import (
    LEASE_TRANSITIONS,
    TRANSITIONS,
    Asset,
    AssetClass,
    LeaseState,
    LifecycleState,
    PredictionModel,
)
from digipark.assets.schemas import AssetUpdate, LeaseCreate, LeaseStateChange, StateChange
from digipark.core.downloads import file_response
from digipark.core.errors import DomainError, NotFound, field_error
from digipark.core.listing import ListQuery
from digipark.registry.models import Building, Enterprise, Room
from digipark.services.provides import shared_equipment
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, Page
from digipark.workorders.provides import read_order

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

STATES = {
    "planned": N_("Planned purchase"),
    "acquired": N_("Acquired"),
    "in_service": N_("In service"),
    "under_maintenance": N_("Under maintenance"),
    "retired": N_("Retired"),
    "disposed": N_("Disposed of"),
}
METHODS = {
    "straight_line": N_("Straight-line"),
    "double_declining": N_("Double-declining balance"),
    "sum_of_years": N_("Sum of the years' digits"),
}
REASONS = {
    "rul": N_("The vibration trend reaches the ISO 10816-3 C/D limit within the planning horizon"),
    "limit": N_("The vibration is over the ISO 10816-3 C/D limit"),
    "anomaly": N_("The vibration is far above the machine's own healthy baseline"),
    "pattern": N_("The last three days' vibration and temperature features lie outside the machine's healthy pattern"),
}
TRADES = {
    "repair": N_("Repair"),
    "cleaning": N_("Cleaning"),
    "complaint": N_("Complaint"),
    "maintenance": N_("Equipment maintenance"),
    "security": N_("Security"),
    "other": N_("Other"),
}
NETWORKS = {
    "road": N_("Road"),
    "water": N_("Water supply"),
    "drainage": N_("Drainage"),
    "gas": N_("Gas"),
    "power": N_("Power cables"),
    "heat": N_("District heating"),
}
LEASE_STATES = {
    "draft": N_("Draft"),
    "active": N_("In force"),
    "ended": N_("Ended"),
    "terminated": N_("Terminated"),
}
INVOICE_STATES = {"issued": N_("Issued"), "paid": N_("Paid")}
LEASE_ACTIONS = {"active": N_("Put in force"), "ended": N_("End the lease"), "terminated": N_("Terminate the lease")}
KINDS = {
    "calendar": N_("By calendar"),
    "usage": N_("By run hours"),
    "cycles": N_("By starts"),
    "energy": N_("By energy use"),
}
DOCUMENT_KINDS = {
    "manual": N_("Manual"),
    "certificate": N_("Certificate document"),
    "drawing": N_("Drawing"),
    "inspection": N_("Inspection report"),
    "other": N_("Other document"),
}
ORDER_STATES = {
    "open": N_("Open"),
    "assigned": N_("Dispatched"),
    "in_progress": N_("In progress"),
    "done": N_("Done, awaiting rating"),
    "closed": N_("Rated and closed"),
    "cancelled": N_("Cancelled"),
}


def _synced(raw: str) -> tuple[int, int, int] | None:
    """The counts of a registry sync the redirect carries (created-updated-unchanged)."""
    parts = raw.split("-")
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 7 for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def _member(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


@router.get("/assets", response_class=HTMLResponse, name="assets")
def list_page(page: CurrentPage) -> HTMLResponse:
    park_id = _member(page)
    raw = dict(page.request.query_params)
    raw.pop("lang", None)
    synced = _synced(raw.pop("synced", ""))
    query: ListQuery = service.ASSETS.list_spec.parse_query(raw)
    query.page_size = min(query.page_size, 100)
    rows, total = service.ASSETS.list(page.db, scope=page.scope, query=query)
    today = service.today()
    classes = {c.id: c for c in service.list_classes(page.db, scope=page.scope, park_id=park_id)}
    outlook = monitoring.latest_predictions(page.db, scope=page.scope, park_id=park_id)
    flagged = sorted((p for p in outlook.values() if p.recommend), key=lambda p: p.rul_days or 0.0)
    use = utilisation.of_park(page.db, scope=page.scope, park_id=park_id, until=today)
    lease_rows = leases.list_leases(page.db, scope=page.scope)[:50]
    invoice_rows = lease_invoices.list_invoices(page.db, scope=page.scope)[:50]
    return page.render(
        "assets/list.html",
        {
            "rows": rows,
            "total": total,
            "query": query,
            "classes": classes,
            "outlook": outlook,
            "flagged": flagged,
            "names": {r.id: page.name(r) for r in rows},
            "nbv": {r.id: service.net_book_value(r, today) for r in rows},
            "states": STATES,
            "reasons": REASONS,
            "staff": page.scope.can(service.WRITE) and park_id in page.scope.write_parks,
            "use": use,
            "use_by_class": utilisation.by_class(use),
            "idle": [(a, u) for a, u in use if u.idle],
            "use_days": utilisation.WINDOW_DAYS,
            "leases": lease_rows,
            "invoices": invoice_rows,
            "invoice_states": INVOICE_STATES,
            "lease_assets": {
                int(i): str(n_en if page.lang == "en" and n_en else n)
                for i, n, n_en in page.db.execute(
                    select(Asset.id, Asset.name, Asset.name_en).where(
                        Asset.id.in_({r.asset_id for r in lease_rows} | {r.asset_id for r in invoice_rows})
                    )
                )
            },
            "synced": synced,
            "expiring": documents.expiring(page.db, scope=page.scope, park_id=park_id, on=today),
            "document_kinds": DOCUMENT_KINDS,
            "lease_states": LEASE_STATES,
            "enterprise_names": _enterprise_names(page),
            "reliability": [
                (class_id, figures)
                for class_id, figures in reliability.by_class(
                    page.db, scope=page.scope, park_id=park_id, until=today
                ).items()
                if figures.operating_hours > 0
            ],
        },
    )


def _detail(page: Page, ident: int, errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    asset = service.ASSETS.get(page.db, scope=page.scope, ident=ident)
    today = service.today()
    klass = page.db.get(AssetClass, asset.class_id)
    building = page.db.get(Building, asset.building_id) if asset.building_id else None
    months = service.schedule(asset)
    staff = page.scope.can(service.WRITE) and asset.park_id in page.scope.write_parks
    latest = monitoring.latest_prediction(page.db, scope=page.scope, asset_id=asset.id)
    model = page.db.get(PredictionModel, latest.model_id) if latest is not None else None
    order = None
    if latest is not None and latest.order_id is not None:
        try:
            order = read_order(page.db, scope=page.scope, ident=latest.order_id)
        except NotFound:
            order = None
    days = monitoring.condition_days(page.db, scope=page.scope, asset=asset, until=today)
    chart = None
    if days:
        chart = json_script(
            {
                "days": [d.day.isoformat() for d in days],
                "rms": [round(d.vib_rms or 0, 3) for d in days],
                "kurtosis": [round(d.kurtosis or 0, 2) for d in days],
                "threshold": service.failure_threshold(klass) if klass is not None else None,
                "labels": {
                    "rms": page.gettext("Vibration RMS (mm/s)"),
                    "kurtosis": page.gettext("Kurtosis"),
                    "threshold": page.gettext("ISO 10816-3 C/D limit"),
                },
            }
        )
    plans = service.plans_of(page.db, scope=page.scope, asset=asset)
    docs = documents.documents_of(page.db, scope=page.scope, asset_id=asset.id)
    moves = parts.movements(page.db, scope=page.scope, asset_id=asset.id)
    return page.render(
        "assets/detail.html",
        {
            "asset": asset,
            "klass": klass,
            "building": building,
            "nbv": service.net_book_value(asset, today),
            "years": [
                (n + 1, amount, months[min(len(months), (n + 1) * 12) - 1].net_book_value)
                for n, amount in enumerate(depreciation.yearly_totals(months))
            ],
            "first_month": months[0].month if months else None,
            "history": service.history(page.db, scope=page.scope, asset=asset),
            "plans": [(p, service.next_due(p, asset)) for p in plans],
            "prediction": latest,
            "model": model,
            "order": order,
            "recent": days[-1] if days else None,
            "chart": chart,
            "staff": staff,
            "next_states": list(TRANSITIONS[LifecycleState(asset.state)]) if staff else [],
            "failures": monitoring.failures_of(page.db, scope=page.scope, asset=asset),
            "reliability": reliability.of_asset(page.db, scope=page.scope, asset=asset, until=today),
            "costs": costs.of_asset(page.db, scope=page.scope, asset=asset),
            "trades": TRADES,
            "part_moves": moves[:20],
            "part_codes": {p.id: p.code for p in parts.list_parts(page.db, scope=page.scope, park_id=asset.park_id)}
            if moves
            else {},
            "errors": errors or {},
            "saved": page.request.query_params.get("saved") == "1",
            "states": STATES,
            "methods": METHODS,
            "reasons": REASONS,
            "kinds": KINDS,
            "order_states": ORDER_STATES,
            "threshold": service.failure_threshold(klass) if klass is not None else None,
            "networks": NETWORKS,
            "documents": docs,
            "newest_documents": {d.id for d in documents.newest(docs)},
            "attribute_fields": attributes.form_fields(
                klass.attributes or [] if klass else [], asset.attributes, page.lang
            ),
            "document_kinds": DOCUMENT_KINDS,
            "attribute_rows": attributes.rows(klass.attributes or [] if klass else [], asset.attributes, page.lang),
            "indicators": attributes.indicators(klass.condition_indicators or [] if klass else [], page.lang),
            "line_length": geo.line_length_m(asset.geometry) if asset.geometry else None,
            "geometry_text": json.dumps(asset.geometry, ensure_ascii=False) if asset.geometry else "",
            "leases": leases.list_leases(page.db, scope=page.scope, asset_id=asset.id),
            "lease_income": leases.asset_income(page.db, scope=page.scope, asset=asset, on=today),
            "lease_states": LEASE_STATES,
            "lease_actions": {k: [(s, LEASE_ACTIONS[s]) for s in v] for k, v in LEASE_TRANSITIONS.items()},
            "lessees": _lessees(page, asset.park_id) if staff and asset.enterprise_id is None else [],
            "units": _units(page, asset.park_id) if staff and asset.enterprise_id is None else [],
            "enterprise_names": _enterprise_names(page),
            "offerings": shared_equipment(page.db, park_id=asset.park_id),
            "invoices": lease_invoices.list_invoices(page.db, scope=page.scope, asset_id=asset.id),
            "invoice_states": INVOICE_STATES,
        },
        status_code=status_code,
    )


def _first_error(exc: ValueError) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc).splitlines()[0]


def _enterprise_names(page: Page) -> dict[int, str]:
    stmt = select(Enterprise.id, Enterprise.name).where(page.scope.condition(Enterprise))
    return {int(i): str(n) for i, n in page.db.execute(stmt)}


def _lessees(page: Page, park_id: int) -> list[tuple[int, str]]:
    stmt = select(Enterprise.id, Enterprise.name).where(Enterprise.park_id == park_id).order_by(Enterprise.name)
    return [(int(i), str(n)) for i, n in page.db.execute(stmt)]


def _units(page: Page, park_id: int) -> list[tuple[int, str]]:
    stmt = (
        select(Room.id, Building.name, Room.code)
        .join(Building, Building.id == Room.building_id)
        .where(Room.park_id == park_id)
        .order_by(Building.code, Room.code)
        .limit(500)
    )
    return [(int(i), f"{b} · {c}") for i, b, c in page.db.execute(stmt)]


def _network(page: Page, ident: int, fields: dict[str, str]) -> None:
    raw = fields.get("geometry", "").strip()
    try:
        geometry = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        raise field_error("geometry", page.gettext("Not valid JSON.")) from None
    values = {
        "network": fields.get("network") or None,
        "geometry": geometry,
        "material": fields.get("material") or None,
        "diameter_mm": fields.get("diameter_mm") or None,
        "install_year": fields.get("install_year") or None,
    }
    service.ASSETS.update(page.db, scope=page.scope, ident=ident, data=AssetUpdate.model_validate(values))


@router.get("/assets/{ident}", response_class=HTMLResponse, name="asset")
def detail_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _member(page)
    return _detail(page, ident)


@router.post("/assets/{ident}", name="asset_step")
async def step(ident: Ident, page: CurrentPage, request: Request) -> Response:
    """One step on an asset, named by the form's `action`: `order` (open the recommended work order) or `state`
    (a lifecycle change)."""
    _member(page)
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    page.check_csrf(fields)
    action = fields.get("action", "")
    upload = form.get("file")
    content = await upload.read(documents.UPLOADS.max_bytes + 1) if isinstance(upload, UploadFile) else b""
    try:
        with page.db.begin_nested():
            if action == "order":
                latest = monitoring.latest_prediction(page.db, scope=page.scope, asset_id=ident)
                if latest is None:
                    raise NotFound(f"asset {ident} has no prediction")
                order_id = monitoring.open_recommended_order(page.db, scope=page.scope, prediction_id=latest.id)
                target = f"/workorders/{order_id}"
            elif action == "attributes":
                form_steps.save_attributes(page, ident, fields)
                target = f"/assets/{ident}?saved=1#asset-attributes"
            elif action == "plan":
                form_steps.add_plan(page, ident, fields)
                target = f"/assets/{ident}?saved=1#asset-plans"
            elif action == "plan_active":
                form_steps.plan_active(page, ident, fields)
                target = f"/assets/{ident}?saved=1#asset-plans"
            elif action == "document":
                documents.upload(
                    page.db,
                    scope=page.scope,
                    asset_id=ident,
                    kind=fields.get("kind", ""),
                    title=fields.get("title") or None,
                    expires_on=_day(fields.get("expires_on", "")),
                    filename=upload.filename or "" if isinstance(upload, UploadFile) else "",
                    content_type=upload.content_type or "" if isinstance(upload, UploadFile) else "",
                    content=content,
                )
                target = f"/assets/{ident}?saved=1#asset-documents"
            elif action == "network":
                _network(page, ident, fields)
                target = f"/assets/{ident}?saved=1#asset-network"
            elif action == "offering":
                raw_offering = fields.get("offering_id", "")
                offering = AssetUpdate.model_validate({"offering_id": raw_offering or None})
                service.ASSETS.update(page.db, scope=page.scope, ident=ident, data=offering)
                target = f"/assets/{ident}?saved=1#asset-offering"
            elif action == "lease":
                lease_data = LeaseCreate.model_validate(
                    {k: fields.get(k) or None for k in ("enterprise_id", "room_id", "starts_on", "ends_on", "note")}
                    | {"monthly_rent": fields.get("monthly_rent", "")}
                )
                leases.create_lease(page.db, scope=page.scope, asset_id=ident, data=lease_data)
                target = f"/assets/{ident}?saved=1#asset-leases"
            elif action == "lease_state":
                raw_id = fields.get("lease_id", "")
                if not raw_id.isdigit() or len(raw_id) > 9:
                    raise NotFound("no such lease")
                lease = leases.get_lease(page.db, scope=page.scope, ident=int(raw_id))
                if lease.asset_id != ident:
                    raise NotFound("no such lease of this asset")
                leases.change_state(
                    page.db,
                    scope=page.scope,
                    ident=lease.id,
                    data=LeaseStateChange(state=LeaseState(fields.get("state", ""))),
                )
                target = f"/assets/{ident}?saved=1#asset-leases"
            elif action in ("invoice", "invoice_paid"):
                raw_id = fields.get("lease_id" if action == "invoice" else "invoice_id", "")
                if not raw_id.isdigit() or len(raw_id) > 9:
                    raise NotFound("no such lease or invoice")
                if action == "invoice":
                    lease = leases.get_lease(page.db, scope=page.scope, ident=int(raw_id))
                    if lease.asset_id != ident:
                        raise NotFound("no such lease of this asset")
                    lease_invoices.issue(page.db, scope=page.scope, lease_id=lease.id, on=service.today())
                else:
                    invoice = lease_invoices.mark_paid(page.db, scope=page.scope, ident=int(raw_id), on=service.today())
                    if invoice.asset_id != ident:
                        raise NotFound("no such invoice of this asset")
                target = f"/assets/{ident}?saved=1#asset-lease-invoices"
            elif action == "state":
                on = fields.get("on") or None
                data = StateChange.model_validate(
                    {"state": fields.get("state", ""), "on": on, "note": fields.get("note") or None}
                )
                service.change_state(page.db, scope=page.scope, ident=ident, data=data)
                target = f"/assets/{ident}?saved=1"
            else:
                return _detail(page, ident, {"action": page.gettext("Unknown step.")}, 422)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        if action in FORM_STEPS:
            return _detail(page, ident, {"": form_steps.reason(page, exc, _labels(page, ident), action)}, exc.status)
        return _detail(page, ident, {"": exc.detail}, exc.status)
    except ValueError as exc:  # pydantic's ValidationError
        if action in FORM_STEPS:
            return _detail(page, ident, {"": form_steps.reason(page, exc, {}, action)}, 422)
        return _detail(page, ident, {"": _first_error(exc)}, 422)
    return RedirectResponse(target, status_code=303)


FORM_STEPS = ("attributes", "plan", "plan_active", "document")


def _day(raw: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise field_error("expires_on", "not a date") from None


def _labels(page: Page, ident: int) -> dict[str, str]:
    asset = page.db.get(Asset, ident)
    klass = page.db.get(AssetClass, asset.class_id) if asset is not None else None
    fields = attributes.form_fields(klass.attributes or [] if klass else [], None, page.lang)
    return {f["name"]: f["label"] for f in fields}


@router.get("/assets/documents/{ident}", name="asset_document")
def document_file(ident: Ident, page: CurrentPage) -> Response:
    """A document of an asset, as a download."""
    row = documents.get(page.db, scope=page.scope, ident=ident)
    return file_response(row.content, row.content_type, row.filename)
