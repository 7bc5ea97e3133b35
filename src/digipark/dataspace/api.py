"""REST API of the data space under /api/v1/dataspace: products, contracts and the connector's access, the ledger
with its verification, datasets (import, derive, lineage), identifiers (register, resolve, statistics), and the
catalogue as DCAT/ODRL JSON-LD."""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from digipark.auth.dependencies import CurrentScope, DbSession, writes
from digipark.core.errors import PROBLEM_MEDIA_TYPE
from digipark.core.spreadsheet import ImportProblem, ImportReport
from digipark.dataspace import datasets, identifiers, keys, ledger, schemas, service, snapshots
from digipark.dataspace.catalog import dcat_catalog

router = APIRouter(prefix="/api/v1/dataspace")
TAGS: list[str | Enum] = ["dataspace"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/catalog", tags=TAGS)
def catalog(db: DbSession, scope: CurrentScope, request: Request) -> Any:
    """The park's products as a DCAT catalogue with each product's offer as an ODRL policy (JSON-LD)."""
    return dcat_catalog(db, scope=scope, base=str(request.base_url).rstrip("/"))


@router.get("/products", response_model=list[schemas.ProductRead], tags=TAGS)
def list_products(db: DbSession, scope: CurrentScope) -> Any:
    """The products in the catalogue of your park."""
    return service.list_products(db, scope=scope)


@router.post("/products", response_model=schemas.ProductRead, status_code=201, tags=TAGS)
def create_product(data: schemas.ProductCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Publish a product over your data (an enterprise) or the park's datasets (staff)."""
    return service.create_product(db, scope=scope, data=data)


@router.get("/products/{ident}", response_model=schemas.ProductRead, tags=TAGS)
def get_product(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_product(db, scope=scope, ident=ident)


@router.post("/products/{ident}/withdraw", response_model=schemas.ProductRead, tags=TAGS)
def withdraw_product(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Take your product out of the catalogue."""
    return service.withdraw_product(db, scope=scope, ident=ident)


@router.post("/products/{ident}/contracts", response_model=schemas.ContractRead, status_code=201, tags=TAGS)
def request_contract(ident: Ident, data: schemas.ContractRequest, db: DbSession, scope: CurrentScope) -> Any:
    """Ask for a product under the terms you name (purposes, days, downloads) within the product's."""
    return service.request_contract(db, scope=scope, product_id=ident, data=data)


@router.get("/contracts", response_model=list[schemas.ContractRead], tags=TAGS)
def list_contracts(db: DbSession, scope: CurrentScope) -> Any:
    """The contracts you provide or consume (staff: the park's)."""
    return service.list_contracts(db, scope=scope)


@router.get("/contracts/{ident}", response_model=schemas.ContractRead, tags=TAGS)
def get_contract(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_contract(db, scope=scope, ident=ident)


@router.post("/contracts/{ident}/agree", response_model=schemas.ContractRead, tags=TAGS)
def agree(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The provider agrees; the period starts now."""
    return service.agree(db, scope=scope, ident=ident)


@router.post("/contracts/{ident}/reject", response_model=schemas.ContractRead, tags=TAGS)
def reject(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.reject(db, scope=scope, ident=ident)


@router.post("/contracts/{ident}/revoke", response_model=schemas.ContractRead, tags=TAGS)
def revoke(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The provider or park staff end an agreed contract now."""
    return service.revoke(db, scope=scope, ident=ident)


@router.post(
    "/contracts/{ident}/access",
    response_model=schemas.AccessRead,
    tags=TAGS,
    responses={403: {"description": "refused by the usage policy (the refusal is in the ledger)"}},
)
def access(ident: Ident, data: schemas.AccessRequest, db: DbSession, scope: CurrentScope, request: Request) -> Any:
    """Download the product's data through the connector, checked against the agreed policy. A refusal is a 403
    problem, and it is written to the ledger (the request's transaction commits)."""
    return _answer(service.access(db, scope=scope, ident=ident, purpose=data.purpose), ident, request)


def _answer(result: service.Access, ident: int, request: Request) -> Any:
    if not result.decision.allowed:
        problem = service.PolicyDenied(result.decision.reason).problem(instance=request.url.path)
        return JSONResponse(problem, status_code=403, media_type=PROBLEM_MEDIA_TYPE)
    assert result.terms is not None
    return schemas.AccessRead(
        contract_id=ident,
        columns=result.columns,
        rows=result.rows,
        remaining=result.remaining,
        delete_after_use=result.terms.delete_after_use,
        no_onward_transfer=result.terms.no_onward_transfer,
    )


@router.post("/contracts/{ident}/keys", response_model=schemas.KeyCreated, status_code=201, tags=TAGS)
def create_key(ident: Ident, data: schemas.KeyCreate, db: DbSession, scope: CurrentScope) -> Any:
    """A connector key for your systems' downloads of this contract (the consumer): scoped to the contract and the
    purposes named, metered against a daily quota. The key is shown once."""
    raw, row = keys.create(
        db, scope=scope, contract_id=ident, purposes=list(data.purposes), daily_quota=data.daily_quota
    )
    return {"id": row.id, "key": raw, "hint": row.hint, "purposes": row.purposes, "daily_quota": row.daily_quota}


@router.get(
    "/connector/{ident}",
    response_model=schemas.AccessRead,
    tags=TAGS,
    responses={401: {}, 403: {"description": "outside the key's scope or refused by the usage policy"}, 429: {}},
)
@writes  # a download is counted and written to the ledger
def connector_download(
    ident: Ident,
    db: DbSession,
    request: Request,
    purpose: Annotated[str, Query(max_length=40)] = "",
    x_api_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    """A machine download of a contract's data with a connector key (header X-Api-Key) instead of a login: the
    key's scope and daily quota, then the contract's policy, are checked."""
    _key, scope = keys.admit(db, raw=x_api_key, contract_id=ident, purpose=purpose)
    return _answer(service.access(db, scope=scope, ident=ident, purpose=purpose), ident, request)


@router.get("/contracts/{ident}/ledger", response_model=schemas.LedgerRead, tags=TAGS)
def contract_ledger(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The contract's ledger entries and the recomputation of their hash chain (both parties may verify)."""
    row = service.get_contract(db, scope=scope, ident=ident)
    entries = ledger.entries(db, row.id)
    check = ledger.verify_entries(row.id, entries)
    return {
        "contract_id": row.id,
        "intact": check.intact,
        "broken_at": check.broken_at,
        "head": check.head,
        "entries": entries,
    }


@router.get("/datasets", response_model=list[schemas.DatasetRead], tags=TAGS)
def list_datasets(db: DbSession, scope: CurrentScope) -> Any:
    return datasets.list_datasets(db, scope=scope)


@router.post("/datasets", response_model=schemas.DatasetRead, status_code=201, tags=TAGS)
def import_dataset(data: schemas.DatasetImport, db: DbSession, scope: CurrentScope) -> Any:
    """Collect rows into a dataset, cleaned by the rules given (refused rows are kept with their reasons)."""
    return datasets.import_rows(db, scope=scope, name=data.name, rows=data.rows, rules=data.rules)


@router.post("/datasets/derive", response_model=schemas.DatasetRead, status_code=201, tags=TAGS)
def derive_dataset(data: schemas.DatasetDerive, db: DbSession, scope: CurrentScope) -> Any:
    """A pipeline step: a dataset from your datasets' rows, cleaned by the rules given; lineage records them."""
    return datasets.derive(db, scope=scope, name=data.name, inputs=data.inputs, rules=data.rules)


@router.get("/datasets/{ident}", response_model=schemas.DatasetRead, tags=TAGS)
def get_dataset(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return datasets.get(db, scope=scope, ident=ident)


@router.get("/datasets/{ident}/lineage", response_model=list[schemas.LineageNode], tags=TAGS)
def dataset_lineage(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The dataset and the datasets it was derived from, nearest first, with each one's job."""
    return datasets.lineage(db, scope=scope, ident=ident)


def _snapshot(db: DbSession, scope: CurrentScope, ident: int) -> tuple[dict[str, Any], bytes, bytes]:
    row = datasets.get(db, scope=scope, ident=ident)
    owner = f"urn:digipark:enterprise:{row.enterprise_id}" if row.enterprise_id else f"urn:digipark:park:{row.park_id}"
    return snapshots.export(row, owner=owner, lineage=datasets.lineage(db, scope=scope, ident=ident))


@router.get("/datasets/{ident}/card", tags=TAGS)
def dataset_card(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The dataset snapshot's data card: columns and types, counts, the job's steps, lineage, the files' SHA-256."""
    card, parquet, _ = _snapshot(db, scope, ident)
    return {**card, "parquet_sha256": hashlib.sha256(parquet).hexdigest()}


@router.get("/datasets/{ident}/snapshot.parquet", tags=TAGS, response_class=Response)
def dataset_parquet(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    """The dataset as Parquet (zstd), its data card in the file's metadata (`digipark.data_card`)."""
    _, parquet, _ = _snapshot(db, scope, ident)
    disposition = f'attachment; filename="dataset-{ident}.parquet"'
    return Response(parquet, media_type="application/vnd.apache.parquet", headers={"Content-Disposition": disposition})


@router.get("/datasets/{ident}/snapshot.csv", tags=TAGS, response_class=Response)
def dataset_csv(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    """The dataset as CSV (UTF-8, a header row)."""
    _, _, text = _snapshot(db, scope, ident)
    disposition = f'attachment; filename="dataset-{ident}.csv"'
    return Response(text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})


@router.get("/identifiers", response_model=list[schemas.IdentifierRead], tags=TAGS)
def list_identifiers(db: DbSession, scope: CurrentScope) -> Any:
    return identifiers.list_identifiers(db, scope=scope)


@router.post("/identifiers", response_model=schemas.IdentifierRead, status_code=201, tags=TAGS)
def register_identifier(data: schemas.IdentifierCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Register an identifier `88.xxx.yyy/suffix` with its attributes (422 when the format is wrong)."""
    return identifiers.register(
        db,
        scope=scope,
        handle=data.handle,
        kind=data.kind.value,
        name=data.name,
        attributes=dict(data.attributes),
        device_id=data.device_id,
        target_url=data.target_url,
        enterprise_id=data.enterprise_id,
    )


@router.post(
    "/identifiers/import",
    response_model=ImportReport,
    tags=TAGS,
    responses={422: {"model": ImportProblem, "description": "bad rows; nothing was imported"}},
)
def import_identifiers(
    db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()], dry_run: bool = False
) -> Any:
    """Register identifiers in bulk from an Excel sheet, all or nothing (columns 标识, 类别, 名称, 企业自有系统,
    属性 as key=value; key=value)."""
    content = file.file.read(20 * 1024 * 1024 + 1)
    return identifiers.import_workbook(db, scope=scope, content=content, dry_run=dry_run)


@router.get("/identifiers/resolve", tags=TAGS)
@writes  # a resolution is counted
def resolve_identifier(
    db: DbSession,
    scope: CurrentScope,
    handle: Annotated[str, Query(min_length=1, max_length=255)],
    redirect: bool = False,
) -> Any:
    """Resolve an identifier to its record, or with `redirect=true` to a 302 to the owner's system where one is
    registered. The resolver processes (`digipark resolver`) answer this path the same, from memory."""
    record = identifiers.resolve(db, scope=scope, handle=handle)
    if redirect and record["target_url"]:
        return RedirectResponse(record["target_url"], status_code=302)
    return record


@router.get("/identifiers/statistics", tags=TAGS)
def identifier_statistics(db: DbSession, scope: CurrentScope) -> Any:
    """Registrations by kind and resolutions in your park."""
    return identifiers.statistics(db, scope=scope)
