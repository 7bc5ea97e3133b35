"""Dashboard pages: the list (with the create and import forms), a dashboard (its widgets drawn with ECharts
from data embedded in the page and refreshed every minute, a time-range control), and its editor (name, sharing,
time range, widgets added and removed one at a time). Scheduled reports and the duty app: `report_pages`,
`duty_pages`."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.alarms import provides as alarms
from digipark.core.errors import DomainError, NotFound, PermissionDenied, field_error
from digipark.core.replica import replica_reads
from digipark.dashboards import builtin, figures, reports, service, widgets
from digipark.dashboards.models import Dashboard
from digipark.dashboards.schemas import DashboardCreate, DashboardUpdate
from digipark.dashboards.spec import AREAS, MAP_LAYERS, PANELS, TIME_RANGES, WIDGET_KINDS, DashboardSpec
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
ROLES = {
    "park_admin": N_("Park administrator"),
    "operator": N_("Operator"),
    "enterprise": N_("Enterprise user"),
    "reviewer": N_("Reviewer"),
}


def _reader(page: Page) -> None:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _writer(page: Page) -> None:
    _reader(page)
    page.scope.require(service.WRITE)


def errors_of(exc: ValidationError | DomainError) -> dict[str, str]:
    """Field -> reason (the key "" for reasons of no one field)."""
    if isinstance(exc, ValidationError):
        return {".".join(str(p) for p in e["loc"]) or "": e["msg"] for e in exc.errors()}
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if exc.errors:
        return {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors}
    return {"": exc.detail}


def status_of(exc: ValidationError | DomainError) -> int:
    return exc.status if isinstance(exc, DomainError) else 422


def _digits(value: object) -> int:
    """Decimals to show: none for a count (a whole number), two otherwise."""
    return 0 if isinstance(value, int | float) and float(value).is_integer() else 2


@router.get("/dashboards", response_class=HTMLResponse, name="dashboards")
def list_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    return _list(page, {}, {})


def _list(page: Page, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200) -> HTMLResponse:
    query = service.DASHBOARDS.list_spec.parse_query({"page_size": "100"})
    rows, total = service.DASHBOARDS.list(page.db, scope=page.scope, query=query)
    return page.render(
        "dashboards/list.html",
        {
            "rows": rows,
            "total": total,
            "values": values,
            "errors": errors,
            "roles": ROLES,
            "may_write": page.scope.can(service.WRITE),
            "builtin_screen": json.dumps(builtin.operations_screen_file(), ensure_ascii=False),
            "may_view_screen": page.scope.can("ioc.view"),
        },
        status_code=status_code,
    )


@router.post("/dashboards/new", response_class=HTMLResponse)
def create(page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            data = DashboardCreate(name=form.get("name", ""), description=form.get("description") or None)
            row = service.DASHBOARDS.create(page.db, scope=page.scope, data=data)
    except (ValidationError, DomainError) as exc:
        return _list(page, form, errors_of(exc), status_code=status_of(exc))
    return RedirectResponse(f"/dashboards/{row.id}/edit", status_code=303)


@router.post("/dashboards/import", response_class=HTMLResponse)
def import_page(page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            document = service.parse_file(form.get("document", ""))
            row = service.import_file(
                page.db, scope=page.scope, document=document, name=form.get("import_name") or None
            )
    except (ValidationError, DomainError) as exc:
        errors = errors_of(exc)
        summary = "; ".join(f"{k}: {v}" if k else v for k, v in errors.items())
        return _list(page, form, {"document": summary}, status_code=status_of(exc))
    return RedirectResponse(f"/dashboards/{row.id}", status_code=303)


@router.get("/dashboards/{ident}", response_class=HTMLResponse, name="dashboard")
def view_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _reader(page)
    row = service.DASHBOARDS.get(page.db, scope=page.scope, ident=ident)
    chosen = page.request.query_params.get("range")
    with replica_reads(page.db) as read:  # a replica a few seconds behind may serve the figures
        data = widgets.widget_data(read.session, scope=page.scope, row=row, time_range=chosen)
    spec = DashboardSpec.model_validate(row.spec)
    labels = {k: page.gettext(f.label) for k, f in figures.FIGURES.items()}
    units = {k: page.gettext(f.unit) if f.unit else "" for k, f in figures.FIGURES.items()}
    for item, widget in zip(data["widgets"], spec.widgets, strict=True):
        item["width"] = widget.width
        if widget.kind in ("kpi", "gauge"):
            item["unit"] = units.get(widget.figure, "")
            item["label"] = labels.get(widget.figure, widget.figure)
        for alarm in item.get("alarms", []):
            alarm["severity_label"] = page.label(reports.SEVERITIES, alarm["severity"])
            english = alarm.get("message_en") if page.lang == "en" else None
            alarm["shown_message"] = alarms.alarm_message(alarm["message"], page.gettext, english)
        if widget.kind == "table":
            item["rows"] = [[labels.get(k, k), v, units.get(k, ""), _digits(v)] for k, v in item["rows"]]
        item["digits"] = _digits(item.get("value"))
    return page.render(
        "dashboards/view.html",
        {
            "dashboard": row,
            "data": data,
            "data_json": json_script(data),
            "is_screen": builtin.is_screen(spec) and page.scope.can("ioc.view"),
            "time_ranges": TIME_RANGES,
            "may_write": page.scope.can(service.WRITE),
            "replica_staleness_s": None if read.staleness_s is None else round(read.staleness_s, 1),
        },
    )


@router.get("/dashboards/{ident}/edit", response_class=HTMLResponse, name="dashboard_edit")
def edit_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _writer(page)
    row = service.DASHBOARDS.get(page.db, scope=page.scope, ident=ident)
    return _editor(page, row, {}, {})


def _editor(
    page: Page, row: Dashboard, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200
) -> HTMLResponse:
    return page.render(
        "dashboards/edit.html",
        {
            "dashboard": row,
            "spec": DashboardSpec.model_validate(row.spec),
            "values": values,
            "errors": errors,
            "roles": ROLES,
            "kinds": WIDGET_KINDS,
            "panels": PANELS,
            "map_layers": MAP_LAYERS,
            "areas": AREAS,
            "time_ranges": TIME_RANGES,
            "figures": figures.FIGURES,
        },
        status_code=status_code,
    )


@router.post("/dashboards/{ident}/edit", response_class=HTMLResponse)
def update(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    row = service.DASHBOARDS.get(page.db, scope=page.scope, ident=ident)
    shared = [r for r in ROLES if form.get(f"role_{r}") == "1"]
    spec = DashboardSpec.model_validate(row.spec).model_dump(mode="json")
    spec["time_range"] = form.get("time_range", spec["time_range"])
    spec["rotate_s"] = form.get("rotate_s") or 0
    try:
        with page.db.begin_nested():
            data = DashboardUpdate(
                name=form.get("name", ""),
                description=form.get("description") or None,
                shared_roles=shared,
                spec=DashboardSpec.model_validate(spec),
            )
            service.DASHBOARDS.update(page.db, scope=page.scope, ident=ident, data=data)
    except (ValidationError, DomainError) as exc:
        return _editor(page, row, form, errors_of(exc), status_code=status_of(exc))
    return RedirectResponse(f"/dashboards/{ident}/edit?saved=1", status_code=303)


def widget_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The widget the editor's "add" form describes (checked by the spec when saved)."""
    kind = form.get("kind", "")
    widget: dict[str, Any] = {"kind": kind, "title": form.get("title", "").strip()}
    if form.get("width"):
        widget["width"] = form["width"]
    if kind == "timeseries":
        widget["points"] = [p.strip() for p in form.get("points", "").replace("，", ",").split(",") if p.strip()]
    elif kind in ("kpi", "gauge"):
        widget["figure"] = form.get("figure", "")
        if kind == "gauge":
            widget["min"] = form.get("min") or 0
            widget["max"] = form.get("max") or 100
    elif kind == "table":
        widget["figures"] = [k for k in figures.FIGURES if form.get(f"fig_{k}") == "1"]
    elif kind == "alarms":
        widget["limit"] = form.get("limit") or 10
    elif kind == "panel":
        widget["panel"] = form.get("panel", "")
    elif kind == "map":
        widget["layers"] = [k for k in MAP_LAYERS if form.get(f"layer_{k}") == "1"]
    if form.get("area"):
        widget["area"] = form["area"]
    return widget


@router.post("/dashboards/{ident}/widgets", response_class=HTMLResponse)
def add_widget(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    row = service.DASHBOARDS.get(page.db, scope=page.scope, ident=ident)
    spec = DashboardSpec.model_validate(row.spec).model_dump(mode="json")
    spec["widgets"].append(widget_from_form(form))
    try:
        with page.db.begin_nested():
            checked = DashboardSpec.model_validate(spec)
            service.DASHBOARDS.update(page.db, scope=page.scope, ident=ident, data=DashboardUpdate(spec=checked))
    except (ValidationError, DomainError) as exc:
        errors = {k.rsplit(".", 1)[-1] if k.startswith("widgets.") else k: v for k, v in errors_of(exc).items()}
        return _editor(page, row, form, errors, status_code=status_of(exc))
    return RedirectResponse(f"/dashboards/{ident}/edit?saved=1", status_code=303)


@router.post("/dashboards/{ident}/widgets/delete")
def remove_widget(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Remove the widget at the form's `index`."""
    _writer(page)
    page.check_csrf(form)
    row = service.DASHBOARDS.get(page.db, scope=page.scope, ident=ident)
    spec = DashboardSpec.model_validate(row.spec)
    raw = form.get("index", "")
    if not raw.isdigit() or int(raw) >= len(spec.widgets):
        raise field_error("index", f"dashboard {ident} has no widget {raw[:20]!r}")
    index = int(raw)
    del spec.widgets[index]
    service.DASHBOARDS.update(page.db, scope=page.scope, ident=ident, data=DashboardUpdate(spec=spec))
    return RedirectResponse(f"/dashboards/{ident}/edit?saved=1", status_code=303)


@router.post("/dashboards/{ident}/delete")
def delete(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _writer(page)
    page.check_csrf(form)
    service.DASHBOARDS.delete(page.db, scope=page.scope, ident=ident)
    return RedirectResponse("/dashboards", status_code=303)
