"""Data space pages: the catalogue, publishing a product, a product with the request form, contracts (agree,
reject, revoke, download through the connector, the ledger and its verification), identifiers (register,
resolve, statistics)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.auth.dependencies import writes
from digipark.auth.models import Role
from digipark.core.downloads import file_response
from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.dataspace import datasets, identifiers, ledger, policy, service
from digipark.dataspace.models import ContractState, IdentifierKind
from digipark.dataspace.schemas import PURPOSES, ContractRequest, IdentifierCreate, ProductCreate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

PURPOSE_LABELS = {
    "energy_benchmarking": N_("Energy benchmarking"),
    "carbon_accounting": N_("Carbon accounting"),
    "supply_chain": N_("Supply-chain collaboration"),
    "maintenance": N_("Equipment maintenance"),
    "research": N_("Research"),
}
SOURCE_LABELS = {"energy_monthly": N_("Monthly energy and carbon"), "dataset": N_("Dataset")}
STATE_LABELS = {
    "requested": N_("Requested"),
    "agreed": N_("Agreed"),
    "rejected": N_("Declined"),
    "revoked": N_("Revoked"),
}
LEDGER_LABELS = {
    "requested": N_("Requested"),
    "agreed": N_("Agreed"),
    "rejected": N_("Declined"),
    "revoked": N_("Revoked"),
    "access": N_("Download"),
    "refused": N_("Access refused"),
}
KIND_LABELS = {"product": N_("Product"), "batch": N_("Batch"), "equipment": N_("Equipment")}
REASONS = {
    "allowed": N_("allowed"),
    "contract revoked": N_("contract revoked"),
    "contract not agreed": N_("contract not agreed"),
    "not the contract's consumer": N_("not the contract's consumer"),
    "purpose not permitted": N_("purpose not permitted"),
    "period not yet begun": N_("period not yet begun"),
    "period ended": N_("period ended"),
    "download count used up": N_("download count used up"),
    "policy not enforceable": N_("policy not enforceable"),
}
COLUMN_LABELS = {
    "month": N_("Month"),
    "tce_equivalent": N_("Energy, tce (equivalent)"),
    "tce_equal": N_("Energy, tce (equal value)"),
    "tco2": N_("Emissions, tCO2"),
    "electricity_kwh": N_("Electricity, kWh"),
}
LABELS = {
    "purposes": PURPOSE_LABELS,
    "sources": SOURCE_LABELS,
    "states": STATE_LABELS,
    "ledger_kinds": LEDGER_LABELS,
    "kinds": KIND_LABELS,
    "reasons": REASONS,
    "column_labels": COLUMN_LABELS,
}


def _member(page: Page) -> int:
    page.scope.require(service.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return int(page.park.id)


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return {str(e["loc"][0]) if e["loc"] else "": e["msg"] for e in exc.errors()}
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if exc.errors:
        return {str(e.get("field") or "").split(".")[0]: str(e.get("reason")) for e in exc.errors}
    return {"": exc.detail}


def _int(value: str | None) -> int | str | None:
    if value is None or not value.strip():
        return None
    return int(value) if value.strip().isdigit() else value


def _checked(form: dict[str, str], prefix: str) -> list[str]:
    return [p for p in PURPOSES if form.get(f"{prefix}{p}")]


@router.get("/dataspace", response_class=HTMLResponse, name="dataspace")
def catalogue(page: CurrentPage) -> HTMLResponse:
    park_id = _member(page)
    products = service.list_products(page.db, scope=page.scope)
    names = page.enterprise_names(service.enterprise_names(page.db, {p.enterprise_id for p in products}))
    return page.render(
        "dataspace/catalogue.html",
        {
            "products": products,
            "names": names,
            "may_publish": page.scope.can(service.PUBLISH),
            "figures": _figures(page, park_id),
            **LABELS,
        },
    )


def _figures(page: Page, park_id: int) -> dict[str, int]:
    from digipark.dataspace.provides import sharing_figures

    return sharing_figures(page.db, park_id=park_id)


# -- publishing ------------------------------------------------------------------------------------------------
def _product_form(page: Page, values: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200) -> Any:
    _member(page)
    return page.render(
        "dataspace/product_form.html",
        {
            "values": values,
            "errors": errors or {},
            "datasets": [
                d
                for d in datasets.list_datasets(page.db, scope=page.scope)
                if d.enterprise_id == (page.scope.enterprise_id if page.scope.role == Role.ENTERPRISE else None)
            ],
            "energy_columns": service.ENERGY_COLUMNS,
            "purpose_codes": PURPOSES,
            "is_enterprise": page.scope.role == Role.ENTERPRISE,
            **LABELS,
        },
        status_code=status,
    )


@router.get("/dataspace/products/new", response_class=HTMLResponse, name="dataspace_product_new")
def new_product(page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.PUBLISH)
    enterprise = page.scope.role == Role.ENTERPRISE
    return _product_form(  # type: ignore[no-any-return]
        page,
        {
            "source": "energy_monthly" if enterprise else "dataset",
            "columns": ",".join(service.ENERGY_COLUMNS) if enterprise else "",
            "year": str(page.request.query_params.get("year") or ""),
            "max_accesses": "3",
            "max_days": "90",
            "p_energy_benchmarking": "on",
        },
    )


@router.post("/dataspace/products/new", response_class=HTMLResponse)
def create_product(page: CurrentPage, form: FormFields) -> Response:
    _member(page)
    page.scope.require(service.PUBLISH)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            data = ProductCreate(
                title=form.get("title", ""),
                title_en=form.get("title_en", ""),
                description=form.get("description", ""),
                source=form.get("source", ""),
                dataset_id=_int(form.get("dataset_id")),
                year=_int(form.get("year")),
                columns=[c.strip() for c in form.get("columns", "").split(",") if c.strip()],
                purposes=_checked(form, "p_"),
                max_accesses=form.get("max_accesses") or 1,
                max_days=form.get("max_days") or 1,
            )
            row = service.create_product(page.db, scope=page.scope, data=data)
    except (ValidationError, DomainError) as exc:
        return _product_form(page, form, _errors(exc), exc.status if isinstance(exc, DomainError) else 422)  # type: ignore[no-any-return]
    return RedirectResponse(f"/dataspace/products/{row.id}?saved=1", status_code=303)


def _product_page(page: Page, ident: int, errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    _member(page)
    product = service.get_product(page.db, scope=page.scope, ident=ident)
    names = page.enterprise_names(service.enterprise_names(page.db, {product.enterprise_id}))
    mine = page.scope.role == Role.ENTERPRISE and product.enterprise_id == page.scope.enterprise_id
    return page.render(
        "dataspace/product.html",
        {
            "product": product,
            "provider": names.get(product.enterprise_id or 0),
            "may_request": page.scope.can(service.REQUEST) and not mine and product.active,
            "may_withdraw": product.active
            and (mine or (page.scope.is_staff and product.enterprise_id is None and page.scope.can(service.PUBLISH))),
            "errors": errors or {},
            "saved": page.request.query_params.get("saved") == "1",
            **LABELS,
        },
        status_code=status,
    )


@router.get("/dataspace/products/{ident}", response_class=HTMLResponse, name="dataspace_product")
def product_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    return _product_page(page, ident)


@router.post("/dataspace/products/{ident}/request", response_class=HTMLResponse)
def request_product(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _member(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            data = ContractRequest(
                purposes=_checked(form, "p_"),
                days=form.get("days") or 0,
                max_accesses=form.get("max_accesses") or 0,
            )
            row = service.request_contract(page.db, scope=page.scope, product_id=ident, data=data)
    except (ValidationError, DomainError) as exc:
        return _product_page(page, ident, _errors(exc), exc.status if isinstance(exc, DomainError) else 422)
    return RedirectResponse(f"/dataspace/contracts/{row.id}", status_code=303)


@router.post("/dataspace/products/{ident}/withdraw")
def withdraw_product(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _member(page)
    page.check_csrf(form)
    service.withdraw_product(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/dataspace/products/{ident}?saved=1", status_code=303)


# -- contracts -------------------------------------------------------------------------------------------------
@router.get("/dataspace/contracts", response_class=HTMLResponse, name="dataspace_contracts")
def contracts_page(page: CurrentPage) -> HTMLResponse:
    _member(page)
    rows = service.list_contracts(page.db, scope=page.scope)
    names = page.enterprise_names(
        service.enterprise_names(
            page.db, {r.provider_enterprise_id for r in rows} | {r.consumer_enterprise_id for r in rows}
        )
    )
    titles = {
        p.id: page.name(p, "title") for p in service.list_products(page.db, scope=page.scope, include_withdrawn=True)
    }
    return page.render("dataspace/contracts.html", {"contracts": rows, "names": names, "titles": titles, **LABELS})


def _contract_page(page: Page, ident: int, error: str | None = None, status: int = 200) -> HTMLResponse:
    _member(page)
    row = service.get_contract(page.db, scope=page.scope, ident=ident)
    product = service.get_product(page.db, scope=page.scope, ident=row.product_id)
    names = page.enterprise_names(
        service.enterprise_names(page.db, {row.provider_enterprise_id, row.consumer_enterprise_id})
    )
    entries = ledger.entries(page.db, row.id)
    scope = page.scope
    enterprise = scope.enterprise_id if scope.role == Role.ENTERPRISE else None
    provider = (enterprise is not None and enterprise == row.provider_enterprise_id) or (
        row.provider_enterprise_id is None and scope.is_staff and scope.can(service.PUBLISH)
    )
    try:
        terms: policy.Terms | None = policy.terms(row.policy)
    except policy.PolicyError:
        terms = None
    return page.render(
        "dataspace/contract.html",
        {
            "contract": row,
            "product": product,
            "names": names,
            "terms": terms,
            "entries": entries,
            "verification": ledger.verify_entries(row.id, entries),
            "may_decide": provider and row.state == ContractState.REQUESTED.value,
            "may_revoke": row.state == ContractState.AGREED.value
            and (provider or (scope.can(service.MANAGE) and row.park_id in scope.write_parks)),
            "consumer": enterprise is not None and enterprise == row.consumer_enterprise_id,
            "remaining": max((terms.count if terms else 0) - row.accesses, 0),
            "error": error,
            **LABELS,
        },
        status_code=status,
    )


@router.get("/dataspace/contracts/{ident}", response_class=HTMLResponse, name="dataspace_contract")
def contract_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    return _contract_page(page, ident)


def _step(page: Page, ident: int, form: dict[str, str], action: str) -> Response:
    _member(page)
    page.check_csrf(form)
    do = {"agree": service.agree, "reject": service.reject, "revoke": service.revoke}[action]
    try:
        with page.db.begin_nested():
            do(page.db, scope=page.scope, ident=ident)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        return _contract_page(page, ident, exc.detail, exc.status)
    return RedirectResponse(f"/dataspace/contracts/{ident}", status_code=303)


@router.post("/dataspace/contracts/{ident}/agree")
def agree(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    return _step(page, ident, form, "agree")


@router.post("/dataspace/contracts/{ident}/reject")
def reject(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    return _step(page, ident, form, "reject")


@router.post("/dataspace/contracts/{ident}/revoke")
def revoke(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    return _step(page, ident, form, "revoke")


@router.post("/dataspace/contracts/{ident}/download")
def download(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """A download through the connector: the CSV when the policy allows it; else the contract page with the reason
    (403) — the refusal stays in the ledger."""
    _member(page)
    page.check_csrf(form)
    result = service.access(page.db, scope=page.scope, ident=ident, purpose=form.get("purpose", ""))
    if not result.decision.allowed:
        reason = page.gettext(REASONS.get(result.decision.reason, result.decision.reason))
        return _contract_page(page, ident, page.gettext("Refused: %(reason)s", reason=reason), 403)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(result.columns)
    writer.writerows(result.rows)
    return file_response(out.getvalue().encode("utf-8-sig"), "text/csv", f"contract-{ident}.csv")


# -- identifiers -----------------------------------------------------------------------------------------------
def _identifiers_page(
    page: Page,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    resolved: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    _member(page)
    return page.render(
        "dataspace/identifiers.html",
        {
            "identifiers": identifiers.list_identifiers(page.db, scope=page.scope),
            "statistics": identifiers.statistics(page.db, scope=page.scope),
            "may_register": page.scope.can(identifiers.REGISTER),
            "kind_codes": [k.value for k in IdentifierKind],
            "values": values or {},
            "errors": errors or {},
            "resolved": resolved,
            **LABELS,
        },
        status_code=status,
    )


@router.get("/dataspace/identifiers", response_class=HTMLResponse, name="dataspace_identifiers")
def identifiers_page(page: CurrentPage) -> HTMLResponse:
    return _identifiers_page(page)


@router.post("/dataspace/identifiers", response_class=HTMLResponse)
def register_identifier(page: CurrentPage, form: FormFields) -> Response:
    _member(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            data = IdentifierCreate(
                handle=form.get("handle", ""),
                kind=form.get("kind", ""),
                name=form.get("name", ""),
                target_url=form.get("target_url") or None,
            )
            identifiers.register(
                page.db,
                scope=page.scope,
                handle=data.handle,
                kind=data.kind.value,
                name=data.name,
                attributes={},
                target_url=data.target_url,
            )
    except (ValidationError, DomainError) as exc:
        return _identifiers_page(page, form, _errors(exc), status=exc.status if isinstance(exc, DomainError) else 422)
    return RedirectResponse("/dataspace/identifiers", status_code=303)


@router.get("/dataspace/identifiers/resolve", response_class=HTMLResponse, name="dataspace_resolve")
@writes  # a resolution is counted
def resolve_page(page: CurrentPage, handle: Annotated[str, Query(max_length=255)] = "") -> HTMLResponse:
    _member(page)
    if not handle.strip():
        return _identifiers_page(page)
    try:
        with page.db.begin_nested():
            resolved = identifiers.resolve(page.db, scope=page.scope, handle=handle.strip())
    except DomainError as exc:
        return _identifiers_page(page, {"resolve": handle}, {"resolve": exc.detail}, status=exc.status)
    return _identifiers_page(page, {"resolve": handle}, resolved=resolved)
