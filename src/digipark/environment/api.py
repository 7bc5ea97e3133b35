"""REST API of the environment domain under /api/v1/environment (thin: parse, call the service, shape)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.downloads import file_response
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.routes import add_routes
from digipark.environment import exports, pollution, schemas, service, waste

router = APIRouter(prefix="/api/v1/environment")
POLLUTION: list[str | Enum] = ["environment: pollution monitoring"]
WASTE: list[str | Enum] = ["environment: solid waste"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
YearQ = Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")]
Fmt = Annotated[Literal["xlsx", "csv"], Path()]
OutletQuery = Annotated[ListQuery, Depends(service.OUTLET_SPEC.dependency())]
ExceedanceQuery = Annotated[ListQuery, Depends(service.EXCEEDANCE_SPEC.dependency())]
WasteQuery = Annotated[ListQuery, Depends(service.WASTE_SPEC.dependency())]
BatchQuery = Annotated[ListQuery, Depends(service.BATCH_SPEC.dependency())]
ManifestQuery = Annotated[ListQuery, Depends(service.MANIFEST_SPEC.dependency())]


# -- reference -------------------------------------------------------------------------------------------------
@router.get("/reference", response_model=schemas.ReferenceRead, tags=POLLUTION)
def reference(scope: CurrentScope) -> Any:
    """Factors, standards with their limits, averaging rules, waste categories: each with source and status."""
    d, w = pollution.data(), waste.data()
    return {
        "factors": [dataclasses.asdict(f) for f in d.factors.values()],
        "standards": [dataclasses.asdict(s) for s in d.standards.values()],
        "averaging": [dataclasses.asdict(a) for a in d.averaging.values()],
        "ph_rule": d.ph_rule,
        "permit_levels": [dataclasses.asdict(p) for p in d.permit_levels],
        "general_categories": {c.code: c.name_zh for c in w.general.values()},
        "hazardous_categories": {c.code: c.name_zh for c in w.hazardous.values()},
        "storage_limit_days": w.storage_days,
        "storage_limit_status": w.storage_status,
        "sources": {**d.sources, **w.sources},
    }


# -- outlets ---------------------------------------------------------------------------------------------------
@router.get("/outlets", response_model=Page[schemas.OutletRead], tags=POLLUTION)
def list_outlets(db: DbSession, scope: CurrentScope, query: OutletQuery) -> Any:
    rows, total = service.list_outlets(db, scope=scope, query=query)
    factors = service.factors_of(db, [r.id for r in rows])
    return page_of([service.outlet_read(db, r, factors[r.id]) for r in rows], total, query)


@router.post("/outlets", response_model=schemas.OutletRead, status_code=201, tags=POLLUTION)
def create_outlet(data: schemas.OutletCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.outlet_read(db, service.create_outlet(db, scope=scope, data=data))


@router.get("/outlets/{ident}", response_model=schemas.OutletRead, tags=POLLUTION)
def get_outlet(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.outlet_read(db, service.get_outlet(db, scope=scope, ident=ident))


@router.patch("/outlets/{ident}", response_model=schemas.OutletRead, tags=POLLUTION)
def update_outlet(ident: Ident, data: schemas.OutletUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.outlet_read(db, service.update_outlet(db, scope=scope, ident=ident, data=data))


@router.delete("/outlets/{ident}", status_code=204, tags=POLLUTION)
def delete_outlet(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    service.delete_outlet(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.get("/outlets/{ident}/averages", response_model=schemas.OutletAverages, tags=POLLUTION)
def outlet_averages(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    first: Annotated[dt.date | None, Query(description="first local day; default: 6 days before last")] = None,
    last: Annotated[dt.date | None, Query(description="last local day; default: today")] = None,
) -> Any:
    last = last or service.today()
    first = first or last - dt.timedelta(days=6)
    return service.outlet_averages(db, scope=scope, ident=ident, first=first, last=last)


@router.get("/outlets/{ident}/latest", response_model=list[schemas.LatestRead], tags=POLLUTION)
def outlet_latest(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.latest(db, scope=scope, ident=ident)


# -- exceedances -----------------------------------------------------------------------------------------------
@router.get("/exceedances", response_model=Page[schemas.ExceedanceRead], tags=POLLUTION)
def list_exceedances(db: DbSession, scope: CurrentScope, query: ExceedanceQuery) -> Any:
    rows, total = service.list_exceedances(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/exceedances/scan", response_model=schemas.ScanResult, tags=POLLUTION)
def scan_exceedances(data: schemas.ScanRequest, db: DbSession, scope: CurrentScope) -> Any:
    return service.scan_exceedances(db, scope=scope, data=data)


# -- permits ---------------------------------------------------------------------------------------------------
add_routes(router, service.PERMITS, "/permits", tags=POLLUTION)


@router.get("/permit-usage", response_model=list[schemas.PermitUsage], tags=POLLUTION)
def permit_usage(db: DbSession, scope: CurrentScope, park_id: ParkId = None, year: YearQ = None) -> Any:
    """Permitted annual quantities against the discharge computed from the hour rollups."""
    return service.permit_usage(db, scope=scope, year=year or service.today().year, park_id=park_id)


# -- general solid waste ---------------------------------------------------------------------------------------
@router.get("/waste-entries", response_model=Page[schemas.WasteEntryRead], tags=WASTE)
def list_waste(db: DbSession, scope: CurrentScope, query: WasteQuery) -> Any:
    rows, total = service.list_waste(db, scope=scope, query=query)
    return page_of([service.waste_read(r) for r in rows], total, query)


@router.post("/waste-entries", response_model=schemas.WasteEntryRead, status_code=201, tags=WASTE)
def create_waste(data: schemas.WasteEntryCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.waste_read(service.create_waste(db, scope=scope, data=data))


@router.get("/waste-entries/{ident}", response_model=schemas.WasteEntryRead, tags=WASTE)
def get_waste(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.waste_read(service.get_waste(db, scope=scope, ident=ident))


@router.patch("/waste-entries/{ident}", response_model=schemas.WasteEntryRead, tags=WASTE)
def update_waste(ident: Ident, data: schemas.WasteEntryUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.waste_read(service.update_waste(db, scope=scope, ident=ident, data=data))


@router.delete("/waste-entries/{ident}", status_code=204, tags=WASTE)
def delete_waste(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    service.delete_waste(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.get("/waste-entries.{fmt}", tags=WASTE, responses={200: {"content": {"application/octet-stream": {}}}})
def export_waste(fmt: Fmt, db: DbSession, scope: CurrentScope, year: YearQ = None) -> Response:
    content, media, name = exports.waste_ledger(db, scope=scope, year=year or service.today().year, fmt=fmt)
    return file_response(content, media, name)


# -- hazardous waste -------------------------------------------------------------------------------------------
@router.get("/hazardous-batches", response_model=Page[schemas.HazardousBatchRead], tags=WASTE)
def list_batches(db: DbSession, scope: CurrentScope, query: BatchQuery) -> Any:
    rows, total = service.list_batches(db, scope=scope, query=query)
    return page_of(service.batch_reads(db, rows), total, query)


@router.post("/hazardous-batches", response_model=schemas.HazardousBatchRead, status_code=201, tags=WASTE)
def create_batch(data: schemas.HazardousBatchCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.batch_reads(db, [service.create_batch(db, scope=scope, data=data)])[0]


@router.get("/hazardous-batches/{ident}", response_model=schemas.HazardousBatchRead, tags=WASTE)
def get_batch(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.batch_reads(db, [service.get_batch(db, scope=scope, ident=ident)])[0]


@router.patch("/hazardous-batches/{ident}", response_model=schemas.HazardousBatchRead, tags=WASTE)
def update_batch(ident: Ident, data: schemas.HazardousBatchUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.batch_reads(db, [service.update_batch(db, scope=scope, ident=ident, data=data)])[0]


@router.delete("/hazardous-batches/{ident}", status_code=204, tags=WASTE)
def delete_batch(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
    service.delete_batch(db, scope=scope, ident=ident)
    return Response(status_code=204)


@router.get("/manifests", response_model=Page[schemas.ManifestRead], tags=WASTE)
def list_manifests(db: DbSession, scope: CurrentScope, query: ManifestQuery) -> Any:
    rows, total = service.list_manifests(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/manifests", response_model=schemas.ManifestRead, status_code=201, tags=WASTE)
def create_manifest(data: schemas.ManifestCreate, db: DbSession, scope: CurrentScope) -> Any:
    return service.create_manifest(db, scope=scope, data=data)


@router.get("/manifests/{ident}", response_model=schemas.ManifestRead, tags=WASTE)
def get_manifest(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.get_manifest(db, scope=scope, ident=ident)


@router.patch("/manifests/{ident}", response_model=schemas.ManifestRead, tags=WASTE)
def update_manifest(ident: Ident, data: schemas.ManifestUpdate, db: DbSession, scope: CurrentScope) -> Any:
    return service.update_manifest(db, scope=scope, ident=ident, data=data)


@router.get("/manifests.{fmt}", tags=WASTE, responses={200: {"content": {"application/octet-stream": {}}}})
def export_manifests(fmt: Fmt, db: DbSession, scope: CurrentScope, year: YearQ = None) -> Response:
    content, media, name = exports.manifests(db, scope=scope, year=year or service.today().year, fmt=fmt)
    return file_response(content, media, name)


# -- summary ---------------------------------------------------------------------------------------------------
@router.get("/enterprises/{ident}/summary", response_model=schemas.EnvironmentSummary, tags=POLLUTION)
def enterprise_summary(ident: Ident, db: DbSession, scope: CurrentScope, year: YearQ = None) -> Any:
    return service.enterprise_summary(db, scope=scope, enterprise_id=ident, year=year or service.today().year)
