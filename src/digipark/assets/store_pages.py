"""Asset pages around the register: the Excel import (every row or none, each problem listed), the maintenance
calendar and the spare-parts store (stock, reorder levels, receipts and consumption by work orders, what to
reorder)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.assets import monitoring, parts, service, sheets
from digipark.assets.models import Asset, LifecycleState, MaintenancePlan
from digipark.assets.schemas import PartConsumption, PartCreate, PartReceipt
from digipark.core.errors import DomainError, NotFound
from digipark.web.shell import CurrentPage, FormFields, Page
from digipark.web.spreadsheet_pages import Uploaded, import_page

router = APIRouter(include_in_schema=False)


def _park(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


# -- Excel import --------------------------------------------------------------------------------------------------
@router.get("/assets/import", response_class=HTMLResponse, name="assets_import")
def import_form(page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.WRITE)
    return page.render("assets/import.html", {"report": None, "problem": None})


@router.post("/assets/import", response_class=HTMLResponse, name="assets_import_post")
def import_post(page: CurrentPage, uploaded: Uploaded) -> HTMLResponse:
    page.scope.require(service.WRITE)
    run = functools.partial(sheets.import_or_raise, page.db, scope=page.scope)
    return import_page(page, "assets/import.html", uploaded, run)


# -- maintenance calendar -----------------------------------------------------------------------------------------
CALENDAR_DAYS = 90


@router.get("/assets/calendar", response_class=HTMLResponse, name="asset_calendar")
def calendar_page(page: CurrentPage) -> HTMLResponse:
    """The next 90 days: each calendar plan's due days, and the failure days predicted for flagged machines."""
    park_id = _park(page)
    today = service.today()
    end = today + dt.timedelta(days=CALENDAR_DAYS)
    assets = {a.id: a for a in page.db.scalars(page.scope.readable(Asset).where(Asset.park_id == park_id))}
    entries: list[tuple[dt.date, Asset, str, str]] = []
    plans = page.db.scalars(
        page.scope.readable(MaintenancePlan).where(MaintenancePlan.park_id == park_id, MaintenancePlan.active.is_(True))
    )
    for plan in plans:
        asset = assets.get(plan.asset_id)
        if asset is None or asset.state not in (LifecycleState.IN_SERVICE, LifecycleState.UNDER_MAINTENANCE):
            continue
        due = service.next_due(plan, asset)
        if due is None or not plan.every_days:
            continue
        if due < today:  # overdue: once, today; then the plan's rhythm from today
            entries.append((today, asset, "plan", page.name(plan)))
            due = today + dt.timedelta(days=plan.every_days)
        while due <= end:
            entries.append((due, asset, "plan", page.name(plan)))
            due += dt.timedelta(days=plan.every_days)
    for prediction in monitoring.latest_predictions(page.db, scope=page.scope, park_id=park_id).values():
        asset = assets.get(prediction.asset_id)
        if asset is not None and prediction.recommend and prediction.failure_on and prediction.failure_on <= end:
            entries.append((max(prediction.failure_on, today), asset, "predicted", ""))
    entries.sort(key=lambda e: (e[0], e[1].code))
    months: dict[str, list[tuple[dt.date, Asset, str, str]]] = {}
    for entry in entries:
        months.setdefault(entry[0].strftime("%Y-%m"), []).append(entry)
    return page.render("assets/calendar.html", {"months": months, "today": today, "end": end})


# -- spare parts ---------------------------------------------------------------------------------------------------
def _parts_page(page: Page, errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    park_id = _park(page)
    rows = parts.list_parts(page.db, scope=page.scope, park_id=park_id)
    classes = {c.id: c for c in service.list_classes(page.db, scope=page.scope, park_id=park_id)}
    return page.render(
        "assets/parts.html",
        {
            "rows": rows,
            "reorder": [p for p in rows if parts.needs_order(p)],
            "moves": parts.movements(page.db, scope=page.scope)[:30],
            "names": {p.id: p.code for p in rows},
            "units": {p.id: parts.unit_of_issue(p.unit, page.lang) for p in rows},
            "classes": classes,
            "staff": page.scope.can(service.WRITE) and park_id in page.scope.write_parks,
            "errors": errors or {},
            "saved": page.request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.get("/assets/parts", response_class=HTMLResponse, name="asset_parts")
def parts_page(page: CurrentPage) -> HTMLResponse:
    return _parts_page(page)


def _number(fields: dict[str, str], key: str) -> Any:
    value = (fields.get(key) or "").strip()
    return value or None


@router.post("/assets/parts", name="asset_parts_step")
def parts_step(page: CurrentPage, form: FormFields) -> Response:
    """One step in the store, named by the form's `action`: `create` (a new part), `receipt` or `consumption`."""
    _park(page)
    page.check_csrf(form)
    action = form.get("action", "")
    try:
        with page.db.begin_nested():
            if action == "create":
                data: dict[str, Any] = {
                    k: _number(form, k)
                    for k in (
                        "code",
                        "name",
                        "name_en",
                        "unit",
                        "class_id",
                        "stock",
                        "reorder_level",
                        "reorder_quantity",
                    )
                }
                data["unit_cost"] = _number(form, "unit_cost")
                parts.create_part(
                    page.db,
                    scope=page.scope,
                    data=PartCreate.model_validate({k: v for k, v in data.items() if v is not None}),
                )
            elif action == "receipt":
                receipt = PartReceipt.model_validate(
                    {k: v for k in ("quantity", "unit_cost", "note") if (v := _number(form, k)) is not None}
                )
                parts.receive(page.db, scope=page.scope, part_id=int(form.get("part_id") or 0), data=receipt)
            elif action == "consumption":
                use = PartConsumption.model_validate(
                    {k: v for k in ("order_id", "asset_id", "quantity", "note") if (v := _number(form, k)) is not None}
                )
                parts.consume(page.db, scope=page.scope, part_id=int(form.get("part_id") or 0), data=use)
            else:
                return _parts_page(page, {"": page.gettext("Unknown step.")}, 422)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _parts_page(page, {"": exc.detail}, exc.status)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first.get("loc", ()))
        return _parts_page(page, {"": f"{field}: {first.get('msg', 'invalid')}"}, 422)
    except ValueError:  # a part id that is not a number
        return _parts_page(page, {"": page.gettext("Choose a spare part.")}, 422)
    return RedirectResponse("/assets/parts?saved=1", status_code=303)
