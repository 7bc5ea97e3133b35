"""REST API of assets under /api/v1/assets: the derived create/read/update/delete of the register, its Excel
import (every row or none) and export, lifecycle changes, the depreciation schedule, failures and reliability
(MTBF/MTTR per asset and class), and spare parts (stock, receipts, consumption by work orders, what to reorder)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from digipark.assets import (
    classes,
    documents,
    lease_invoices,
    leases,
    monitoring,
    parts,
    registry_sync,
    reliability,
    schemas,
    service,
    sheets,
)
from digipark.assets.models import SparePart
from digipark.auth.dependencies import CurrentScope, DbSession, writes
from digipark.core import downloads, spreadsheet
from digipark.core.errors import NotFound
from digipark.crud.routes import add_routes

router = APIRouter(prefix="/api/v1/assets")
TAGS: list[str | Enum] = ["assets"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ReliabilityRead(BaseModel):
    class_id: int | None = None
    asset_id: int | None = None
    operating_hours: float
    failures: int
    repairs: int
    mtbf_hours: float | None
    mttr_hours: float | None


def _reliability(figures: reliability.Reliability, **ids: int) -> ReliabilityRead:
    return ReliabilityRead(
        **ids,
        operating_hours=round(figures.operating_hours, 1),
        failures=figures.failures,
        repairs=figures.repairs,
        mtbf_hours=figures.mtbf_hours,
        mttr_hours=figures.mttr_hours,
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# -- Excel -------------------------------------------------------------------------------------------------------
@router.get("/export.{fmt}", tags=TAGS, responses={200: {"content": {spreadsheet.XLSX_MEDIA_TYPE: {}, "text/csv": {}}}})
@writes  # the export is audited
def export_assets(fmt: str, request: Request, db: DbSession, scope: CurrentScope) -> Response:
    """The register (the list's filters apply) as .xlsx (re-importable) or CSV."""
    query = service.ASSETS.list_spec.parse_query(dict(request.query_params))
    content, media_type = sheets.export(db, scope=scope, query=query, fmt=fmt)
    return _download(content, media_type, f"assets.{fmt}")


@router.get("/template", tags=TAGS, responses={200: {"content": {spreadsheet.XLSX_MEDIA_TYPE: {}}}})
def import_template(scope: CurrentScope) -> Response:
    scope.require(service.WRITE)
    return _download(sheets.template_xlsx(), spreadsheet.XLSX_MEDIA_TYPE, "assets-template.xlsx")


@router.post(
    "/import",
    response_model=spreadsheet.ImportReport,
    tags=TAGS,
    responses={
        413: {"description": "file too large"},
        415: {"description": "not a readable .xlsx workbook"},
        422: {"model": spreadsheet.ImportProblem, "description": "bad rows; nothing was imported"},
    },
)
def import_assets(
    db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()], dry_run: bool = False
) -> Any:
    """Import the register from an .xlsx workbook: every row or none (422 lists each row, column and reason)."""
    content = file.file.read(spreadsheet.MAX_IMPORT_BYTES + 1)
    return sheets.import_or_raise(db, scope=scope, content=content, dry_run=dry_run)


# -- spare parts ---------------------------------------------------------------------------------------------------
@router.get("/parts", response_model=list[schemas.PartRead], tags=TAGS)
def list_parts(db: DbSession, scope: CurrentScope, reorder: bool = False) -> Any:
    """The store's parts; with `reorder`, only those at or below their reorder level."""
    return parts.to_reorder(db, scope=scope) if reorder else parts.list_parts(db, scope=scope)


@router.post("/parts", response_model=schemas.PartRead, status_code=201, tags=TAGS)
def create_part(body: schemas.PartCreate, db: DbSession, scope: CurrentScope) -> Any:
    return parts.create_part(db, scope=scope, data=body)


@router.post("/parts/{ident}/receipts", response_model=schemas.PartRead, status_code=201, tags=TAGS)
def receive_part(ident: Ident, body: schemas.PartReceipt, db: DbSession, scope: CurrentScope) -> Any:
    parts.receive(db, scope=scope, part_id=ident, data=body)
    return db.get(SparePart, ident)


@router.post("/parts/{ident}/consumptions", response_model=schemas.PartRead, status_code=201, tags=TAGS)
def consume_part(ident: Ident, body: schemas.PartConsumption, db: DbSession, scope: CurrentScope) -> Any:
    """Parts used by a work order on an asset; 409 when the stock is short."""
    parts.consume(db, scope=scope, part_id=ident, data=body)
    return db.get(SparePart, ident)


# -- reliability ---------------------------------------------------------------------------------------------------
@router.get("/reliability", response_model=list[ReliabilityRead], tags=TAGS)
def class_reliability(db: DbSession, scope: CurrentScope) -> Any:
    """MTBF and MTTR (hours) per asset class of the caller's park, from recorded failures and repair orders."""
    scope.require(service.VIEW)
    park_id = scope.acting_park()
    pooled = reliability.by_class(db, scope=scope, park_id=park_id, until=service.today())
    return [_reliability(figures, class_id=class_id) for class_id, figures in sorted(pooled.items())]


# -- the registry's land and buildings, leases --------------------------------------------------------------------
class SyncRead(BaseModel):
    created: int
    updated: int
    unchanged: int


class SyncRequest(BaseModel):
    park_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


@router.post("/registry-sync", response_model=SyncRead, tags=TAGS)
def sync_registry(db: DbSession, scope: CurrentScope, body: SyncRequest | None = None) -> Any:
    """Bring the park's land parcels and buildings into the register (idempotent: a second call changes nothing
    the registry did not change)."""
    return registry_sync.sync_registry(db, scope=scope, park_id=body.park_id if body is not None else None)


@router.get("/leases", response_model=list[schemas.LeaseRead], tags=TAGS)
def list_leases(db: DbSession, scope: CurrentScope) -> Any:
    """The leases of park assets the caller reads (an enterprise: its own)."""
    scope.require(service.VIEW)
    return leases.list_leases(db, scope=scope)


@router.get("/lease-invoices", response_model=list[schemas.LeaseInvoiceRead], tags=TAGS)
def list_lease_invoices(db: DbSession, scope: CurrentScope) -> Any:
    """The monthly rent invoices of leases the caller reads (an enterprise: its own), newest month first."""
    scope.require(service.VIEW)
    return lease_invoices.list_invoices(db, scope=scope)


@router.post("/leases/{ident}/state", response_model=schemas.LeaseRead, tags=TAGS)
def change_lease_state(ident: Ident, body: schemas.LeaseStateChange, db: DbSession, scope: CurrentScope) -> Any:
    """Activate, end or terminate a lease; 409 for a change a lease's states do not allow."""
    return leases.change_state(db, scope=scope, ident=ident, data=body)


# -- the register ------------------------------------------------------------------------------------------------
add_routes(router, classes.CLASSES, "/classes", tags=TAGS)
add_routes(router, service.ASSETS, "", tags=TAGS)


@router.post("/{ident}/leases", response_model=schemas.LeaseRead, status_code=201, tags=TAGS)
def create_lease(ident: Ident, body: schemas.LeaseCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Lease a park asset to an enterprise (a draft; activate it through its state)."""
    return leases.create_lease(db, scope=scope, asset_id=ident, data=body)


@router.post("/{ident}/state", response_model=schemas.AssetRead, tags=TAGS)
def change_state(ident: Ident, body: schemas.StateChange, db: DbSession, scope: CurrentScope) -> Any:
    """Move the asset along its lifecycle; 409 for a change the lifecycle does not allow."""
    return service.change_state(db, scope=scope, ident=ident, data=body)


@router.get("/{ident}/depreciation", response_model=list[schemas.MonthRead], tags=TAGS)
def depreciation(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The asset's monthly depreciation schedule (empty before it is in service)."""
    return service.schedule(service.ASSETS.get(db, scope=scope, ident=ident))


@router.post("/{ident}/failures", response_model=schemas.FailureRead, status_code=201, tags=TAGS)
def record_failure(ident: Ident, body: schemas.FailureCreate, db: DbSession, scope: CurrentScope) -> Any:
    """Record a failure (with the order that repaired it, for MTTR); the asset's predictions are evaluated."""
    return monitoring.record_failure(db, scope=scope, asset_id=ident, data=body)


@router.get("/{ident}/reliability", response_model=ReliabilityRead, tags=TAGS)
def asset_reliability(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    asset = service.ASSETS.get(db, scope=scope, ident=ident)
    figures = reliability.of_asset(db, scope=scope, asset=asset, until=service.today())
    return _reliability(figures, asset_id=asset.id, class_id=asset.class_id)


# -- documents -----------------------------------------------------------------------------------------------------
@router.get("/{ident}/documents", response_model=list[schemas.DocumentRead], tags=TAGS)
def list_documents(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The asset's documents (manuals, certificates, drawings, inspection reports)."""
    return documents.documents_of(db, scope=scope, asset_id=ident)


@router.post(
    "/{ident}/documents",
    response_model=schemas.DocumentRead,
    status_code=201,
    tags=TAGS,
    responses={413: {"description": "larger than 20 MB"}, 415: {"description": "not PDF, PNG, JPEG, .docx, .xlsx"}},
)
def upload_document(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=20)] = "other",
    title: Annotated[str | None, Form(max_length=200)] = None,
    expires_on: Annotated[dt.date | None, Form()] = None,
) -> Any:
    """Attach a document of a kind (manual, certificate, drawing, inspection, other) to the asset; the same kind
    and title again is the document's next version (the old ones are kept). `expires_on`: the day it expires."""
    content = file.file.read(documents.UPLOADS.max_bytes + 1)
    return documents.upload(
        db,
        scope=scope,
        asset_id=ident,
        kind=kind,
        title=title,
        expires_on=expires_on,
        filename=file.filename or "",
        content_type=file.content_type or "",
        content=content,
    )


@router.get("/{ident}/documents/{document_id}", tags=TAGS, response_class=Response)
def download_document(ident: Ident, document_id: Ident, db: DbSession, scope: CurrentScope) -> Response:
    """The document's file."""
    row = documents.get(db, scope=scope, ident=document_id)
    if row.asset_id != ident:
        raise NotFound(f"no document {document_id} of asset {ident}")
    return downloads.file_response(row.content, row.content_type, row.filename)
