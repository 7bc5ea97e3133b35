"""Group purchasing pages (集采集销): an enterprise posts its demands and follows each one's round, award, delivery
and saving; park staff see the open demands aggregated by category and month, open a round, record the suppliers'
quotes, award it, and see the order split back to each enterprise with its delivery and saving. Every read and
write goes through the purchasing service functions and the caller's scope (an enterprise reads its own demands)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.core.listing import ListQuery
from digipark.services import purchasing
from digipark.services.common import USE, WRITE
from digipark.services.models import DemandStatus, PurchaseDemand, RoundStatus
from digipark.services.pages import Ident, _errors, _reader, _status, enterprise_names, month_of
from digipark.services.schemas import DemandCreate, QuoteCreate, SupplierCreate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)

CATEGORIES = {
    "steel": N_("Steel"),
    "packaging": N_("Packaging"),
    "electricity": N_("Electricity"),
    "chemicals": N_("Chemicals"),
    "logistics": N_("Logistics"),
    "other": N_("Other"),
}
DEMAND_STATUSES = {
    "open": N_("Awaiting aggregation"),
    "aggregated": N_("In a round"),
    "awarded": N_("Awarded"),
    "delivered": N_("Delivered"),
}
ROUND_STATUSES = {
    "quoting": N_("Quoting"),
    "awarded": N_("Awarded"),
    "delivered": N_("Delivered"),
}


def _saving(d: PurchaseDemand) -> float | None:
    """What this demand saved against the enterprise's own last price (None before the award or without one)."""
    if d.awarded_unit_price_yuan is None or d.last_unit_price_yuan is None:
        return None
    quantity = d.delivered_quantity if d.delivered_quantity is not None else d.quantity
    return round(quantity * (d.last_unit_price_yuan - d.awarded_unit_price_yuan), 2)


def _demand_rows(page: Page, demands: list[PurchaseDemand]) -> list[dict[str, Any]]:
    return [
        {
            "demand": d,
            "category": page.label(CATEGORIES, d.category),
            "status": page.label(DEMAND_STATUSES, d.status),
            "saving": _saving(d),
        }
        for d in demands
    ]


@router.get("/services/purchasing", response_class=HTMLResponse, name="service_purchasing")
def purchasing_page(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    return _purchasing(page, {}, {})


def _purchasing(
    page: Page, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200, saved: bool = False
) -> HTMLResponse:
    scope = page.scope
    staff = scope.can(WRITE)
    demands = purchasing.DEMANDS.list(page.db, scope=scope, query=ListQuery(page_size=300, sort="-period,-id"))[0]
    rounds = purchasing.ROUNDS.list(page.db, scope=scope, query=ListQuery(page_size=100, sort="-period,-id"))[0]
    suppliers = purchasing.SUPPLIERS.list(page.db, scope=scope, query=ListQuery(page_size=200, sort="name"))[0]
    supplier_names = {s.id: s.name for s in suppliers}
    groups: dict[tuple[str, dt.date], dict[str, Any]] = {}
    if staff:
        for d in demands:
            if d.status != DemandStatus.OPEN:
                continue
            group = groups.setdefault(
                (d.category, d.period),
                {"category": d.category, "period": d.period, "demands": 0, "enterprises": set(), "items": {}},
            )
            group["demands"] += 1
            group["enterprises"].add(d.enterprise_id)
            key = (d.item, d.unit)
            group["items"][key] = group["items"].get(key, 0.0) + d.quantity
    aggregation = [
        {
            **g,
            "label": page.label(CATEGORIES, g["category"]),
            "enterprises": len(g["enterprises"]),
            "items": [{"item": k[0], "unit": k[1], "quantity": q} for k, q in sorted(g["items"].items())],
        }
        for _key, g in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    saved_rows = purchasing.savings(page.db, scope=scope)
    names = enterprise_names(page, {d.enterprise_id for d in demands} | {s.enterprise_id for s in saved_rows})
    return page.render(
        "services/purchasing.html",
        {
            "tab": "purchasing",
            "staff": staff,
            "may_demand": scope.can(USE) and scope.own_enterprise_only,
            "demands": _demand_rows(page, demands),
            "aggregation": aggregation,
            "rounds": [
                {
                    "round": r,
                    "category": page.label(CATEGORIES, r.category),
                    "status": page.label(ROUND_STATUSES, r.status),
                    "supplier": supplier_names.get(r.supplier_id or 0, "—"),
                }
                for r in rounds
            ],
            "suppliers": [
                {"supplier": s, "categories": [page.label(CATEGORIES, c) for c in s.categories]} for s in suppliers
            ],
            "savings": saved_rows,
            "names": names,
            "categories": CATEGORIES,
            "values": values,
            "errors": errors,
            "saved": saved or page.request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.post("/services/purchasing/demands", response_class=HTMLResponse)
def post_demand(page: CurrentPage, form: FormFields) -> Response:
    """An enterprise posts its demand of a common material for a month."""
    _reader(page)
    page.scope.require(USE)
    page.check_csrf(form)
    try:
        period = month_of(form.get("period", ""))
    except ValueError:
        return _purchasing(page, form, {"period": page.gettext("Give a month.")}, status_code=422)
    try:
        with page.db.begin_nested():
            purchasing.DEMANDS.create(
                page.db,
                scope=page.scope,
                data=DemandCreate(
                    category=form.get("category", ""),
                    item=form.get("item", ""),
                    quantity=form.get("quantity", ""),
                    unit=form.get("unit", ""),
                    period=period,
                    last_unit_price_yuan=form.get("last_unit_price_yuan") or None,
                ),
            )
    except (ValidationError, DomainError) as exc:
        return _purchasing(page, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse("/services/purchasing?saved=1", status_code=303)


@router.post("/services/purchasing/rounds", response_class=HTMLResponse)
def open_round(page: CurrentPage, form: FormFields) -> Response:
    """Staff aggregate the open demands of a category and month into rounds (one per item) and send the RFQ."""
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    category = form.get("category", "")
    try:
        period = month_of(form.get("period", ""))
    except ValueError:
        return _purchasing(page, form, {"period": page.gettext("Give a month.")}, status_code=422)
    if category not in CATEGORIES:
        return _purchasing(page, form, {"category": page.gettext("Choose a category.")}, status_code=422)
    park_id = page.park.id if page.park is not None else None
    with page.db.begin_nested():
        made = purchasing.aggregate(page.db, scope=page.scope, category=category, period=period, park_id=park_id)
    if len(made) == 1:
        return RedirectResponse(f"/services/purchasing/rounds/{made[0].id}?saved=1", status_code=303)
    if not made:
        return _purchasing(
            page, form, {"": page.gettext("No open demands of this category and month.")}, status_code=409
        )
    return RedirectResponse("/services/purchasing?saved=1", status_code=303)


@router.post("/services/purchasing/suppliers", response_class=HTMLResponse)
def add_supplier(page: CurrentPage, form: FormFields) -> Response:
    """Staff register a supplier for the park's group purchasing."""
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    categories = [c for c in CATEGORIES if form.get(f"category_{c}") == "1"]
    try:
        with page.db.begin_nested():
            purchasing.SUPPLIERS.create(
                page.db,
                scope=page.scope,
                data=SupplierCreate(
                    name=form.get("name", ""),
                    categories=categories,
                    contact=form.get("contact") or None,
                    park_id=page.park.id if page.park is not None else None,
                ),
            )
    except (ValidationError, DomainError) as exc:
        return _purchasing(page, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse("/services/purchasing?saved=1", status_code=303)


@router.get("/services/purchasing/rounds/{ident}", response_class=HTMLResponse, name="service_round")
def round_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _reader(page)
    return _round(page, ident, {}, {})


def _round(
    page: Page, ident: int, values: dict[str, str], errors: dict[str, str], *, status_code: int = 200
) -> HTMLResponse:
    scope = page.scope
    row = purchasing.ROUNDS.get(page.db, scope=scope, ident=ident)
    staff = scope.can(WRITE)
    if staff:
        try:
            scope.authorize_write(WRITE, park_id=row.park_id)
        except PermissionDenied:
            staff = False
    quotes = purchasing.quotes(page.db, scope=scope, round_id=ident) if staff else []
    suppliers = purchasing.SUPPLIERS.list(page.db, scope=scope, query=ListQuery(page_size=200, sort="name"))[0]
    supplier_names = {s.id: s.name for s in suppliers}
    split = purchasing.DEMANDS.list(
        page.db, scope=scope, query=ListQuery(page_size=1000, sort="id", filters={"round_id": ident})
    )[0]
    names = enterprise_names(page, {d.enterprise_id for d in split})
    savings = [s for s in (_saving(d) for d in split) if s is not None]
    return page.render(
        "services/round.html",
        {
            "tab": "purchasing",
            "round": row,
            "category": page.label(CATEGORIES, row.category),
            "status": page.label(ROUND_STATUSES, row.status),
            "staff": staff,
            "quoting": row.status == RoundStatus.QUOTING,
            "quotes": [{"quote": q, "supplier": supplier_names.get(q.supplier_id, q.supplier_id)} for q in quotes],
            "quote_suppliers": [s for s in suppliers if row.category in s.categories],
            "winner": supplier_names.get(row.supplier_id or 0),
            "split": _demand_rows(page, split),
            "saved_total": round(sum(savings), 2) if savings else None,
            "names": names,
            "values": values,
            "errors": errors,
            "saved": page.request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.post("/services/purchasing/rounds/{ident}/quotes", response_class=HTMLResponse)
def record_quote(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Staff record a supplier's unit price for the round (a second quote of a supplier replaces its first)."""
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            data = QuoteCreate(
                supplier_id=form.get("supplier_id", ""),
                unit_price_yuan=form.get("unit_price_yuan", ""),
            )
            purchasing.add_quote(
                page.db,
                scope=page.scope,
                round_id=ident,
                supplier_id=data.supplier_id,
                unit_price_yuan=data.unit_price_yuan,
            )
    except (ValidationError, DomainError) as exc:
        return _round(page, ident, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse(f"/services/purchasing/rounds/{ident}?saved=1", status_code=303)


@router.post("/services/purchasing/rounds/{ident}/award", response_class=HTMLResponse)
def award_round(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Staff award the round to the lowest quote; the order is split back to each demand."""
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            purchasing.award(page.db, scope=page.scope, round_id=ident)
    except DomainError as exc:
        return _round(page, ident, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse(f"/services/purchasing/rounds/{ident}?saved=1", status_code=303)


@router.post("/services/purchasing/demands/{ident}/delivery", response_class=HTMLResponse)
def record_delivery(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Staff record what reached an enterprise of an awarded order."""
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    demand = purchasing.DEMANDS.get(page.db, scope=page.scope, ident=ident)
    if demand.round_id is None:
        raise NotFound(f"demand {ident} is in no round")
    try:
        quantity = float(form.get("delivered_quantity", ""))
        if not 0 <= quantity <= 1e12:
            raise ValueError(quantity)
    except ValueError:
        return _round(
            page,
            demand.round_id,
            form,
            {"delivered_quantity": page.gettext("Give the quantity delivered.")},
            status_code=422,
        )
    try:
        with page.db.begin_nested():
            purchasing.deliver(page.db, scope=page.scope, demand_id=ident, delivered_quantity=quantity)
    except DomainError as exc:
        return _round(page, demand.round_id, form, _errors(exc), status_code=_status(exc))
    return RedirectResponse(f"/services/purchasing/rounds/{demand.round_id}?saved=1", status_code=303)
