"""REST API: dashboards under /api/v1/dashboards (the derived five routes, the widget catalogue and the file
schema, export and import, each widget's data), scheduled reports under /api/v1/reports (subscriptions, their
delivery log, a run now) and the duty app's Web Push under /api/v1/duty."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import JSONResponse

from digipark.auth.dependencies import CurrentScope, DbSession, writes
from digipark.crud.routes import add_routes
from digipark.dashboards import figures, push, reports, schemas, service, spec, subscriptions, widgets

router = APIRouter(prefix="/api/v1/dashboards")
reports_router = APIRouter(prefix="/api/v1/reports")
duty_router = APIRouter(prefix="/api/v1/duty")
TAGS: list[str | Enum] = ["dashboards"]
REPORT_TAGS: list[str | Enum] = ["reports"]
DUTY_TAGS: list[str | Enum] = ["duty"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
OptionalPark = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@router.get("/schema", tags=TAGS)
def file_schema(scope: CurrentScope) -> Any:
    """The JSON schema an exported dashboard follows (and an imported one must)."""
    scope.require(service.VIEW)
    return spec.json_schema()


@router.get("/catalogue", tags=TAGS)
def catalogue(scope: CurrentScope) -> Any:
    """The widget kinds, time ranges and the figures a KPI tile, gauge or table can show."""
    scope.require(service.VIEW)
    return {
        "widgets": list(spec.WIDGET_KINDS),
        "time_ranges": list(spec.TIME_RANGES),
        "figures": [{"key": f.key, "label": f.label, "unit": f.unit} for f in figures.FIGURES.values()],
    }


@router.post("/import", response_model=schemas.DashboardRead, status_code=201, tags=TAGS)
def import_dashboard(
    document: Annotated[Any, Body()],
    db: DbSession,
    scope: CurrentScope,
    park_id: OptionalPark = None,
    name: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
) -> Any:
    """Create a dashboard from an exported file (checked against /schema: 422 naming each bad field, nothing
    created)."""
    parsed = service.parse_document(document)
    return service.import_file(db, scope=scope, document=parsed, park_id=park_id, name=name)


add_routes(router, service.DASHBOARDS, "", tags=TAGS)


@router.get("/{ident}/export", tags=TAGS)
def export(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    document = service.export(db, scope=scope, ident=ident)
    filename = f"dashboard-{ident}.json"
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{ident}/data", tags=TAGS)
def data(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    time_range: Annotated[Literal["1h", "24h", "7d", "30d", "365d"] | None, Query()] = None,
) -> Any:
    """Each widget's data over the time range (the dashboard's own unless given)."""
    row = service.DASHBOARDS.get(db, scope=scope, ident=ident)
    return widgets.widget_data(db, scope=scope, row=row, time_range=time_range)


# -- scheduled reports ---------------------------------------------------------------------------------------------
@reports_router.get("/kinds", tags=REPORT_TAGS)
def report_kinds(scope: CurrentScope) -> Any:
    """The reports a subscription can ask for and their formats."""
    scope.require(subscriptions.WRITE)
    return [
        {"key": k.key, "label": k.label, "formats": list(k.formats), "needs_enterprise": k.needs_enterprise}
        for k in reports.REPORTS.values()
    ]


add_routes(reports_router, subscriptions.SUBSCRIPTIONS, "/subscriptions", tags=REPORT_TAGS)


@reports_router.get("/subscriptions/{ident}/deliveries", response_model=list[schemas.DeliveryRead], tags=REPORT_TAGS)
def deliveries(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The subscription's delivery log, newest first."""
    return subscriptions.deliveries(db, scope=scope, ident=ident)


@reports_router.post(
    "/subscriptions/{ident}/run", response_model=schemas.DeliveryRead, status_code=202, tags=REPORT_TAGS
)
def run_now(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Queue a run now; the scheduler sends it within a minute."""
    return subscriptions.run_now(db, scope=scope, ident=ident)


# -- duty app: Web Push --------------------------------------------------------------------------------------------
@duty_router.get("/push/key", tags=DUTY_TAGS)
@writes  # the deployment's key pair is made on first use
def push_key(scope: CurrentScope, db: DbSession) -> Any:
    """The application server's public VAPID key (base64url) for PushManager.subscribe."""
    scope.require(push.PERMISSION)
    return {"public_key": push.public_key(db)}


@duty_router.post("/push/subscriptions", status_code=201, tags=DUTY_TAGS)
def subscribe(data: schemas.PushSubscriptionIn, db: DbSession, scope: CurrentScope) -> Any:
    """Store this browser's push subscription for the caller."""
    row = push.subscribe(db, scope=scope, data=data)
    return {"id": row.id}


@duty_router.post("/alarms/{ident}/acknowledge", tags=DUTY_TAGS)
def acknowledge(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Acknowledge an alarm from the notification (the service worker calls this)."""
    return push.acknowledge(db, scope=scope, alarm_id=ident)
