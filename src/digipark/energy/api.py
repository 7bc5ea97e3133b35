"""REST API of the energy domain under /api/v1/energy (thin: parse, call the service, shape)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.downloads import file_response
from digipark.core.errors import NotFound
from digipark.core.listing import ListQuery, Page, page_of
from digipark.core.spreadsheet import XLSX_MEDIA_TYPE, ImportProblem, ImportReport
from digipark.crud.routes import add_routes
from digipark.energy import report, schemas, service

router = APIRouter(prefix="/api/v1/energy")
METERS: list[str | Enum] = ["energy: meters"]
ENTRIES: list[str | Enum] = ["energy: manual entries and declarations"]
TARIFFS: list[str | Enum] = ["energy: tariffs and settings"]
FIGURES: list[str | Enum] = ["energy: figures and reports"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
EnterpriseId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="one enterprise (default: the park)")]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")]
MeterQuery = Annotated[ListQuery, Depends(service.METER_SPEC.dependency())]
EntryQuery = Annotated[ListQuery, Depends(service.ENTRY_SPEC.dependency())]
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "file too large"},
    415: {"description": "file type not accepted, or the content does not match it"},
}


# -- meters ------------------------------------------------------------------------------------------------------
@router.get("/meters", response_model=Page[schemas.MeterRead], tags=METERS)
def list_meters(db: DbSession, scope: CurrentScope, query: MeterQuery) -> Any:
    rows, total = service.list_meters(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/meters", response_model=schemas.MeterRead, status_code=201, tags=METERS)
def create_meter(data: schemas.MeterCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.create_meter(db, scope=scope, data=data)


@router.get("/meters/{ident}", response_model=schemas.MeterRead, tags=METERS)
def get_meter(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_meter(db, scope=scope, ident=ident)


@router.patch("/meters/{ident}", response_model=schemas.MeterRead, tags=METERS)
def update_meter(ident: Ident, data: schemas.MeterUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.update_meter(db, scope=scope, ident=ident, data=data)


@router.delete("/meters/{ident}", status_code=204, tags=METERS)
def delete_meter(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    service.delete_meter(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.get("/meters/{ident}/consumption", response_model=schemas.MeterConsumption, tags=METERS)
def meter_consumption(
    ident: Ident, db: DbSession, scope: CurrentScope, year: Annotated[int, Query(ge=2000, le=2100)]
) -> Any:
    return service.meter_consumption(db, scope=scope, ident=ident, year=year)


# -- manual entries ------------------------------------------------------------------------------------------------
@router.get("/entries", response_model=Page[schemas.EntryRead], tags=ENTRIES)
def list_entries(db: DbSession, scope: CurrentScope, query: EntryQuery) -> Any:
    rows, total = service.list_entries(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/entries", response_model=schemas.EntryRead, status_code=201, tags=ENTRIES)
def create_entry(data: schemas.EntryCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.create_entry(db, scope=scope, data=data)


@router.get("/entries/template.xlsx", tags=ENTRIES, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
def entries_template(scope: CurrentScope) -> Response:
    return file_response(service.template_xlsx(), XLSX_MEDIA_TYPE, "energy-entries-template.xlsx")


@router.post(
    "/entries/import",
    response_model=ImportReport,
    tags=ENTRIES,
    responses={422: {"model": ImportProblem, "description": "bad rows; nothing was imported"}, **UPLOAD_RESPONSES},
)
def import_entries(
    db: DbSession,
    scope: CurrentScope,
    file: Annotated[UploadFile, File()],
    dry_run: bool = False,
    park_id: ParkId = None,
) -> Any:
    content = file.file.read(20 * 1024 * 1024 + 1)
    return service.import_entries(
        db, scope=scope, filename=file.filename or "", content=content, dry_run=dry_run, park_id=park_id
    )


@router.get("/entries/{ident}", response_model=schemas.EntryRead, tags=ENTRIES)
def get_entry(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_entry(db, scope=scope, ident=ident)


@router.patch("/entries/{ident}", response_model=schemas.EntryRead, tags=ENTRIES)
def update_entry(ident: Ident, data: schemas.EntryUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.update_entry(db, scope=scope, ident=ident, data=data)


@router.delete("/entries/{ident}", status_code=204, tags=ENTRIES)
def delete_entry(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    service.delete_entry(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.post("/entries/{ident}/evidence", response_model=schemas.EntryRead, tags=ENTRIES, responses=UPLOAD_RESPONSES)
def attach_evidence(ident: Ident, db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()]) -> Any:
    return service.attach_evidence(
        db,
        scope=scope,
        ident=ident,
        filename=file.filename or "",
        content_type=file.content_type or "",
        content=file.file.read(service.MAX_EVIDENCE_BYTES + 1),
    )


@router.get("/entries/{ident}/evidence", tags=ENTRIES, responses={200: {"content": {"application/octet-stream": {}}}})
def download_evidence(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    row = service.get_entry(db, scope=scope, ident=ident)
    if row.evidence is None:
        raise NotFound(f"entry {ident} has no evidence file")
    return file_response(row.evidence, row.evidence_type or "application/octet-stream", row.evidence_name or "file")


# -- declarations --------------------------------------------------------------------------------------------------
add_routes(router, service.DECLARATIONS, "/declarations", tags=ENTRIES)


# -- tariffs and settings ------------------------------------------------------------------------------------------
add_routes(router, service.TARIFFS, "/tariffs", tags=TARIFFS)


@router.get("/settings", response_model=schemas.SettingsRead, tags=TARIFFS)
def get_settings(db: DbSession, scope: CurrentScope, park_id: ParkId = None) -> Any:
    return service.get_settings_read(db, scope=scope, park_id=park_id)


@router.post("/settings", response_model=schemas.SettingsRead, tags=TARIFFS)
def update_settings(data: schemas.SettingsUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.update_settings(db, scope=scope, data=data)


@router.get("/factors", response_model=schemas.FactorInfo, tags=TARIFFS)
def factors(scope: CurrentScope) -> Any:
    return service.factor_info()


# -- figures and reports ---------------------------------------------------------------------------------------------
@router.get("/summary", response_model=schemas.ParkSummary, tags=FIGURES)
def park_summary(db: DbSession, scope: CurrentScope, park_id: ParkId = None, year: Year = None) -> Any:
    return service.park_summary(db, scope=scope, park_id=park_id, year=year)


@router.get("/enterprises/{ident}/account", response_model=schemas.EnterpriseAccount, tags=FIGURES)
def enterprise_account(ident: Ident, db: DbSession, scope: CurrentScope, year: Year = None) -> Any:
    return service.enterprise_account(db, scope=scope, enterprise_id=ident, year=year)


@router.get("/enterprises/{ident}/suggestions", response_model=list[schemas.Suggestion], tags=FIGURES)
def suggestions(ident: Ident, db: DbSession, scope: CurrentScope, year: Year = None) -> Any:
    return service.suggestions(db, scope=scope, enterprise_id=ident, year=year)


@router.get(
    "/enterprises/{ident}/report",
    tags=FIGURES,
    responses={200: {"content": {"application/pdf": {}, XLSX_MEDIA_TYPE: {}}}},
)
def enterprise_report(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    year: Year = None,
    format: Literal["pdf", "xlsx"] = "pdf",
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    account = service.enterprise_account(db, scope=scope, enterprise_id=ident, year=year)
    content, media_type, filename = report.render(account, format, lang)
    return file_response(content, media_type, filename)


@router.get("/load-curve", response_model=schemas.LoadCurve, tags=FIGURES)
def load_curve(
    db: DbSession,
    scope: CurrentScope,
    from_ms: Annotated[int, Query(alias="from", ge=0, le=32_503_680_000_000)],
    to_ms: Annotated[int, Query(alias="to", ge=0, le=32_503_680_000_000)],
    park_id: ParkId = None,
    enterprise_id: EnterpriseId = None,
) -> Any:
    return service.load_curve(
        db, scope=scope, from_ms=from_ms, to_ms=to_ms, park_id=park_id, enterprise_id=enterprise_id
    )


@router.get("/tariff-split", response_model=schemas.TariffSplit, tags=FIGURES)
def tariff_split(
    db: DbSession,
    scope: CurrentScope,
    from_ms: Annotated[int, Query(alias="from", ge=0, le=32_503_680_000_000)],
    to_ms: Annotated[int, Query(alias="to", ge=0, le=32_503_680_000_000)],
    park_id: ParkId = None,
    enterprise_id: EnterpriseId = None,
) -> Any:
    return service.tariff_split(
        db, scope=scope, from_ms=from_ms, to_ms=to_ms, park_id=park_id, enterprise_id=enterprise_id
    )


@router.get("/anomalies", response_model=list[schemas.Anomaly], tags=FIGURES)
def anomalies(
    db: DbSession, scope: CurrentScope, year: Year = None, park_id: ParkId = None, enterprise_id: EnterpriseId = None
) -> Any:
    return service.anomalies(db, scope=scope, year=year, park_id=park_id, enterprise_id=enterprise_id)
