"""Data space pages of the data platform and the connector: datasets (list, collect rows from CSV cleaned by rules,
a dataset with its refused rows, its job and its lineage) and connector keys (list, make one for an agreed
contract — shown once —, revoke). Every write goes through the services, which the audit log records."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.auth.models import Role
from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.dataspace import datasets, keys, policy, service
from digipark.dataspace.models import ContractState
from digipark.dataspace.pages import LABELS, _member
from digipark.dataspace.schemas import PURPOSES, DatasetImport, KeyCreate
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
MAX_CSV_CHARS = 2_000_000
RULE_LABELS = {
    "type": N_("Type check"),
    "required": N_("Required value"),
    "range": N_("Range check"),
    "dedup": N_("Deduplication"),
    "unit": N_("Unit normalisation"),
    "gap_fill": N_("Gap filling"),
}
REASONS = (  # the cleaning rules' reasons for refusing a row (cleaning, columnar), as stored -> the page's words
    (re.compile(r"^(?P<column>.+): not a number$"), N_("%(column)s: not a number")),
    (re.compile(r"^(?P<column>.+): not a integer$"), N_("%(column)s: not a whole number")),
    (re.compile(r"^(?P<column>.+): not a date$"), N_("%(column)s: not a date")),
    (re.compile(r"^(?P<column>.+): not a text$"), N_("%(column)s: not a text")),
    (re.compile(r"^(?P<column>.+): missing$"), N_("%(column)s: missing")),
    (re.compile(r"^(?P<column>.+): below (?P<limit>\S+)$"), N_("%(column)s: below %(limit)s")),
    (re.compile(r"^(?P<column>.+): above (?P<limit>\S+)$"), N_("%(column)s: above %(limit)s")),
    (re.compile(r"^duplicate of (?P<keys>.+)$"), N_("duplicate of %(keys)s")),
    (
        re.compile(r"^(?P<column>.+): cannot convert (?P<unit>.+) to (?P<target>\S+)$"),
        N_("%(column)s: cannot convert %(unit)s to %(target)s"),
    ),
)


def reason_text(page: Page, reason: str) -> str:
    """A refused row's reason in the page's language (the column names and values as they are)."""
    for pattern, message in REASONS:
        found = pattern.match(reason)
        if found:
            return page.gettext(message, **found.groupdict())
    return reason


SAMPLE_RULES = '[{"rule": "type", "column": "value", "type": "number"}, {"rule": "range", "column": "value", "min": 0}]'


def _may_collect(page: Page) -> bool:
    return page.scope.can(datasets.WRITE)


# -- datasets ------------------------------------------------------------------------------------------------------
def _datasets_page(
    page: Page, values: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> HTMLResponse:
    _member(page)
    rows = datasets.list_datasets(page.db, scope=page.scope)
    names = page.enterprise_names(service.enterprise_names(page.db, {d.enterprise_id for d in rows}))
    return page.render(
        "dataspace/datasets.html",
        {
            "datasets": rows,
            "names": names,
            "may_collect": _may_collect(page),
            "values": values or {"rules": SAMPLE_RULES},
            "error": error,
            **LABELS,
        },
        status_code=status,
    )


@router.get("/dataspace/datasets", response_class=HTMLResponse, name="dataspace_datasets")
def datasets_page(page: CurrentPage) -> HTMLResponse:
    return _datasets_page(page)


def _rows(text: str) -> list[dict[str, Any]]:
    if len(text) > MAX_CSV_CHARS:
        raise ValueError("csv")
    reader = csv.DictReader(io.StringIO(text.strip()))
    if not reader.fieldnames or any(not (name or "").strip() for name in reader.fieldnames):
        raise ValueError("header")
    return [{k.strip(): v for k, v in row.items() if k is not None} for row in reader]


@router.post("/dataspace/datasets", response_class=HTMLResponse)
def collect(page: CurrentPage, form: FormFields) -> Response:
    """Collect the rows of a CSV text into a dataset, cleaned by the rules given (JSON)."""
    _member(page)
    page.check_csrf(form)
    page.scope.require(datasets.WRITE)
    try:
        rows = _rows(form.get("csv", ""))
    except (ValueError, csv.Error):
        return _datasets_page(page, form, page.gettext("The rows are not a CSV table with a header row."), 422)
    try:
        rules = json.loads(form.get("rules") or "[]")
    except ValueError:
        return _datasets_page(page, form, page.gettext("The rules are not a JSON list."), 422)
    try:
        with page.db.begin_nested():
            data = DatasetImport(name=form.get("name", ""), rows=rows, rules=rules)
            row = datasets.import_rows(page.db, scope=page.scope, name=data.name, rows=data.rows, rules=data.rules)
    except (NotFound, PermissionDenied):
        raise
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _datasets_page(page, form, detail, 422)
    except DomainError as exc:
        return _datasets_page(page, form, exc.detail, exc.status)
    return RedirectResponse(f"/dataspace/datasets/{row.id}", status_code=303)


@router.get("/dataspace/datasets/{ident}", response_class=HTMLResponse, name="dataspace_dataset")
def dataset_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _member(page)
    row = datasets.get(page.db, scope=page.scope, ident=ident)
    names = page.enterprise_names(service.enterprise_names(page.db, {row.enterprise_id}))
    return page.render(
        "dataspace/dataset.html",
        {
            "dataset": row,
            "owner": names.get(row.enterprise_id or 0),
            "sample": row.rows[:50],
            "refused": [
                {**r, "reasons": [reason_text(page, str(x)) for x in r.get("reasons", [])]} for r in row.rejected[:100]
            ],
            "steps": row.job.get("steps", []),
            "lineage": datasets.lineage(page.db, scope=page.scope, ident=ident),
            "rule_labels": RULE_LABELS,
            **LABELS,
        },
    )


# -- connector keys ------------------------------------------------------------------------------------------------
def _consumer_contracts(page: Page) -> list[Any]:
    if page.scope.role != Role.ENTERPRISE or not page.scope.can(service.REQUEST):
        return []
    return [
        c
        for c in service.list_contracts(page.db, scope=page.scope)
        if c.consumer_enterprise_id == page.scope.enterprise_id and c.state == ContractState.AGREED.value
    ]


def _keys_page(
    page: Page,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    made: tuple[str, int] | None = None,
    status: int = 200,
) -> HTMLResponse:
    _member(page)
    rows = keys.list_keys(page.db, scope=page.scope)
    contracts = _consumer_contracts(page)
    titles = {
        p.id: page.name(p, "title") for p in service.list_products(page.db, scope=page.scope, include_withdrawn=True)
    }
    permitted: dict[int, list[str]] = {}
    for c in contracts:
        try:
            permitted[c.id] = sorted(policy.terms(c.policy).purposes)
        except policy.PolicyError:
            permitted[c.id] = []
    scope = page.scope
    return page.render(
        "dataspace/keys.html",
        {
            "keys": rows,
            "contracts": contracts,
            "titles": titles,
            "permitted": permitted,
            "purpose_codes": PURPOSES,
            "may_revoke": scope.role == Role.ENTERPRISE or scope.can(service.MANAGE),
            "values": values or {"daily_quota": "100"},
            "errors": errors or {},
            "made": made,
            "names": page.enterprise_names(service.enterprise_names(page.db, {k.enterprise_id for k in rows})),
            **LABELS,
        },
        status_code=status,
    )


@router.get("/dataspace/keys", response_class=HTMLResponse, name="dataspace_keys")
def keys_page(page: CurrentPage) -> HTMLResponse:
    return _keys_page(page)


@router.post("/dataspace/keys", response_class=HTMLResponse)
def create_key(page: CurrentPage, form: FormFields) -> Response:
    """Make a key for an agreed contract the caller consumes; the key is shown once, on this answer."""
    _member(page)
    page.check_csrf(form)
    contract = form.get("contract_id", "")
    if not contract.isdigit() or len(contract) > 9:
        return _keys_page(page, form, {"contract_id": page.gettext("Choose a contract.")}, status=422)
    try:
        with page.db.begin_nested():
            data = KeyCreate.model_validate(
                {"purposes": [p for p in PURPOSES if form.get(f"p_{p}")], "daily_quota": form.get("daily_quota") or 0}
            )
            raw, row = keys.create(
                page.db,
                scope=page.scope,
                contract_id=int(contract),
                purposes=list(data.purposes),
                daily_quota=data.daily_quota,
            )
    except ValidationError as exc:
        return _keys_page(page, form, {str(e["loc"][0]): e["msg"] for e in exc.errors()}, status=422)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        errors = {str(e.get("field") or ""): str(e.get("reason")) for e in exc.errors} or {"": exc.detail}
        return _keys_page(page, form, errors, status=exc.status)
    return _keys_page(page, made=(raw, row.id), status=201)


@router.post("/dataspace/keys/{ident}/revoke")
def revoke_key(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _member(page)
    page.check_csrf(form)
    try:
        with page.db.begin_nested():
            keys.revoke(page.db, scope=page.scope, ident=ident)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        return _keys_page(page, errors={"": exc.detail}, status=exc.status)
    return RedirectResponse("/dataspace/keys", status_code=303)
